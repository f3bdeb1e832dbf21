"""What a framework author asks for: a :class:`TaskSpec` per task, validated when it is made."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import msgspec

from frameworkkit.containers import Container, DockerContainer, HealthCheck, MesosContainer

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_KNOWN_SCALARS = ("cpus", "mem", "disk", "gpus")


class TaskSpecError(ValueError):
    """A TaskSpec argument is invalid; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"TaskSpec.{field}: {problem}")
        self.field = field


class TaskSpec(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One task to run: its command, resources, placement rules and retry policy.

    ``command`` is a shell string or an argv list. ``ports`` is a count of host ports to take from
    the offer or a list of port names (each gets one port, exported as ``PORT_<NAME>``; all are in
    ``PORTS``). ``resources`` adds other scalar resources by name. ``constraints`` use Marathon's
    syntax (``["hostname", "UNIQUE"]``, ``["rack", "GROUP_BY", "3"]``) or placement Constraint
    objects; they count the running and placed tasks of the same ``group`` (like the tasks of one
    Marathon app). ``container`` is a :class:`~frameworkkit.containers.DockerContainer` or
    :class:`~frameworkkit.containers.MesosContainer`; Docker port mappings without a host port
    take the task's first ports. A failed attempt is retried up to ``max_retries`` times, waiting
    ``retry_backoff_seconds`` doubled per attempt (at most 60 s).
    """

    name: str
    command: str | list[str] | None = None
    cpus: float = 0.1
    mem: float = 32.0
    disk: float = 0.0
    gpus: int = 0
    ports: int | list[str] = 0
    resources: dict[str, float] = {}
    env: dict[str, str] = {}
    role: str | None = None
    constraints: list[list[str]] = []
    group: str = "default"
    container: Container | None = None
    health_check: HealthCheck | None = None
    kill_grace_seconds: float | None = None
    max_retries: int = 0
    retry_backoff_seconds: float = 1.0
    labels: dict[str, str] = {}
    data: bytes | None = None

    def __post_init__(self) -> None:
        _normalize(self)
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            _fail("name", "1-200 letters, digits, '.', '_' or '-', not starting with a symbol")
        _check_command(self.command)
        for field in ("cpus", "mem", "disk"):
            _non_negative(field, getattr(self, field))
        if self.cpus == 0 and self.mem == 0:
            _fail("cpus", "a task needs some cpus or mem")
        if not isinstance(self.gpus, int) or self.gpus < 0:
            _fail("gpus", f"must be a whole number >= 0, got {self.gpus!r}")
        _check_ports(self.ports)
        for name, amount in self.resources.items():
            if name in _KNOWN_SCALARS or name == "ports":
                _fail("resources", f"{name!r} has its own TaskSpec field")
            if not re.match(r"^[a-z][a-z0-9_.-]*$", name):
                _fail("resources", f"unknown resource name {name!r}")
            _non_negative(f"resources[{name!r}]", amount)
        for key in self.env:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
                _fail("env", f"{key!r} is not an environment variable name")
        if self.role is not None and not re.match(r"^[^/.\s][^\s]*$", self.role or "/"):
            _fail("role", f"{self.role!r} is not a Mesos role name")
        _check_constraints(self.constraints)
        if not isinstance(self.group, str) or not _NAME.match(self.group):
            _fail("group", f"a name like the task's, got {self.group!r}")
        needed = (
            self.container.host_ports_needed() if isinstance(self.container, DockerContainer) else 0
        )
        if needed > len(self.port_names):
            _fail(
                "ports",
                f"the container maps {needed} host ports from the offer; ask for "
                f"at least that many ports",
            )
        index = self.health_check.port_index if self.health_check else None
        if index is not None and index >= len(self.port_names):
            _fail(
                "health_check",
                f"port_index {index} but the task asks for {len(self.port_names)} ports",
            )
        if self.kill_grace_seconds is not None:
            _non_negative("kill_grace_seconds", self.kill_grace_seconds)
        if not isinstance(self.max_retries, int) or self.max_retries < 0:
            _fail("max_retries", f"must be a whole number >= 0, got {self.max_retries!r}")
        _non_negative("retry_backoff_seconds", self.retry_backoff_seconds)

    @property
    def port_names(self) -> list[str]:
        """One name per port asked for (``port0``, ``port1``, ... for a plain count)."""
        if isinstance(self.ports, int):
            return [f"port{i}" for i in range(self.ports)]
        return list(self.ports)


def _fail(field: str, problem: str) -> None:
    raise TaskSpecError(field, problem)


def _non_negative(field: str, value: object) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        _fail(field, f"must be a finite number >= 0, got {value!r}")


def _check_command(command: object) -> None:
    if command is None or (isinstance(command, str) and command.strip()):
        return
    if isinstance(command, list) and command and all(isinstance(a, str) for a in command):
        return
    _fail("command", "a non-empty shell string or a non-empty list of strings")


def _check_ports(ports: object) -> None:
    if isinstance(ports, bool):
        _fail("ports", "a count or a list of names")
    if isinstance(ports, int):
        if ports < 0 or ports > 100:
            _fail("ports", f"a count from 0 to 100, got {ports}")
        return
    names = list(ports) if isinstance(ports, list) else []
    if not names or not all(
        isinstance(n, str) and re.match(r"^[a-z][a-z0-9_]*$", n) for n in names
    ):
        _fail("ports", "a count or a list of lower-case names like ['http', 'admin']")
    if len(set(names)) != len(names):
        _fail("ports", "port names must be distinct")


_OPERATORS = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"}


def _check_constraints(constraints: Sequence[Sequence[str]]) -> None:
    for i, c in enumerate(constraints):
        where = f"constraints[{i}]"
        if (
            not isinstance(c, list)
            or not 2 <= len(c) <= 3
            or not all(isinstance(p, str) for p in c)
        ):
            _fail(where, f"Marathon form [field, OPERATOR(, value)], got {c!r}")
        if c[1] not in _OPERATORS:
            _fail(where, f"unknown operator {c[1]!r}; one of {sorted(_OPERATORS)}")


def _normalize(spec: TaskSpec) -> None:
    """Turn builder objects into their plain (persistable) form: Marathon lists, JSON dicts."""
    if spec.constraints:
        plain = [list(getattr(c, "to_marathon", lambda c=c: c)()) for c in spec.constraints]
        msgspec.structs.force_setattr(spec, "constraints", plain)
    for name, kind in (
        ("container", (DockerContainer, MesosContainer)),
        ("health_check", HealthCheck),
    ):
        value = getattr(spec, name)
        if value is not None and not isinstance(value, kind):
            _fail(name, f"a {name.replace('_', ' ')} builder, got {type(value).__name__}")
    if isinstance(spec.command, tuple):
        msgspec.structs.force_setattr(spec, "command", list(spec.command))
