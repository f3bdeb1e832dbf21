"""frameworkkit's executors under real Mesos 1.11 agents: the command executor's states and
messages, one packed executor running 50 tasks, an update kept across a lost agent connection,
and a crashing launch hook."""

from __future__ import annotations

import collections
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from frameworkkit.containers import HealthCheck
from frameworkkit.protocol.messages import TaskStatus
from frameworkkit.protocol.recordio import RecordIODecoder
from frameworkkit.scheduler import Framework, PackedExecutor, Task, TaskSpec, TaskState
from frameworkkit.testing import EmbeddedCluster, free_port
from frameworkkit.testing.embedded import get_json

from .tcp_proxy import CuttableProxy, ForwardedConnection

HERE = Path(__file__).parent
JOURNALING_EXECUTOR = HERE / "journaling_executor.py"
CRASHING_EXECUTOR = HERE / "crashing_executor.py"
PACKED_ID = PackedExecutor().executor_id

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class Recorder(Framework):
    """Keeps every status update and counts the finish hook per task name."""

    name = "executor-test"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.statuses: dict[str, list[TaskStatus]] = collections.defaultdict(list)
        self.finished: collections.Counter[str] = collections.Counter()
        self.failed: list[Task] = []
        self.killed: list[Task] = []
        self.kill_when_running: set[str] = set()
        self.active_at_kill: int | None = None
        self.framework_ids: list[str] = []

    def on_subscribed(self, framework_id: str) -> None:
        self.framework_ids.append(framework_id)

    def on_task_update(self, task: Task, status: TaskStatus) -> None:
        self.statuses[task.name].append(status)

    async def on_task_running(self, task: Task) -> None:
        if task.name in self.kill_when_running:
            self.kill(task)

    def on_task_finished(self, task: Task) -> None:
        self.finished[task.name] += 1

    def on_task_failed(self, task: Task) -> None:
        self.failed.append(task)

    def on_task_killed(self, task: Task) -> None:
        self.killed.append(task)
        self.active_at_kill = len(self.tasks.active())

    def states(self, name: str) -> list[str]:
        return [s.state for s in self.statuses[name]]


@contextmanager
def running(fw: Framework, timeout: float = 60.0) -> Iterator[None]:
    """Run ``fw`` in a thread while the block runs; then tear it down (killing its executors)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fw.run(until="forever", timeout=timeout, teardown=True)
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="framework-under-test")
    thread.start()
    try:
        yield
    finally:
        fw.stop(teardown=True)
        thread.join(timeout)
    assert not thread.is_alive(), "the framework did not stop"
    if errors:
        raise errors[0]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def master_framework(cluster: EmbeddedCluster, framework_id: str) -> dict[str, Any]:
    state = cluster.state()
    for entry in state["frameworks"] + state["completed_frameworks"]:
        if entry["id"] == framework_id:
            return dict(entry)
    raise AssertionError(f"framework {framework_id} not in the master's /state")


def agent_framework(cluster: EmbeddedCluster, agent_id: str, framework_id: str) -> dict[str, Any]:
    """The framework as the agent itself reports it (its ``/slave(N)/state``)."""
    agents = {a["id"]: a["pid"] for a in cluster.state()["slaves"]}
    process_id = agents[agent_id].partition("@")[0]
    state = get_json(f"{cluster.url}/{process_id}/state", 10)
    for entry in state["frameworks"] + state["completed_frameworks"]:
        if entry["id"] == framework_id:
            return dict(entry)
    raise AssertionError(f"framework {framework_id} not on agent {agent_id}")


def framework_metrics(cluster: EmbeddedCluster, framework_id: str) -> dict[str, float]:
    """The master's metrics of one framework, by their names under the framework."""
    snapshot = get_json(f"{cluster.url}/metrics/snapshot", 10)
    marker = f"/{framework_id}/"
    return {k.split(marker)[1]: float(v) for k, v in snapshot.items() if marker in k}


def executor_runs(agent_view: dict[str, Any]) -> list[dict[str, Any]]:
    """Every run of an executor of the framework on the agent, running or ended."""
    return list(agent_view["executors"]) + list(agent_view["completed_executors"])


