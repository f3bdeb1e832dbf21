"""A Chronos-style job runner on frameworkkit: jobs on ISO 8601 schedules and dependencies.

    python examples/cron/runner.py --master URL --jobs JOBS.json --state-dir D [--run-for S]

Runs the jobs of ``JOBS.json`` (Chronos's format, see ``jobdef.py``) on a Mesos cluster and
appends every attempt, and every run skipped for being later than its ``epsilon``, to
``D/runs.jsonl``. SIGKILLed and started again with the same ``D``, it runs each scheduled time
of each job exactly once. It ends by itself (exit 0, the framework ended in Mesos) once no
schedule has a run left and nothing runs; ``--run-for S`` or SIGTERM ends it earlier (exit 0),
leaving what runs to a later start.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from jobdef import parse_jobs
from jobrunner import JobRunner

log = logging.getLogger("runner")

MAX_WAIT = 1.0
"""The longest the runner sleeps between two looks at its schedules."""


def drive(runner: JobRunner, stopping: threading.Event) -> None:
    """Launch what comes due until ``stopping``, or until nothing is left (then end the
    framework in Mesos)."""
    while not stopping.is_set() and not runner.subscribed.wait(0.2):
        pass
    if stopping.is_set():
        return
    runner.recover()
    while not stopping.is_set():
        runner.step(datetime.now(timezone.utc))
        if runner.finished():
            log.info("every schedule is done and nothing runs: ending")
            runner.stop(teardown=True)
            return
        due = runner.next_due()
        wait = MAX_WAIT if due is None else min(MAX_WAIT, max(0.0, due - time.time()))
        runner.wake.wait(wait)
        runner.wake.clear()


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run Chronos-style jobs on Mesos, each scheduled run exactly once."
    )
    parser.add_argument("--master", required=True, help="http://host:5050 or zk://hosts/mesos")
    parser.add_argument("--jobs", required=True, type=Path, help="the jobs (a JSON list)")
    parser.add_argument("--state-dir", required=True, type=Path, help="state and runs.jsonl")
    parser.add_argument("--run-for", type=float, help="stop after this many seconds")
    parser.add_argument(
        "--failure-retry",
        type=float,
        default=60.0,
        help="seconds before a failed run is retried (Chronos's --failure_retry; default 60)",
    )
    args = parser.parse_args(argv)
    if args.run_for is not None and args.run_for <= 0:
        parser.error("--run-for: a number of seconds above 0")
    if args.failure_retry < 0:
        parser.error("--failure-retry: a number of seconds, 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        jobs = parse_jobs(json.loads(args.jobs.read_text()))
    except (OSError, ValueError) as error:  # unreadable, not JSON, or a bad job
        print(f"runner: {args.jobs}: {error}", file=sys.stderr)
        return 2
    runner = JobRunner(
        args.master,
        state_dir=args.state_dir,
        jobs=jobs,
        runs=args.state_dir / "runs.jsonl",
        failure_retry=args.failure_retry,
    )
    runner.prepare(datetime.now(timezone.utc))
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()
        runner.wake.set()
        runner.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    if args.run_for is not None:
        timer = threading.Timer(args.run_for, stop)
        timer.daemon = True
        timer.start()
    driver = threading.Thread(target=drive, args=(runner, stopping), name="runner-drive")
    driver.start()
    try:
        if not stopping.is_set():
            runner.run(until="forever")
    finally:
        stopping.set()
        runner.wake.set()
        driver.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
