"""The job runner: Chronos's scheduling on frameworkkit, each scheduled run exactly once.

Every attempt of every run is a task named ``<job>.<run>.<attempt>`` (``run`` being the
scheduled time, or ``r<k>`` for a dependent job's k-th run), so the name, kept in the state
store, says whether that run was launched, whatever the number of restarts. What the runner must
remember beside the tasks (where each schedule stands, which parents of a dependent job have
succeeded since its last run, run lines not yet in ``runs.jsonl``) is one value in the same
store, written before the ``runs.jsonl`` line it leads to; on start, whatever a crash left half
done is finished: lines written, follow-up runs and retries launched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import msgspec
from jobdef import Job, iso, parse_iso, run_key, run_spec
from runlog import RunLine, RunLog

from frameworkkit import Framework, Task, TaskSpec, TaskState

log = logging.getLogger("runner")

STATE = "runner"
"""The name of the runner's own value in the state store."""


class ScheduleProgress(msgspec.Struct, kw_only=True):
    schedule: str
    time_zone: str
    start: str  # the first run's time (fixed when the job was first seen)
    next: int  # the index of the first run not handled yet


class ChildProgress(msgspec.Struct, kw_only=True):
    parents: list[str]
    waiting: list[str]  # parents that have not succeeded since the last run
    runs: int = 0  # runs triggered so far
    unlaunched: dict[str, str] = {}  # runs triggered (r<k>) not seen launched yet, and when


class RunnerState(msgspec.Struct, kw_only=True):
    schedules: dict[str, ScheduleProgress] = {}
    children: dict[str, ChildProgress] = {}
    pending: list[RunLine] = []  # lines written here before they go to runs.jsonl