# ---- the command executor, as the agent's mesos-executor ---------------------------------------


@pytest.fixture(scope="module")
def command_tasks(
    mesos_cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Recorder, dict[str, Task]]:
    """One run of four command tasks: exit 0, exit 3, killed on request, failing health check."""
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path_factory.mktemp("command-tasks"))
    fw.kill_when_running.add("killed")
    unhealthy = HealthCheck.command(
        "exit 1",
        delay_seconds=0,
        interval_seconds=0.5,
        grace_period_seconds=0,
        consecutive_failures=2,
        timeout_seconds=2,
    )
    handles = fw.submit_many(
        [
            TaskSpec(name="exit-0", command="exit 0"),
            TaskSpec(name="exit-3", command="exit 3"),
            TaskSpec(name="killed", command="sleep 60", kill_grace_seconds=1),
            TaskSpec(name="unhealthy", command="sleep 60", health_check=unhealthy),
        ]
    )
    fw.run(timeout=60, teardown=True)
    return fw, {h.name: h for h in handles}


def test_a_command_exiting_0_finishes_with_mesos_wording(
    command_tasks: tuple[Recorder, dict[str, Task]],
) -> None:
    fw, tasks = command_tasks
    task = tasks["exit-0"]
    assert fw.states("exit-0") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"]
    assert task.state is TaskState.TASK_FINISHED
    assert task.history[-1].message == "Command exited with status 0"
    assert fw.finished["exit-0"] == 1


def test_a_command_exiting_3_fails_with_its_status(
    command_tasks: tuple[Recorder, dict[str, Task]],
) -> None:
    fw, tasks = command_tasks
    task = tasks["exit-3"]
    assert fw.states("exit-3") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    assert task.state is TaskState.TASK_FAILED
    assert task.history[-1].message == "Command exited with status 3"
    assert task in fw.failed


