"""The job runner's decisions, without a cluster: runs launched once by name, late runs skipped,
dependent runs, retries, and what a restart finishes. Attempts are ended through the framework's
task tracker, as status updates would end them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import msgspec
from jobdef import iso, parse_jobs
from jobrunner import STATE, ChildProgress, JobRunner, RunnerState
from runlog import RunLine, RunLog

from frameworkkit import Task, TaskState

START = datetime(2030, 1, 1, 6, tzinfo=timezone.utc)
EVERY_MINUTE = "R3/2030-01-01T06:00:00Z/PT1M"


def make(tmp_path: Path, jobs: list[dict[str, object]]) -> JobRunner:
    runner = JobRunner(
        "http://127.0.0.1:1",  # never contacted: nothing here runs the framework
        state_dir=tmp_path / "state",
        jobs=parse_jobs(jobs),
        runs=tmp_path / "runs.jsonl",
        failure_retry=30.0,
    )
    runner.prepare(START - timedelta(hours=1))
    return runner


def finish(runner: JobRunner, name: str, state: TaskState) -> Task:
    """The task ``name`` ran and ended ``state``, kept so in the state store; its hook has not
    run yet."""
    task = runner.task(name)
    task_id = runner.tasks.start_attempt(task, "agent-1", "host-1")
    runner.tasks.update(task_id, TaskState.TASK_RUNNING)
    runner.tasks.update(task_id, state)
    runner.store.put_tasks([task.record()])  # durable before the hooks, as the framework does
    return task


def end(runner: JobRunner, name: str, state: TaskState) -> None:
    """The task ``name`` ran and ended ``state``; the runner settles it (as its hook would)."""
    runner.settle(finish(runner, name, state))


TICK_TOCK: list[dict[str, object]] = [
    {"name": "tick", "command": "x", "schedule": EVERY_MINUTE},
    {"name": "tock", "command": "x", "parents": ["tick"]},
]
FIRST_TICK = RunLine(
    job="tick",
    run="20300101T060000Z",
    scheduled="2030-01-01T06:00:00Z",
    attempt=1,
    state="TASK_FINISHED",
)


def crash_after_counting_tock(runner: JobRunner, pending: list[RunLine]) -> None:
    """Leave the state a crash right after saving it leaves when tick's first run succeeded:
    tock's first run counted but not launched, ``pending`` lines not in runs.jsonl yet."""
    state = msgspec.json.decode(runner.get_data(STATE) or "", type=RunnerState)
    state.pending = pending
    state.children["tock"] = ChildProgress(
        parents=["tick"], waiting=["tick"], runs=1, unlaunched={"r1": iso(START)}
    )
    runner.put_data(STATE, msgspec.json.encode(state).decode())


def names(runner: JobRunner) -> list[str]:
    return sorted(t.name for t in runner.tasks)


def logged(tmp_path: Path) -> list[tuple[str, str, int | None, str]]:
    lines = RunLog(tmp_path / "runs.jsonl").load().lines
    return [(x.job, x.run, x.attempt, x.state) for x in lines]


def test_a_due_run_is_launched_once_and_one_later_than_its_epsilon_is_skipped(
    tmp_path: Path,
) -> None:
    runner = make(tmp_path, [{"name": "tick", "command": "x", "schedule": EVERY_MINUTE}])
    runner.step(START - timedelta(seconds=1))
    assert names(runner) == []
    runner.step(START + timedelta(seconds=5))
    runner.step(START + timedelta(seconds=6))
    assert names(runner) == ["tick.20300101T060000Z.1"]
    # the runner slept through 06:01 (more than 60 s late) and wakes up in time for 06:02
    runner.step(START + timedelta(minutes=2, seconds=3))
    assert names(runner) == ["tick.20300101T060000Z.1", "tick.20300101T060200Z.1"]
    assert logged(tmp_path) == [("tick", "20300101T060100Z", None, "SKIPPED")]
    assert runner.next_due() is None  # R3: all three handled


def test_started_again_it_resumes_the_schedule_and_launches_nothing_twice(
    tmp_path: Path,
) -> None:
    jobs: list[dict[str, object]] = [{"name": "tick", "command": "x", "schedule": EVERY_MINUTE}]
    first = make(tmp_path, jobs)
    first.step(START + timedelta(seconds=1))
    again = make(tmp_path, jobs)
    again.step(START + timedelta(seconds=2))
    assert names(again) == ["tick.20300101T060000Z.1"]
    assert again.next_due() == (START + timedelta(minutes=1)).timestamp()
    # a changed schedule starts afresh: its first run from now on
    changed = make(tmp_path, [{**jobs[0], "schedule": "R/2000-01-01T00:00:00Z/PT1H"}])
    assert changed.next_due() == (START - timedelta(hours=1)).timestamp()


def test_a_dependent_job_runs_once_every_parent_has_succeeded_again(tmp_path: Path) -> None:
    runner = make(
        tmp_path,
        [
            {"name": "a", "command": "x", "schedule": EVERY_MINUTE},
            {"name": "b", "command": "x", "schedule": EVERY_MINUTE},
            {"name": "both", "command": "x", "parents": ["a", "b"]},
        ],
    )
    for minute in range(2):
        runner.step(START + timedelta(minutes=minute))
    end(runner, "a.20300101T060000Z.1", TaskState.TASK_FINISHED)
    end(runner, "a.20300101T060100Z.1", TaskState.TASK_FINISHED)  # a again: still waits for b
    assert not any(n.startswith("both.") for n in names(runner))
    end(runner, "b.20300101T060000Z.1", TaskState.TASK_FAILED)  # a failure counts for nothing
    end(runner, "b.20300101T060100Z.1", TaskState.TASK_FINISHED)
    assert [n for n in names(runner) if n.startswith("both.")] == ["both.r1.1"]
    runner.step(START + timedelta(minutes=2))
    end(runner, "b.20300101T060200Z.1", TaskState.TASK_FINISHED)
    assert [n for n in names(runner) if n.startswith("both.")] == ["both.r1.1"]  # a not again
    end(runner, "a.20300101T060200Z.1", TaskState.TASK_FINISHED)
    assert [n for n in names(runner) if n.startswith("both.")] == ["both.r1.1", "both.r2.1"]


