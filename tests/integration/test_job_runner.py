"""The Chronos-style job runner (examples/cron) on real Mesos, SIGKILLed mid-schedule and started
again with the same state directory: each scheduled time of each job ran exactly once, runs too
late for their epsilon were skipped and logged, a dependent job ran once per success of its
parent, and a failed run was retried."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from frameworkkit import FileStateStore
from frameworkkit.testing import EmbeddedCluster

RUNNER = Path(__file__).parents[2] / "examples" / "cron" / "runner.py"
RUNS = 8


def runner(master: str, jobs: Path, state: Path, log: Path) -> subprocess.Popen[bytes]:
    options = ["--master", master, "--jobs", str(jobs), "--state-dir", str(state)]
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, str(RUNNER), *options, "--failure-retry", "0.5"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def lines(runs: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in runs.read_text().splitlines()] if runs.exists() else []


def test_a_runner_killed_and_started_again_runs_each_scheduled_time_exactly_once(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    state, side = tmp_path / "state", tmp_path / "side"
    side.mkdir()
    start = (datetime.now(timezone.utc) + timedelta(seconds=5)).replace(microsecond=0)
    every_2s = f"R{RUNS}/{start.isoformat().replace('+00:00', 'Z')}/PT2S"
    # each run appends its task id to a file named after the run: <job>.<run>
    mark = f'echo "$FRAMEWORKKIT_TASK_ID" >> {side}/"${{FRAMEWORKKIT_TASK_ID%.*.*}}"'
    small = {"cpus": 0.1, "mem": 32, "disk": 0}
    jobs = [
        {"name": "tick", "command": f"{mark}; sleep 1.5", "schedule": every_2s, **small},
        {"name": "strict", "command": mark, "schedule": every_2s, "epsilon": "PT1S", **small},
        {"name": "tock", "command": mark, "parents": ["tick"], **small},
        {
            "name": "flaky",  # fails its first attempt, succeeds on the retry
            "command": f"{mark}; test -e {side}/ok || {{ touch {side}/ok; exit 3; }}",
            "schedule": "R1//PT1H",
            **small,
        },
    ]
    jobs_file, runs = tmp_path / "jobs.json", state / "runs.jsonl"
    jobs_file.write_text(json.dumps(jobs))

    first = runner(mesos_cluster.url, jobs_file, state, tmp_path / "first.log")
    deadline = time.monotonic() + 90

    def tick_in_flight() -> bool:
        """Two tick runs finished and a third one started but not logged as ended."""
        logged = {line["run"] for line in lines(runs) if line["job"] == "tick"}
        started = {p.name.split(".", 1)[1] for p in side.glob("tick.*")}
        return len(logged) >= 2 and bool(started - logged)

    while not tick_in_flight():
        assert first.poll() is None and time.monotonic() < deadline, (
            tmp_path / "first.log"
        ).read_text()
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    assert first.wait(30) == -signal.SIGKILL
    time.sleep(4)  # runs come due meanwhile; strict's (epsilon 1 s) are then too late

    second = runner(mesos_cluster.url, jobs_file, state, tmp_path / "second.log")
    assert second.wait(150) == 0, (tmp_path / "second.log").read_text()

    logged = lines(runs)
    keys = Counter((line["job"], line["run"], line["attempt"]) for line in logged)
    assert max(keys.values()) == 1, keys
    by_job: dict[str, list[dict[str, Any]]] = {}
    for line in logged:
        by_job.setdefault(line["job"], []).append(line)
    scheduled = sorted(
        (start + timedelta(seconds=2 * i)).strftime("%Y%m%dT%H%M%SZ") for i in range(RUNS)
    )
    ran = {p.name: p.read_text().split() for p in side.iterdir() if p.name != "ok"}
    assert all(len(ids) == 1 for name, ids in ran.items() if not name.startswith("flaky")), ran

    # every scheduled time of tick ran once, killed or not, and finished
    assert sorted(line["run"] for line in by_job["tick"]) == scheduled
    assert {line["state"] for line in by_job["tick"]} == {"TASK_FINISHED"}
    assert all(line["start"] and line["end"] for line in by_job["tick"])
    assert sorted(n.split(".", 1)[1] for n in ran if n.startswith("tick.")) == scheduled

    # strict: each scheduled time once, run or skipped (late by more than its epsilon)
    assert sorted(line["run"] for line in by_job["strict"]) == scheduled
    skipped = {line["run"] for line in by_job["strict"] if line["state"] == "SKIPPED"}
    finished = {line["run"] for line in by_job["strict"] if line["state"] == "TASK_FINISHED"}
    assert skipped and finished and skipped | finished == set(scheduled)
    assert all(line["attempt"] is None for line in by_job["strict"] if line["run"] in skipped)
    assert {n.split(".", 1)[1] for n in ran if n.startswith("strict.")} == finished

    # tock ran once for each success of tick
    assert sorted(line["run"] for line in by_job["tock"]) == sorted(
        f"r{k}" for k in range(1, RUNS + 1)
    )
    assert {line["state"] for line in by_job["tock"]} == {"TASK_FINISHED"}
    assert sorted(n for n in ran if n.startswith("tock.")) == sorted(
        f"tock.r{k}" for k in range(1, RUNS + 1)
    )

    # flaky: attempt 1 failed, attempt 2 (the retry) of the same run finished
    assert [(line["attempt"], line["state"]) for line in by_job["flaky"]] == [
        (1, "TASK_FAILED"),
        (2, "TASK_FINISHED"),
    ]
    assert len({line["run"] for line in by_job["flaky"]}) == 1

    # done: the framework was ended in Mesos
    assert FileStateStore(state).load().framework_id is None
    assert not any(f["name"] == "job-runner" for f in mesos_cluster.state()["frameworks"])
