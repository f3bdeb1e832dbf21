"""The task tracker's state machine: names as keys, attempts, retries, relaunches, final states."""

import time

import pytest

from frameworkkit.scheduler import TaskSpec, TaskState
from frameworkkit.scheduler.store import FrameworkState
from frameworkkit.scheduler.tasks import DuplicateTaskName, Task, TaskTracker


def launched(
    tracker: TaskTracker, retries: int = 0, relaunches: int = 5, ports: tuple[int, ...] = ()
) -> tuple[Task, str]:
    task, new = tracker.add(
        TaskSpec(
            name="t",
            command="true",
            max_retries=retries,
            max_relaunches=relaunches,
            retry_backoff_seconds=0,
        )
    )
    assert new
    return task, tracker.start_attempt(task, "agent-1", "host-1", ports)


def test_finished_exactly_once_and_duplicates_ignored() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker)
    assert task_id == "t.1" and task.hostname == "host-1"
    running = tracker.update(task_id, TaskState.TASK_RUNNING)
    assert running is not None and not running.duplicate
    final = tracker.update(task_id, TaskState.TASK_FINISHED)
    assert final is not None and final.final and not final.duplicate
    again = tracker.update(task_id, TaskState.TASK_FINISHED)
    assert again is not None and again.duplicate
    assert task.done and tracker.idle()


def test_a_task_with_retries_left_that_finishes_is_done_not_run_again() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=2)
    tracker.update(task_id, TaskState.TASK_RUNNING)
    final = tracker.update(task_id, TaskState.TASK_FINISHED)
    assert final is not None and final.final and not final.again
    assert task.state is TaskState.TASK_FINISHED and task.retries == 0 and tracker.idle()


def test_a_name_is_the_key_an_equal_spec_returns_the_task_and_another_spec_is_refused() -> None:
    tracker = TaskTracker()
    first, new = tracker.add(TaskSpec(name="part-1", command="true"))
    again, new_again = tracker.add(TaskSpec(name="part-1", command="true"))
    assert new and not new_again and again is first and len(tracker) == 1
    with pytest.raises(DuplicateTaskName, match="'part-1'"):
        tracker.add(TaskSpec(name="part-1", command="false"))


def test_failure_retries_until_the_limit_with_fresh_task_ids() -> None:
    tracker = TaskTracker()
    task, first = launched(tracker, retries=2)
    ids = [first]
    for _ in range(2):
        step = tracker.update(ids[-1], TaskState.TASK_FAILED, message="exit 3")
        assert step is not None and step.again and task.state is TaskState.PENDING
        ids.append(tracker.start_attempt(task, "agent-2", None))
    last = tracker.update(ids[-1], TaskState.TASK_FAILED)
    assert last is not None and last.final and task.state is TaskState.TASK_FAILED
    assert task.attempts == 3 and task.retries == 2 and len(set(ids)) == 3
    # a late update of an old attempt changes nothing, and a running one is to be killed
    stale = tracker.update(ids[0], TaskState.TASK_RUNNING)
    assert stale is not None and stale.duplicate and stale.superseded
    assert task.state is TaskState.TASK_FAILED


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (TaskState.TASK_FAILED, "REASON_EXECUTOR_REGISTRATION_TIMEOUT"),
        (TaskState.TASK_FAILED, "REASON_AGENT_REMOVED"),
        (TaskState.TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED"),
        (TaskState.TASK_FAILED, "REASON_EXECUTOR_TERMINATED"),  # before RUNNING
        (TaskState.TASK_LOST, None),
        (TaskState.TASK_DROPPED, None),
        (TaskState.TASK_GONE, "REASON_AGENT_REMOVED"),
        (TaskState.TASK_UNREACHABLE, "REASON_AGENT_UNREACHABLE"),
        (TaskState.TASK_UNKNOWN, "REASON_RECONCILIATION"),
    ],
)
def test_an_attempt_lost_to_the_cluster_is_relaunched_without_spending_a_retry(
    state: TaskState, reason: str | None
) -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=0)
    tracker.update(task_id, TaskState.TASK_STAGING)
    step = tracker.update(task_id, state, reason=reason)
    assert step is not None and step.again, (state, reason)
    assert task.state is TaskState.PENDING and task.retries == 0 and task.relaunches == 1
    assert task.history[-1].reason == "RELAUNCH"


def test_the_executor_dying_after_running_is_the_tasks_own_failure() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=0)
    tracker.update(task_id, TaskState.TASK_RUNNING)
    step = tracker.update(task_id, TaskState.TASK_FAILED, reason="REASON_EXECUTOR_TERMINATED")
    assert step is not None and step.final and task.state is TaskState.TASK_FAILED


def test_relaunches_have_their_own_budget_and_an_exhausted_one_ends_lost() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=3, relaunches=1)
    assert tracker.update(task_id, TaskState.TASK_LOST).again  # type: ignore[union-attr]
    second = tracker.start_attempt(task, "agent-2", None)
    step = tracker.update(second, TaskState.TASK_UNKNOWN)
    assert step is not None and step.final and task.state is TaskState.TASK_LOST
    assert task.retries == 0