def test_a_failed_run_is_retried_until_its_retries_are_spent(tmp_path: Path) -> None:
    runner = make(
        tmp_path, [{"name": "flaky", "command": "x", "schedule": EVERY_MINUTE, "retries": 1}]
    )
    runner.step(START)
    end(runner, "flaky.20300101T060000Z.1", TaskState.TASK_FAILED)
    due = runner.next_due()
    assert due is not None and due > datetime.now(timezone.utc).timestamp() + 20  # 30 s later
    runner.step(datetime.fromtimestamp(due + 1, timezone.utc))
    assert "flaky.20300101T060000Z.2" in names(runner)
    end(runner, "flaky.20300101T060000Z.2", TaskState.TASK_FAILED)
    assert runner.retries == {}  # retries: 1, so two attempts in all
    assert logged(tmp_path) == [
        ("flaky", "20300101T060000Z", 1, "TASK_FAILED"),
        ("flaky", "20300101T060000Z", 2, "TASK_FAILED"),
    ]


def test_settling_an_attempt_again_writes_nothing_more(tmp_path: Path) -> None:
    runner = make(tmp_path, [{"name": "tick", "command": "x", "schedule": EVERY_MINUTE}])
    runner.step(START)
    end(runner, "tick.20300101T060000Z.1", TaskState.TASK_FINISHED)
    runner.settle(runner.task("tick.20300101T060000Z.1"))
    line = RunLog(tmp_path / "runs.jsonl").load().lines[0]
    assert logged(tmp_path) == [("tick", "20300101T060000Z", 1, "TASK_FINISHED")]
    assert line.task_id == "tick.20300101T060000Z.1.1" and line.start and line.end


def test_a_restart_writes_the_lines_and_launches_the_runs_a_crash_left_decided(
    tmp_path: Path,
) -> None:
    crash_after_counting_tock(make(tmp_path, TICK_TOCK), [FIRST_TICK])
    again = make(tmp_path, TICK_TOCK)
    assert logged(tmp_path) == [("tick", "20300101T060000Z", 1, "TASK_FINISHED")]
    again.recover()
    again.recover()
    assert names(again) == ["tock.r1.1"]
    assert again.task("tock.r1.1").spec.env["CHRONOS_SCHEDULED_TIME"] == "2030-01-01T06:00:00Z"


def test_a_restart_retries_a_failed_attempt_whose_retry_was_not_launched(tmp_path: Path) -> None:
    jobs: list[dict[str, object]] = [{"name": "flaky", "command": "x", "schedule": EVERY_MINUTE}]
    crashed = make(tmp_path, jobs)
    crashed.step(START)
    end(crashed, "flaky.20300101T060000Z.1", TaskState.TASK_FAILED)
    again = make(tmp_path, jobs)  # the retry waited in memory only
    assert again.retries == {}
    again.recover()
    assert list(again.retries) == ["flaky.20300101T060000Z.2"]


def test_it_is_not_finished_while_an_ended_attempt_waits_for_its_hook(tmp_path: Path) -> None:
    jobs: list[dict[str, object]] = [
        {"name": "tick", "command": "x", "schedule": "R1/2030-01-01T06:00:00Z/PT1M"},
        {"name": "tock", "command": "x", "parents": ["tick"]},
    ]
    runner = make(tmp_path, jobs)
    runner.step(START + timedelta(seconds=1))
    task = finish(runner, "tick.20300101T060000Z.1", TaskState.TASK_FINISHED)
    assert runner.next_due() is None and task.done
    assert not runner.finished()
    runner.settle(task)  # the hook: tick's success launches tock's first run
    assert names(runner) == ["tick.20300101T060000Z.1", "tock.r1.1"]
    assert not runner.finished()
    end(runner, "tock.r1.1", TaskState.TASK_FINISHED)
    assert runner.finished()


def test_a_run_a_crash_left_decided_is_launched_even_if_a_newer_one_is_counted_first(
    tmp_path: Path,
) -> None:
    crashed = make(tmp_path, TICK_TOCK)
    crashed.step(START + timedelta(seconds=1))
    crashed.step(START + timedelta(minutes=1, seconds=1))  # tick's first two runs launched
    finish(crashed, "tick.20300101T060000Z.1", TaskState.TASK_FINISHED)
    # killed while settling it: its line written, tock's first run counted, not submitted
    crash_after_counting_tock(crashed, [])
    RunLog(tmp_path / "runs.jsonl").load().append(FIRST_TICK)
    again = make(tmp_path, TICK_TOCK)
    end(again, "tick.20300101T060100Z.1", TaskState.TASK_FINISHED)  # its hook, before recovery
    again.recover()
    assert [n for n in names(again) if n.startswith("tock.")] == ["tock.r1.1", "tock.r2.1"]
    assert again.task("tock.r1.1").spec.env["CHRONOS_SCHEDULED_TIME"] == "2030-01-01T06:00:00Z"
