"""The task tracker's state machine: attempts, retries, duplicates, final states."""

import pytest

from frameworkkit.scheduler import TaskSpec, TaskState
from frameworkkit.scheduler.store import FrameworkState
from frameworkkit.scheduler.tasks import TaskTracker


def launched(tracker: TaskTracker, retries: int = 0) -> tuple[str, str]:
    task = tracker.add(
        TaskSpec(name="t", command="true", max_retries=retries, retry_backoff_seconds=0)
    )
    return task.key, tracker.launching(task, "agent-1")


def test_finished_exactly_once_and_duplicates_ignored() -> None:
    tracker = TaskTracker()
    key, task_id = launched(tracker)
    assert not tracker.update(task_id, TaskState.TASK_RUNNING).duplicate  # type: ignore[union-attr]
    final = tracker.update(task_id, TaskState.TASK_FINISHED)
    assert final is not None and final.final and not final.duplicate
    again = tracker.update(task_id, TaskState.TASK_FINISHED)
    assert again is not None and again.duplicate
    assert tracker.get(key).done and tracker.idle()  # type: ignore[union-attr]


def test_failure_retries_until_the_limit_with_fresh_task_ids() -> None:
    tracker = TaskTracker()
    key, first = launched(tracker, retries=2)
    task = tracker.get(key)
    assert task is not None
    ids = [first]
    for _ in range(2):
        step = tracker.update(ids[-1], TaskState.TASK_FAILED, message="exit 3")
        assert step is not None and step.retry and task.state is TaskState.PENDING
        ids.append(tracker.launching(task, "agent-2"))
    last = tracker.update(ids[-1], TaskState.TASK_FAILED)
    assert last is not None and last.final and task.state is TaskState.TASK_FAILED
    assert task.attempts == 3 and len(set(ids)) == 3
    # a late update of an old attempt changes nothing
    stale = tracker.update(ids[0], TaskState.TASK_RUNNING)
    assert stale is not None and stale.duplicate and task.state is TaskState.TASK_FAILED


def test_kill_requested_is_not_retried() -> None:
    tracker = TaskTracker()
    key, task_id = launched(tracker, retries=5)
    task = tracker.get(key)
    assert task is not None
    task.kill_requested = True
    step = tracker.update(task_id, TaskState.TASK_FAILED)
    assert step is not None and step.final


def test_a_launch_that_never_reached_mesos_goes_back_to_pending_without_costing_an_attempt() -> (
    None
):
    tracker = TaskTracker()
    key, task_id = launched(tracker, retries=0)
    step = tracker.update(task_id, TaskState.TASK_GONE, reason="REASON_RECONCILIATION")
    task = tracker.get(key)
    assert step is not None and step.retry
    assert task is not None and task.state is TaskState.PENDING and task.attempts == 0


def test_unknown_task_id_is_reported_as_none() -> None:
    assert TaskTracker().update("nope", TaskState.TASK_RUNNING) is None


def test_launching_a_task_that_is_not_pending_is_refused() -> None:
    tracker = TaskTracker()
    key, _ = launched(tracker)
    with pytest.raises(RuntimeError, match="not pending"):
        tracker.launching(tracker.get(key), "a")  # type: ignore[arg-type]


def test_records_restore_the_same_task() -> None:
    tracker = TaskTracker()
    key, task_id = launched(tracker, retries=1)
    record = tracker.get(key).record()  # type: ignore[union-attr]
    restored = TaskTracker()
    restored.restore(record)
    assert restored.by_task_id(task_id).key == key  # type: ignore[union-attr]
    assert restored.get(key).state is TaskState.LAUNCHING  # type: ignore[union-attr]
    assert FrameworkState(tasks=[record]).tasks[0].spec["name"] == "t"
