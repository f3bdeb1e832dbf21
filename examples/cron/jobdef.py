"""Jobs in Chronos's JSON format, checked, with Chronos 2.4's defaults.

A jobs file is a JSON list of jobs. Each has a ``name`` and a ``command`` and either a
``schedule`` (``R[n]/start/period``, see ``intervals.py``, with an optional ``scheduleTimeZone``)
or ``parents`` (it runs once every parent has succeeded again). ``retries`` (2) failed runs are
retried; a scheduled run later than ``epsilon`` (``PT60S``) is skipped. ``cpus`` (0.1), ``mem``
(128), ``disk`` (256), ``shell`` (true), ``arguments``, ``environmentVariables`` and
``disabled`` are Chronos's too; ``owner``, ``ownerName`` and ``description`` are kept and
otherwise ignored. A bad field raises :class:`JobDefinitionError` naming it.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone

import msgspec
from intervals import Period, Schedule, ScheduleError

from frameworkkit import TaskSpec, TaskSpecError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,149}$")


class JobDefinitionError(ValueError):
    """A job definition is malformed; the message starts with the field."""


class EnvironmentVariable(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    value: str


class Job(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """One Chronos job."""

    name: str
    command: str
    schedule: str | None = None
    schedule_time_zone: str = ""
    parents: list[str] | None = None
    retries: int = 2
    epsilon: str = "PT60S"
    cpus: float = 0.1
    mem: float = 128.0
    disk: float = 256.0
    shell: bool = True
    arguments: list[str] = []
    environment_variables: list[EnvironmentVariable] = []
    disabled: bool = False
    owner: str = ""
    owner_name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(
                f"name: 1-150 letters, digits, '_' or '-' (it names the job's tasks), "
                f"got {self.name!r}"
            )
        if (self.schedule is None) == (not self.parents):
            raise ValueError("schedule: give a schedule or parents (a dependent job), not both")
        try:
            self.timing  # noqa: B018 (parsed here, so that a bad one fails now)
        except ScheduleError as error:
            raise ValueError(f"schedule: {error}") from None
        try:
            Period.parse(self.epsilon).seconds()
        except ScheduleError as error:
            raise ValueError(f"epsilon: {error}") from None
        if self.retries < 0:
            raise ValueError(f"retries: a number >= 0, got {self.retries}")
        for name in ("cpus", "mem", "disk"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name}: a number >= 0, got {value!r}")

    @property
    def timing(self) -> Schedule | None:
        """The parsed schedule (None for a dependent job)."""
        if self.schedule is None:
            return None
        return Schedule.parse(self.schedule, self.schedule_time_zone)

    @property
    def epsilon_seconds(self) -> float:
        return Period.parse(self.epsilon).seconds()


def parse_jobs(document: object) -> dict[str, Job]:
    """The jobs of a jobs file by name, checked one by one and together (unique names,
    parents that exist, no dependency cycle), or :class:`JobDefinitionError`."""
    if not isinstance(document, list):
        raise JobDefinitionError(f"jobs: a JSON list of jobs, got {type(document).__name__}")
    jobs: dict[str, Job] = {}
    for index, item in enumerate(document):
        try:
            job = msgspec.convert(item, Job)
            run_spec(job, "check", 1, datetime.now().astimezone())  # env names, resources
        except msgspec.ValidationError as error:  # names the field: "... - at `$.retries`"
            raise JobDefinitionError(f"jobs[{index}]: {error}") from None
        except TaskSpecError as error:
            problem = str(error).removeprefix(f"TaskSpec.{error.field}: ")
            raise JobDefinitionError(f"jobs[{index}].{error.field}: {problem}") from None
        if job.name in jobs:
            raise JobDefinitionError(f"jobs[{index}].name: {job.name!r} is defined twice")
        jobs[job.name] = job
    for index, job in enumerate(jobs.values()):
        for parent in job.parents or []:
            if parent not in jobs:
                raise JobDefinitionError(f"jobs[{index}].parents: no job named {parent!r}")
    _check_acyclic(jobs)
    return jobs


def run_spec(job: Job, run: str, attempt: int, scheduled: datetime) -> TaskSpec:
    """The task of one attempt of one run of ``job``: named ``<job>.<run>.<attempt>``, so a
    run is launched once whatever the number of restarts."""
    command: str | list[str] = job.command if job.shell else [job.command, *job.arguments]
    builtin = {
        "CHRONOS_JOB_NAME": job.name,
        "CHRONOS_JOB_OWNER": job.owner,
        "CHRONOS_RESOURCE_CPU": str(job.cpus),
        "CHRONOS_RESOURCE_MEM": str(job.mem),
        "CHRONOS_RESOURCE_DISK": str(job.disk),
        "CHRONOS_SCHEDULED_TIME": iso(scheduled),
        "CHRONOS_ATTEMPT": str(attempt),
    }
    own = {v.name: v.value for v in job.environment_variables if v.name not in builtin}
    return TaskSpec(
        name=f"{job.name}.{run}.{attempt}",
        command=command,
        cpus=job.cpus,
        mem=job.mem,
        disk=job.disk,
        env={**own, **builtin},
        labels={"job": job.name, "run": run, "scheduled": iso(scheduled), "attempt": str(attempt)},
    )


def iso(moment: datetime) -> str:
    """A time as ISO 8601 in UTC, to the second: ``2030-01-01T06:00:00Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """A time written by :func:`iso` (or with an offset) back as a datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_key(moment: datetime) -> str:
    """A scheduled time as the run part of a task name: ``20300101T060000Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _check_acyclic(jobs: dict[str, Job]) -> None:
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = " -> ".join([*path[path.index(name) :], name])
            raise JobDefinitionError(f"parents: the dependencies form a cycle: {cycle}")
        if name not in done:
            for parent in jobs[name].parents or []:
                visit(parent, [*path, name])
            done.add(name)

    for name in jobs:
        visit(name, [])
