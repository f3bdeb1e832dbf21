"""What a framework author meets on the first day, on real Mesos: clean endings, answers to
"why isn't it running?", and where a task ran and what it printed."""

import asyncio
import logging
import re
import sys
import time
from pathlib import Path

import pytest

from frameworkkit import Framework, PackedExecutor, Task, TaskSpec, TaskState
from frameworkkit.protocol.messages import TaskStatus
from frameworkkit.testing import EmbeddedCluster
from frameworkkit.testing.embedded import get_json


def test_a_packed_batch_that_ends_leaves_nothing_registered_or_running(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Framework(mesos_cluster.url, state_dir=tmp_path, executor=PackedExecutor())
    tasks = fw.submit_many(TaskSpec(name=f"p-{i}", command="true", mem=16) for i in range(10))
    fw.run(timeout=120)
    assert all(t.state is TaskState.TASK_FINISHED for t in tasks)
    assert fw.framework_id is None  # forgotten: the framework was ended in Mesos
    state = mesos_cluster.state()
    assert [f for f in state["frameworks"] if f["name"] == fw.name] == []
    # the agents stop the executors within their shutdown grace period (5 s by default)
    deadline = time.monotonic() + 30
    while running_executors(state["slaves"], fw.name) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert running_executors(state["slaves"], fw.name) == []


def running_executors(agents: list[dict[str, str]], framework: str) -> list[str]:
    """The executors of ``framework``'s that the agents still run."""
    running = []
    for agent in agents:
        process, _, address = agent["pid"].partition("@")
        agent_state = get_json(f"http://{address}/{process}/state", 10)
        running += [
            e["id"]
            for f in agent_state["frameworks"]
            if f["name"] == framework
            for e in f["executors"]
        ]
    return running


def test_an_impossible_task_is_explained_once_with_numbers_and_named_by_the_timeout(
    mesos_cluster: EmbeddedCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="frameworkkit")
    fw = Framework(mesos_cluster.url, state_dir=tmp_path)
    fw.submit(TaskSpec(name="small", command="true", mem=16))
    big = fw.submit(TaskSpec(name="enormous", command="true", cpus=100))
    with pytest.raises(TimeoutError) as raised:
        fw.run(timeout=10)
    assert "enormous" in str(raised.value) and "cpus: needs 100" in str(raised.value)
    warnings = [r.getMessage() for r in caplog.records if "enormous" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert re.search(r"cpus: needs 100, the most free on an agent is 2\b", warnings[0])
    assert f"fits none of {mesos_cluster.agents} agent(s)" in warnings[0]
    assert "enormous" in fw.unplaced and big.unplaced is not None
    fw.kill(big)
    assert big.state is TaskState.TASK_KILLED
    fw.stop(teardown=True)


@pytest.mark.parametrize("packed", [False, True], ids=["command-executor", "packed-executor"])
def test_where_a_task_ran_and_what_it_printed(
    mesos_cluster: EmbeddedCluster, tmp_path: Path, packed: bool
) -> None:
    fw = Framework(
        mesos_cluster.url, state_dir=tmp_path, executor=PackedExecutor() if packed else None
    )
    task = fw.submit(
        TaskSpec(name="hello", command="echo hello from $FRAMEWORKKIT_TASK_ID; echo oops >&2")
    )
    fw.run(timeout=60)
    assert task.state is TaskState.TASK_FINISHED
    assert task.hostname and task.agent_id and task.executor_id
    assert asyncio.run(task.read_output("stdout")).decode().strip() == f"hello from {task.task_id}"
    # (the command executor logs to the same stderr, as Mesos's own does)
    assert "oops" in asyncio.run(task.read_output("stderr")).decode().splitlines()
    assert task.sandbox is not None and task.agent_id in task.sandbox


ECHO_EXECUTOR = Path(__file__).with_name("echo_executor.py")


def test_an_executor_subclass_gets_the_task_data_and_answers_through_status_and_message(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    answers: dict[str, bytes] = {}
    messages: list[bytes] = []

    class Asker(Framework):
        def on_task_update(self, task: Task, status: TaskStatus) -> None:
            if status.state == "TASK_FINISHED" and status.data is not None:
                answers[task.name] = status.data

        def on_message(self, agent_id: str, executor_id: str, data: bytes) -> None:
            messages.append(data)

    own = PackedExecutor(command=f'"{sys.executable}" "{ECHO_EXECUTOR}"', commands=False)
    fw = Asker(mesos_cluster.url, state_dir=tmp_path, executor=own)
    with pytest.raises(ValueError, match=r"specs\[0\]\.command"):
        fw.submit(TaskSpec(name="wrong", command="true"))
    tasks = fw.submit_many(TaskSpec(name=f"ask-{i}", data=f"q{i}".encode()) for i in range(3))
    fw.run(timeout=60)
    assert all(t.state is TaskState.TASK_FINISHED for t in tasks)
    assert answers == {f"ask-{i}": f"q{i}".encode()[::-1] for i in range(3)}
    assert sorted(messages) == [f"got:q{i}".encode() for i in range(3)]