def test_a_killed_command_reports_killing_then_killed(
    command_tasks: tuple[Recorder, dict[str, Task]],
) -> None:
    fw, tasks = command_tasks
    task = tasks["killed"]
    assert fw.states("killed") == ["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]
    assert task.state is TaskState.TASK_KILLED
    assert task.history[-1].message == "Command terminated with signal Terminated"
    assert fw.killed.count(task) == 1


def test_a_failing_health_check_kills_the_task_unhealthy(
    command_tasks: tuple[Recorder, dict[str, Task]],
) -> None:
    fw, tasks = command_tasks
    task = tasks["unhealthy"]
    statuses = fw.statuses["unhealthy"]
    health = [s for s in statuses if s.reason == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"]
    assert [(s.state, s.healthy) for s in health] == [("TASK_RUNNING", False)] * 2
    assert [s.state for s in statuses if s not in health] == [
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_KILLING",
        "TASK_KILLED",
    ]
    assert statuses[-1].healthy is False
    assert task.state is TaskState.TASK_KILLED
    assert task.healthy is False
    assert not task.kill_requested  # the executor killed it, not the framework


# ---- one packed executor, many tasks ------------------------------------------------------------


def test_one_packed_executor_runs_50_tasks_and_a_kill_takes_only_its_task(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path, executor=PackedExecutor())
    fw.kill_when_running.add("victim")
    victim = TaskSpec(name="victim", command="sleep 60", cpus=0.01, mem=4, kill_grace_seconds=1)
    sleepers = [
        TaskSpec(name=f"sleeper-{i}", command="sleep 2", cpus=0.01, mem=4) for i in range(49)
    ]
    handles = fw.submit_many([victim, *sleepers])  # one offer cycle: one ACCEPT, one agent
    with running(fw):
        wait_until(lambda: all(h.done for h in handles), "all 50 tasks done", timeout=45)
        framework_id = fw.framework_ids[0]
        (agent_id,) = {h.agent_id for h in handles}
        assert agent_id is not None
        # The master completes a task once the framework acknowledged its last update.
        wait_until(
            lambda: not master_framework(mesos_cluster, framework_id)["tasks"],
            "the master completing the 50 tasks",
        )
        master_view = master_framework(mesos_cluster, framework_id)  # the executor still runs
        agent_view = agent_framework(mesos_cluster, agent_id, framework_id)
        metrics = framework_metrics(mesos_cluster, framework_id)

    killed, finished = handles[0], handles[1:]
    assert killed.state is TaskState.TASK_KILLED
    assert fw.killed == [killed]
    assert all(h.state is TaskState.TASK_FINISHED for h in finished)
    assert all(h.history[-1].message == "Command exited with status 0" for h in finished)
    assert sorted(fw.finished.values()) == [1] * 49
    assert fw.active_at_kill is not None and fw.active_at_kill > 0  # the kill came mid-run

    # The master: one ACCEPT launched all 50; one executor of the framework, on that agent, and
    # every task ran in it.
    assert (metrics["calls/accept"], metrics["operations/launch"]) == (1, 50)
    assert [(e["executor_id"], e["slave_id"]) for e in master_view["executors"]] == [
        (PACKED_ID, agent_id)
    ]
    tasks = master_view["completed_tasks"]
    assert sorted(t["id"] for t in tasks) == sorted(str(h.task_id) for h in handles)
    assert {t["executor_id"] for t in tasks} == {PACKED_ID}
    containers = {
        s["container_status"]["container_id"]["value"] for t in tasks for s in t["statuses"]
    }
    assert len(containers) == 1
    # The agent: a single run of the executor, still alive, holding all 50 tasks.
    (run,) = executor_runs(agent_view)
    assert run in agent_view["executors"]
    assert run["container"] in containers
    assert sorted(t["id"] for t in run["completed_tasks"]) == sorted(
        str(h.task_id) for h in handles
    )


# ---- an update made while the agent is unreachable ----------------------------------------------


def through_proxy(command: str, proxy_port: int) -> str:
    """A shell command running ``command`` with ``MESOS_SLAVE_PID`` pointed at the proxy
    (the ``slave(N)`` part is kept, so the proxy reaches the same agent)."""
    return (
        'export MESOS_SLAVE_PID="$(echo "$MESOS_SLAVE_PID" | '
        f'sed "s/@.*/@127.0.0.1:{proxy_port}/")"; exec {command}'
    )


def http_messages(data: bytes | bytearray) -> list[tuple[bytes, bytes]]:
    """(head, body) of each complete HTTP/1.1 message in one direction of a connection."""
    messages = []
    rest = bytes(data)
    while b"\r\n\r\n" in rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        if length is not None:
            size = int(length.group(1))
            body, rest = rest[:size], rest[size:]
        else:  # a chunked stream: the rest of the connection
            body, rest = _dechunk(rest), b""
        messages.append((head, body))
    return messages


def _dechunk(data: bytes) -> bytes:
    body = b""
    while b"\r\n" in data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0 or len(data) < size:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body


def executor_calls(connections: list[ForwardedConnection]) -> list[dict[str, Any]]:
    """Every call the executor sent through the proxy, in order per connection."""
    calls = []
    for connection in connections:
        calls += [json.loads(body) for _, body in http_messages(connection.sent)]
    return calls


def agent_events(connections: list[ForwardedConnection]) -> list[dict[str, Any]]:
    """Every event the agent streamed to the executor through the proxy."""
    events = []
    for connection in connections:
        for head, body in http_messages(connection.received):
            if b"chunked" in head.lower():
                events += [json.loads(f) for f in RecordIODecoder().feed(body)]
    return events


def read_journal(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def test_an_update_made_while_the_agent_is_unreachable_arrives_once_after_it_returns(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    journal, go = tmp_path / "journal.jsonl", tmp_path / "go"
    agent_address = urlsplit(mesos_cluster.url)  # local agents share the master's address
    assert agent_address.hostname and agent_address.port
    with CuttableProxy(agent_address.hostname, agent_address.port) as proxy:
        command = f'"{sys.executable}" "{JOURNALING_EXECUTOR}" "{journal}"'
        executor = PackedExecutor(command=through_proxy(command, proxy.port))
        fw = Recorder(mesos_cluster.url, state_dir=tmp_path / "state", executor=executor)
        task = fw.submit(
            TaskSpec(
                name="waits-for-go",
                command=f"for i in $(seq 300); do [ -e {go} ] && exit 0; sleep 0.1; done; exit 1",
                cpus=0.01,
                mem=4,
            )
        )

        def journaled(event: str, state: str | None = None) -> int:
            entries = read_journal(journal)
            return sum(e["event"] == event and e.get("state") == state for e in entries)

        with running(fw):
            wait_until(lambda: task.state is TaskState.TASK_RUNNING, "the task runs")
            proxy.cut()
            wait_until(lambda: journaled("disconnected") == 1, "the executor notices the cut")
            go.touch()  # the task ends now, while the agent is unreachable
            wait_until(
                lambda: journaled("status", "TASK_FINISHED") == 1, "the executor reports the end"
            )
            refused = proxy.refused
            wait_until(lambda: proxy.refused > refused, "a SUBSCRIBE attempt after the end")
            assert fw.states("waits-for-go")[-1] == "TASK_RUNNING"  # nothing got through
            proxy.restore()
            wait_until(lambda: task.done, "the task's end reaches the framework")
            wait_until(
                lambda: journaled("acknowledged", "TASK_FINISHED") == 1,
                "the agent acknowledges the update",
            )

    assert task.state is TaskState.TASK_FINISHED
    assert fw.finished == {"waits-for-go": 1}
    assert [r.state for r in task.history].count(TaskState.TASK_FINISHED) == 1
    entries = read_journal(journal)
    assert [e["event"] for e in entries if e["event"] in ("subscribed", "disconnected")] == [
        "subscribed",
        "disconnected",
        "subscribed",
    ]
    acknowledged = [e for e in entries if e["event"] == "acknowledged"]
    assert [e["state"] for e in acknowledged].count("TASK_FINISHED") == 1

    # Off the wire: the second SUBSCRIBE carried the update, which was never sent otherwise, and
    # the agent acknowledged it once.
    calls = executor_calls(proxy.connections)
    subscribes = [c["subscribe"] for c in calls if c["type"] == "SUBSCRIBE"]
    assert len(subscribes) == 2
    carried = [u["status"] for u in subscribes[1].get("unacknowledged_updates", [])]
    assert [s["state"] for s in carried] == ["TASK_FINISHED"]
    uuid = carried[0]["uuid"]
    updates = [c["update"]["status"] for c in calls if c["type"] == "UPDATE"]
    assert all(s["uuid"] != uuid for s in updates)
    acks = [
        e["acknowledged"] for e in agent_events(proxy.connections) if e["type"] == "ACKNOWLEDGED"
    ]
    assert [a["uuid"] for a in acks].count(uuid) == 1


# ---- a crashing launch hook ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_agent_cluster() -> Iterator[EmbeddedCluster]:
    """A real Mesos with a single agent, so that every task lands in the same executor."""
    with EmbeddedCluster(agents=1, port=free_port()) as cluster:
        yield cluster


def test_a_crashing_launch_hook_fails_its_task_and_the_executor_runs_on(
    one_agent_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    executor = PackedExecutor(command=f'"{sys.executable}" "{CRASHING_EXECUTOR}"')
    fw = Recorder(one_agent_cluster.url, state_dir=tmp_path, executor=executor)
    boom = fw.submit(TaskSpec(name="boom", cpus=0.01, mem=4))
    with running(fw):
        wait_until(lambda: boom.done, "boom ends")
        fine = fw.submit(TaskSpec(name="fine", cpus=0.01, mem=4))  # into the same executor
        wait_until(lambda: fine.done, "fine ends")
        framework_id = fw.framework_ids[0]
        assert boom.agent_id == fine.agent_id and boom.agent_id is not None
        agent_view = agent_framework(
            one_agent_cluster, framework_id=framework_id, agent_id=boom.agent_id
        )

    assert boom.state is TaskState.TASK_FAILED
    assert boom.history[-1].message == "RuntimeError: the launch hook crashed on task boom"
    assert fw.failed == [boom]
    assert fine.state is TaskState.TASK_FINISHED
    assert fine.history[-1].message == "fine done"
    assert fw.finished == {"fine": 1}
    (run,) = executor_runs(agent_view)  # one executor ran both, and was still running
    assert run in agent_view["executors"]
    assert sorted(t["name"] for t in run["completed_tasks"]) == ["boom", "fine"]
