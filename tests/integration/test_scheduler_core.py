"""The scheduler core on a real Mesos 1.11 cluster: constraints in both forms, a placement that
raises, slow plain hooks, and an executor that never registers."""

import base64
import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

from frameworkkit import Constraint, PackedExecutor, Task, TaskSpec, TaskState
from frameworkkit.placement import Fitness, FitView
from frameworkkit.protocol.messages import TaskStatus
from frameworkkit.testing import EmbeddedCluster, free_port
from frameworkkit.transport import HttpAnswer, HttpRequest, HttpTransport
from tests.integration.test_framework import Recorder, framework_metrics


class CallLog(HttpTransport):
    """The real HTTP transport, noting when each call of the framework left (a test seam)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[float, dict[str, object]]] = []

    async def handle(self, request: HttpRequest) -> HttpAnswer:
        if request.body:
            self.calls.append((time.monotonic(), json.loads(request.body)))
        return await super().handle(request)

    def of(self, kind: str) -> list[tuple[float, dict[str, object]]]:
        return [(at, call) for at, call in self.calls if call["type"] == kind]


def test_constraints_given_as_objects_and_as_marathon_lists_both_hold(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path)
    forms = {"objects": Constraint("@agent_id", "UNIQUE"), "lists": ["@agent_id", "UNIQUE"]}
    handles = {
        form: fw.submit_many(
            TaskSpec(
                name=f"{form}-{i}",
                command="sleep 1",
                cpus=0.1,
                mem=16,
                group=form,
                constraints=[constraint],
            )
            for i in range(mesos_cluster.agents)
        )
        for form, constraint in forms.items()
    }
    fw.run(timeout=120)
    for form, tasks in handles.items():
        assert all(t.state is TaskState.TASK_FINISHED for t in tasks), form
        assert len({t.agent_id for t in tasks}) == mesos_cluster.agents, form


class Picky(Fitness):
    """A user's strategy with a bug: it raises for tasks of 77 MB."""

    def score(self, view: FitView) -> np.ndarray:  # type: ignore[type-arg]
        if 77.0 in view.demand:
            raise ValueError("no agent is good enough for 77 MB")
        return np.ones(len(view.agent_index))


def test_a_placement_that_raises_for_one_task_ends_only_that_task_and_answers_every_offer(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path, strategy=Picky())
    good = fw.submit_many(TaskSpec(name=f"good-{i}", command="true", mem=16) for i in range(5))
    bad = fw.submit(TaskSpec(name="bad", command="true", mem=77))
    fw.run(timeout=90, teardown=False)
    assert all(t.state is TaskState.TASK_FINISHED for t in good)
    assert bad.state is TaskState.TASK_ERROR and fw.failed == [bad]
    assert "no agent is good enough for 77 MB" in (bad.message or "")
    metrics = framework_metrics(mesos_cluster, fw.framework_id)
    assert metrics["offers/sent"] == metrics["offers/accepted"] + metrics["offers/declined"]
    fw.stop(teardown=True)


def test_slow_plain_hooks_delay_neither_other_acknowledgements_nor_heartbeats(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    log = CallLog()
    arrived: dict[bytes, float] = {}
    hook_threads: set[str] = set()

    class Slow(Recorder):
        async def on_task_update(self, task: Task, status: TaskStatus) -> None:
            assert status.uuid is not None
            arrived[status.uuid] = time.monotonic()

        def on_task_running(self, task: Task) -> None:
            if task.name.startswith("slow-"):
                hook_threads.add(threading.current_thread().name)
                time.sleep(3)

    fw = Slow(mesos_cluster.url, state_dir=tmp_path, transport=log)
    slow = fw.submit_many(TaskSpec(name=f"slow-{i}", command="sleep 2", mem=16) for i in range(20))
    quick = fw.submit_many(TaskSpec(name=f"quick-{i}", command="true", mem=16) for i in range(20))
    fw.run(timeout=180)
    assert all(t.state is TaskState.TASK_FINISHED for t in slow + quick)
    delays: dict[str, list[float]] = {"quick": [], "slow": []}
    for at, call in log.of("ACKNOWLEDGE"):
        ack = call["acknowledge"]
        task_id, uuid = ack["task_id"]["value"], base64.b64decode(ack["uuid"])  # type: ignore[index]
        delays[task_id.split("-")[0]].append(at - arrived[uuid])
    quick_delays, slow_delays = delays["quick"], delays["slow"]
    # the quick tasks' updates were acknowledged while the slow hooks slept
    assert quick_delays and max(quick_delays) < 2.5, sorted(quick_delays)[-5:]
    # a slow task's RUNNING update is acknowledged only once its hook returned
    assert sum(d >= 3.0 for d in slow_delays) == 20, sorted(slow_delays)
    assert len(log.of("SUBSCRIBE")) == 1  # no missed heartbeat made it resubscribe
    assert len(hook_threads) > 1  # the slow hooks ran side by side, off the loop


def test_a_task_whose_executor_never_registers_is_relaunched_and_finishes(tmp_path: Path) -> None:
    marker = tmp_path / "first-executor-started"
    hang_once = (
        f'if [ ! -e "{marker}" ]; then touch "{marker}"; exec sleep 600; fi; '
        f'exec "{sys.executable}" -m frameworkkit.executor --multi_task'
    )
    cluster = EmbeddedCluster(
        agents=1,
        port=free_port(),
        extra_env={"MESOS_EXECUTOR_REGISTRATION_TIMEOUT": "5secs"},
    )
    with cluster:
        fw = Recorder(
            cluster.url,
            state_dir=tmp_path / "state",
            executor=PackedExecutor(command=hang_once),
        )
        task = fw.submit(TaskSpec(name="patient", command="true", max_retries=0))
        fw.run(timeout=120)
    assert marker.exists()
    assert task.state is TaskState.TASK_FINISHED and fw.finished["patient"] == 1
    assert task.attempts == 2 and task.relaunches == 1 and task.retries == 0
    first = next(r for r in task.history if r.state is TaskState.TASK_FAILED)
    assert first.reason == "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
