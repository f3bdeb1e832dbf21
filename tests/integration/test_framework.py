"""The Framework base class on a real Mesos 1.11 cluster: launch, finish, retry, kill, suppress."""

import collections
import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from frameworkkit.scheduler import Framework, Task, TaskSpec, TaskState
from frameworkkit.testing import EmbeddedCluster
from frameworkkit.testing.embedded import get_json


class Recorder(Framework):
    name = "recorder"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.finished: collections.Counter[str] = collections.Counter()
        self.failed: list[Task] = []
        self.killed: list[Task] = []
        self.kill_when_running: set[str] = set()

    def on_task_finished(self, task: Task) -> None:
        self.finished[task.key] += 1

    def on_task_failed(self, task: Task) -> None:
        self.failed.append(task)

    def on_task_killed(self, task: Task) -> None:
        self.killed.append(task)

    async def on_task_running(self, task: Task) -> None:  # an async hook
        if task.name in self.kill_when_running:
            self.kill(task)


def framework_state(cluster: EmbeddedCluster, framework_id: str | None) -> dict[str, object]:
    for entry in cluster.state()["frameworks"] + cluster.state()["completed_frameworks"]:
        if entry["id"] == framework_id:
            return dict(entry)
    raise AssertionError(f"framework {framework_id} not in /state")


def framework_metrics(cluster: EmbeddedCluster, framework_id: str | None) -> dict[str, float]:
    snapshot = get_json(f"{cluster.url}/metrics/snapshot", 10)
    prefix = next(k for k in snapshot if f"/{framework_id}/" in k).split(f"/{framework_id}/")[0]
    start = f"{prefix}/{framework_id}/"
    return {k[len(start) :]: float(v) for k, v in snapshot.items() if k.startswith(start)}


@contextlib.contextmanager
def cpu_burners(count: int, seconds: float) -> Iterator[None]:
    """``count`` processes that spin on a CPU each, for at most ``seconds``; ended on exit."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    burners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_200_tasks_finish_exactly_once_beside_two_cpu_burners_and_the_framework_ends_suppressed(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path)
    handles = fw.submit_many(
        TaskSpec(name=f"short-{i}", command="true", cpus=0.1, mem=16) for i in range(200)
    )
    with cpu_burners(2, seconds=300):  # both cores of a small CI machine kept busy
        fw.run(timeout=240, teardown=False)  # kept registered, to look at what Mesos saw
    assert all(h.state is TaskState.TASK_FINISHED for h in handles)
    assert sorted(fw.finished.values()) == [1] * 200
    assert fw.failed == []
    assert not any(h.relaunches for h in handles)  # none was lost to a registration timeout
    state = framework_state(mesos_cluster, fw.framework_id)
    finished = [t for t in state["completed_tasks"] if t["state"] == "TASK_FINISHED"]  # type: ignore[index,union-attr]
    assert len(finished) == 200
    assert {t["id"] for t in finished} == {h.task_id for h in handles}  # type: ignore[index]
    assert state["tasks"] == []
    assert state["offered_resources"]["cpus"] == 0  # type: ignore[index]
    metrics = framework_metrics(mesos_cluster, fw.framework_id)
    assert metrics["roles/*/suppressed"] == 1
    # every offer was used or declined at once: none was left to time out
    assert metrics["offers/sent"] == metrics["offers/accepted"] + metrics["offers/declined"]
    framework_id = fw.framework_id
    fw.stop(teardown=True)  # after run() returned: connects just to end the framework
    assert fw.framework_id is None
    assert not any(f["id"] == framework_id for f in mesos_cluster.state()["frameworks"])


def test_a_failing_task_is_retried_to_its_limit_and_a_killed_task_reports_killed(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path)
    fw.kill_when_running.add("sleeper")
    failing = fw.submit(
        TaskSpec(name="failing", command="exit 3", max_retries=2, retry_backoff_seconds=0.2)
    )
    sleeper = fw.submit(TaskSpec(name="sleeper", command="sleep 60", kill_grace_seconds=1))
    fw.run(timeout=120, teardown=True)
    assert failing.state is TaskState.TASK_FAILED
    assert failing.attempts == 3
    assert fw.failed == [failing]
    assert "3" in (failing.message or "")
    attempts = [r for r in failing.history if r.state is TaskState.TASK_FAILED]
    assert len({r.task_id for r in attempts}) == 3
    assert sleeper.state is TaskState.TASK_KILLED
    assert fw.killed == [sleeper]


def test_the_secret_never_reaches_logs_or_reprs(
    mesos_cluster: EmbeddedCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-Value-42"
    caplog.set_level(logging.DEBUG)
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path, principal="ops", secret=secret)
    fw.submit(TaskSpec(name="one", command="true"))
    fw.run(timeout=60, teardown=True)
    assert fw.finished.total() == 1
    assert secret not in caplog.text
    assert secret not in repr(vars(fw))
    assert secret not in repr(fw._options)


def test_constraints_hold_on_real_offers_and_unplaced_tasks_say_why(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    reasons: list[str] = []

    class Unique(Recorder):
        def on_task_running(self, task: Task) -> None:
            reasons.extend(str(why) for why in self.unplaced.values())

    fw = Unique(mesos_cluster.url, state_dir=tmp_path, strategy="binpack")
    count = mesos_cluster.agents + 1
    handles = fw.submit_many(
        TaskSpec(
            name=f"one-per-agent-{i}",
            command="sleep 1",
            cpus=0.1,
            mem=16,
            group="unique",
            constraints=[["@agent_id", "UNIQUE"]],
        )
        for i in range(count)
    )
    fw.run(timeout=120, teardown=True)
    assert all(h.state is TaskState.TASK_FINISHED for h in handles)
    first_round = [
        h
        for h in handles
        if h.history[1].time
        < min(r.time for h in handles for r in h.history if r.state is TaskState.TASK_FINISHED)
    ]
    assert len(first_round) == mesos_cluster.agents
    assert len({h.agent_id for h in first_round}) == mesos_cluster.agents
    assert any("UNIQUE" in reason for reason in reasons), reasons


async def test_run_works_inside_a_running_event_loop_as_in_jupyter(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Recorder(mesos_cluster.url, state_dir=tmp_path / "blocking")
    first = fw.submit(TaskSpec(name="in-loop", command="true"))
    fw.run(timeout=60)  # a blocking call made from a coroutine: runs in a worker thread
    assert first.state is TaskState.TASK_FINISHED

    other = Recorder(mesos_cluster.url, state_dir=tmp_path / "awaited")
    second = other.submit(TaskSpec(name="awaited", command="true"))
    await other.run_async(timeout=60, teardown=True)
    assert second.state is TaskState.TASK_FINISHED
    fw.run(timeout=60, teardown=True)  # nothing left: subscribes, tears down, returns
