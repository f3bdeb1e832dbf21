"""runs.jsonl: one line per job, run and attempt, durable, and whole after a crash."""

from pathlib import Path

from runlog import RunLine, RunLog


def line(run: str, attempt: int | None, state: str = "TASK_FINISHED") -> RunLine:
    return RunLine(
        job="tick", run=run, scheduled="2030-01-01T00:00:00Z", attempt=attempt, state=state
    )


def test_a_line_is_appended_once_per_job_run_and_attempt(tmp_path: Path) -> None:
    runs = RunLog(tmp_path / "runs.jsonl").load()
    runs.append(line("r1", 1, "TASK_FAILED"))
    runs.append(line("r1", 2))
    runs.append(line("r1", 2))  # again (a restart settling the same attempt): not written
    runs.append(line("r2", None, "SKIPPED"))
    again = RunLog(tmp_path / "runs.jsonl").load()
    assert [(x.run, x.attempt, x.state) for x in again.lines] == [
        ("r1", 1, "TASK_FAILED"),
        ("r1", 2, "TASK_FINISHED"),
        ("r2", None, "SKIPPED"),
    ]
    assert again.has(("tick", "r1", 2)) and not again.has(("tick", "r3", 1))


def test_a_line_cut_by_a_crash_is_dropped_and_the_next_one_starts_clean(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    RunLog(path).load().append(line("r1", 1))
    with open(path, "ab") as out:
        out.write(b'{"job":"tick","run":"r2","sched')
    runs = RunLog(path).load()
    assert [x.run for x in runs.lines] == ["r1"]
    runs.append(line("r2", 1))
    assert [x.run for x in RunLog(path).load().lines] == ["r1", "r2"]