def test_kill_requested_is_neither_retried_nor_relaunched() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=5)
    task.kill_requested = True
    step = tracker.update(task_id, TaskState.TASK_LOST)
    assert step is not None and step.final


def test_a_launch_that_never_reached_mesos_goes_back_to_pending_without_costing_an_attempt() -> (
    None
):
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=0, relaunches=0)
    step = tracker.update(task_id, TaskState.TASK_GONE, reason="REASON_RECONCILIATION")
    assert step is not None and step.again
    assert task.state is TaskState.PENDING and task.attempts == 0


def test_unknown_task_id_is_reported_as_none() -> None:
    assert TaskTracker().update("nope", TaskState.TASK_RUNNING) is None


def test_starting_a_task_that_is_not_pending_is_refused() -> None:
    tracker = TaskTracker()
    task, _ = launched(tracker)
    with pytest.raises(RuntimeError, match="not pending"):
        tracker.start_attempt(task, "a", None)


def test_a_task_that_cannot_be_placed_ends_with_the_message() -> None:
    tracker = TaskTracker()
    task, _ = tracker.add(TaskSpec(name="bad", command="true"))
    step = tracker.fail_pending(task, "placement raised ValueError: boom")
    assert step.final and task.state is TaskState.TASK_ERROR
    assert task.message == "placement raised ValueError: boom" and tracker.idle()


def test_records_restore_the_same_task() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=1, ports=(31002, 31007))
    assert task.ports == [31002, 31007]
    tracker.update(task_id, TaskState.TASK_LOST)
    record = task.record()
    restored = TaskTracker()
    restored.restore(record)
    again = restored.by_task_id(task_id)
    assert again is not None and again.key == "t" and again.relaunches == 1
    assert again.state is TaskState.PENDING and again.hostname == "host-1"
    assert again.ports == [31002, 31007]
    assert FrameworkState(tasks=[record]).tasks[0].spec["name"] == "t"


def test_an_attempt_keeps_when_it_launched_started_and_ended_from_the_updates_times() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=1)
    assert task.launched_at is not None and task.started_at is None and task.ended_at is None
    tracker.update(task_id, TaskState.TASK_RUNNING, timestamp=1000.5)
    tracker.update(task_id, TaskState.TASK_RUNNING, healthy=True, timestamp=1003.0)
    assert task.started_at == 1000.5  # the first TASK_RUNNING, not a later health update
    tracker.update(task_id, TaskState.TASK_FAILED, timestamp=1010.0)
    assert task.ended_at == 1010.0 and task.state is TaskState.PENDING
    second = tracker.start_attempt(task, "agent-1", "host-1")
    assert task.started_at is None and task.ended_at is None  # a new attempt starts afresh
    arrived = time.time()
    tracker.update(second, TaskState.TASK_RUNNING)  # no timestamp: the time it arrived
    assert task.started_at is not None and task.started_at >= arrived
    tracker.update(second, TaskState.TASK_FINISHED, timestamp=2000.0)
    restored = TaskTracker().restore(task.record())
    assert (restored.launched_at, restored.started_at, restored.ended_at) == (
        task.launched_at,
        task.started_at,
        2000.0,
    )


def test_what_is_unfinished_is_described_by_name() -> None:
    tracker = TaskTracker()
    for index in range(12):
        tracker.add(TaskSpec(name=f"w-{index}", command="true"))
    text = tracker.describe_unfinished(limit=2)
    assert text.startswith("12 tasks not done: w-0 (PENDING); w-1 (PENDING) and 10 more")


def test_a_kill_not_asked_for_is_the_tasks_own_failure_and_retried() -> None:
    tracker = TaskTracker()
    task, task_id = launched(tracker, retries=1)
    tracker.update(task_id, TaskState.TASK_RUNNING)
    step = tracker.update(
        task_id, TaskState.TASK_KILLED, reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
    )
    assert step is not None and step.again and task.retries == 1


def test_pending_and_active_follow_every_way_in_and_out_of_pending() -> None:
    tracker = TaskTracker()
    specs = [
        TaskSpec(name=n, command="true", max_retries=1, retry_backoff_seconds=0)
        for n in ("a", "b", "c", "d")
    ]
    a, b, c, d = (tracker.add(spec)[0] for spec in specs)

    def agree() -> None:
        scanned = [t for t in tracker if t.state is TaskState.PENDING]
        assert sorted(t.name for t in tracker.pending()) == sorted(t.name for t in scanned)
        assert tracker.active_count() == len(tracker.active())

    agree()
    a_id = tracker.start_attempt(a, "agent-1", "h")
    tracker.start_attempt(b, "agent-1", "h")
    agree()
    tracker.kill_pending(c)
    tracker.fail_pending(d, "cannot be placed")
    agree()
    assert tracker.ready() == [] and tracker.active_count() == 2
    tracker.update(a_id, TaskState.TASK_FAILED)  # a retry: a is pending again
    agree()
    assert tracker.ready() == [a] and a.state is TaskState.PENDING
    restored = TaskTracker()
    for task in tracker:
        restored.restore(task.record())
    assert [t.name for t in restored.pending()] == ["a"] and restored.active_count() == 1