class JobRunner(Framework):
    """Runs ``jobs`` on schedule; every attempt, and every skipped run, goes to ``runs``."""

    name = "job-runner"

    def __init__(
        self,
        master: str,
        *,
        state_dir: Path,
        jobs: dict[str, Job],
        runs: Path,
        failure_retry: float = 60.0,
    ) -> None:
        super().__init__(master, state_dir=state_dir)
        self.jobs = jobs
        self.runs = RunLog(runs)
        self.failure_retry = failure_retry
        self.wake = threading.Event()
        self.subscribed = threading.Event()
        self.guard = threading.RLock()
        self.progress = RunnerState()
        self.retries: dict[str, tuple[float, TaskSpec]] = {}  # name -> (when due, its spec)

    # ---- start -------------------------------------------------------------------------------

    def prepare(self, now: datetime) -> None:
        """Load the progress and the run log, finish the lines a crash left, and take up the
        jobs as given now: a new or changed schedule starts at its first run from ``now``."""
        saved = self.get_data(STATE)
        if saved is not None:
            self.progress = msgspec.json.decode(saved, type=RunnerState)
        self.runs.load()
        for line in self.progress.pending:
            self.runs.append(line)
        schedules = {}
        for name, job in self.jobs.items():
            timing, before = job.timing, self.progress.schedules.get(name)
            if timing is None:
                continue
            if before is not None and (before.schedule, before.time_zone) == (
                job.schedule,
                job.schedule_time_zone,
            ):
                schedules[name] = before
                continue
            start = timing.start or now.astimezone(timezone.utc)
            skipped = timing.first_at_or_after(start, now) if timing.start else 0
            if skipped:
                log.info("%s: starts at run %d; the %d before are past", name, skipped, skipped)
            assert job.schedule is not None
            schedules[name] = ScheduleProgress(
                schedule=job.schedule,
                time_zone=job.schedule_time_zone,
                start=start.isoformat(),
                next=skipped,
            )
        children = {}
        for name, job in self.jobs.items():
            if job.parents:  # new parents: all of them have to succeed before the next run
                parents = sorted(job.parents)
                kept = self.progress.children.get(name)
                fresh = ChildProgress(parents=parents, waiting=list(parents))
                children[name] = kept if kept is not None and kept.parents == parents else fresh
        self.progress.schedules, self.progress.children = schedules, children
        self._save()

    def recover(self) -> None:
        """Finish what a crash left half done: runs ended but not settled, retries and
        dependent runs decided but not launched. Called once subscribed (tasks are loaded)."""
        with self.guard:
            for task in sorted(self._mine(), key=lambda t: t.ended_at or 0.0):
                if task.done:
                    self.settle(task)
            for task in self._mine():
                if task.done and self._retry_wanted(task):
                    self._retry(task)
            for name in self.progress.children:
                self._launch_triggered(name)

    # ---- hooks -------------------------------------------------------------------------------

    def on_subscribed(self, framework_id: str) -> None:
        self.subscribed.set()

    def on_task_finished(self, task: Task) -> None:
        self.settle(task)

    def on_task_failed(self, task: Task) -> None:
        self.settle(task)

    def on_task_killed(self, task: Task) -> None:
        self.settle(task)

    # ---- runs --------------------------------------------------------------------------------

    def settle(self, task: Task) -> None:
        """Once per attempt that ended: its line, then what follows (a retry, dependent runs)."""
        labels = task.spec.labels
        if "job" not in labels:
            return
        line = RunLine(
            job=labels["job"],
            run=labels["run"],
            scheduled=labels["scheduled"],
            attempt=int(labels["attempt"]),
            state=task.state.value,
            task_id=task.task_id,
            start=_iso(task.started_at),
            end=_iso(task.ended_at),
        )
        with self.guard:
            if self.runs.has(line.key) or any(p.key == line.key for p in self.progress.pending):
                return
            children = list(self._credit(line.job)) if task.state is TaskState.TASK_FINISHED else []
            self.progress.pending.append(line)
            self._save()
            self.runs.append(line)
            for child in children:
                self._launch_triggered(child)
            if self._retry_wanted(task):
                self._retry(task)
        self.wake.set()

    def step(self, now: datetime) -> None:
        """Launch (or skip) the scheduled runs that are due, and the retries."""
        with self.guard:
            for name, progress in self.progress.schedules.items():
                job = self.jobs[name]
                if not job.disabled:
                    self._due(job, progress, now)
            for name, (due, spec) in list(self.retries.items()):
                if due <= now.timestamp():
                    del self.retries[name]
                    self._launch(spec)

    def next_due(self) -> float | None:
        """When something is next due (epoch seconds), None if nothing ever will be."""
        with self.guard:
            times = [due for due, _ in self.retries.values()]
            for name, progress in self.progress.schedules.items():
                timing = self.jobs[name].timing
                if (
                    timing is not None
                    and timing.has(progress.next)
                    and not self.jobs[name].disabled
                ):
                    start = datetime.fromisoformat(progress.start)
                    times.append(timing.occurrence(start, progress.next).timestamp())
            return min(times, default=None)

    def finished(self) -> bool:
        """Nothing runs, nothing waits, no schedule has a run left, and every attempt that
        ended was settled (a task is done before its hook settles it: what follows it, a
        dependent run or a retry, is only decided then)."""
        with self.guard:
            return self.next_due() is None and all(
                t.done and self.runs.has(_line_key(t)) for t in self._mine()
            )

    def _due(self, job: Job, progress: ScheduleProgress, now: datetime) -> None:
        timing = job.timing
        assert timing is not None
        start = datetime.fromisoformat(progress.start)
        while timing.has(progress.next):
            moment = timing.occurrence(start, progress.next)
            if moment > now:
                return
            spec = run_spec(job, run_key(moment), 1, moment)
            late = (now - moment).total_seconds()
            skipped = None
            if self._known(spec.name):
                pass  # launched before a restart
            elif late > job.epsilon_seconds:
                log.warning("%s: skipping the run of %s, %.1f s late", job.name, iso(moment), late)
                skipped = RunLine(
                    job=job.name,
                    run=run_key(moment),
                    scheduled=iso(moment),
                    attempt=None,
                    state="SKIPPED",
                )
                self.progress.pending.append(skipped)
            else:
                self._launch(spec)
            progress.next += 1
            self._save()
            if skipped is not None:
                self.runs.append(skipped)

    def _credit(self, parent: str) -> Iterator[str]:
        """``parent`` succeeded: the dependent jobs whose every parent has now succeeded since
        their last run (each gets its next run counted)."""
        for name, progress in self.progress.children.items():
            job = self.jobs[name]
            if parent not in (job.parents or []) or job.disabled:
                continue
            if parent in progress.waiting:
                progress.waiting.remove(parent)
            if not progress.waiting:
                progress.runs += 1
                progress.unlaunched[f"r{progress.runs}"] = iso(_now())
                progress.waiting = list(progress.parents)
                yield name

    def _launch_triggered(self, name: str) -> None:
        """Launch the dependent job's triggered runs not launched yet, oldest first (a crash
        may leave several: one decided before it, more counted after the restart)."""
        progress = self.progress.children[name]
        for run, when in sorted(progress.unlaunched.items(), key=lambda item: int(item[0][1:])):
            self._launch(run_spec(self.jobs[name], run, 1, parse_iso(when)))
        progress.unlaunched = {}  # saved with the next change; a restart before finds them launched

    def _retry_wanted(self, task: Task) -> bool:
        job = self.jobs.get(task.spec.labels["job"])
        failed = task.state not in (TaskState.TASK_FINISHED, TaskState.TASK_KILLED)
        attempt = int(task.spec.labels["attempt"])
        return job is not None and failed and attempt <= job.retries

    def _retry(self, task: Task) -> None:
        labels = task.spec.labels
        job = self.jobs[labels["job"]]
        attempt = int(labels["attempt"]) + 1
        moment = parse_iso(labels["scheduled"])
        spec = run_spec(job, labels["run"], attempt, moment)
        if not self._known(spec.name) and spec.name not in self.retries:
            due = (task.ended_at or time.time()) + self.failure_retry
            log.info("%s: retrying %s as attempt %d", job.name, labels["run"], attempt)
            self.retries[spec.name] = (due, spec)

    def _launch(self, spec: TaskSpec) -> None:
        """Submit ``spec`` unless a task of its name exists (submitted before a restart)."""
        if not self._known(spec.name):
            log.info("launching %s", spec.name)
            self.submit(spec)

    def _known(self, name: str) -> bool:
        try:
            self.task(name)
        except KeyError:
            return False
        return True

    def _mine(self) -> list[Task]:
        return [t for t in list(self.tasks) if "job" in t.spec.labels]

    def _save(self) -> None:
        """Keep the progress (and the lines not in runs.jsonl yet) in the state store."""
        self.progress.pending = [p for p in self.progress.pending if not self.runs.has(p.key)]
        self.put_data(STATE, msgspec.json.encode(self.progress).decode())


def _line_key(task: Task) -> tuple[str, str, int | None]:
    """The key of the run line an attempt's end writes (see :class:`RunLine`)."""
    labels = task.spec.labels
    return (labels["job"], labels["run"], int(labels["attempt"]))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso(datetime.fromtimestamp(timestamp, timezone.utc))
