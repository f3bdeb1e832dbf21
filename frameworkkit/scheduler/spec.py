"""What a framework author asks for: a :class:`TaskSpec` per task, validated when it is made."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec

from frameworkkit import validation
from frameworkkit.containers import Container, DockerContainer, HealthCheck, MesosContainer
from frameworkkit.placement import Constraint

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")
_PORT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OWN_FIELDS = ("cpus", "mem", "disk", "gpus", "ports")
MAX_PORTS = 100


class TaskSpecError(ValueError):
    """A TaskSpec argument is invalid; ``field`` names it (``cpus``, ``constraints[1]``, ...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"TaskSpec.{field}: {problem}")
        self.field = field


class TaskSpec(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One task to run: its command, resources, placement rules and retry policy.

    Fields and defaults:

    - ``name``: the task's key within its framework (letters, digits, ``.``, ``_``, ``-``; at
      most 200). Submitting a name again returns the task already submitted under it.
    - ``command``: a shell string or an argv list; None runs a container's own entrypoint.
    - ``cpus`` (0.1), ``mem`` MB (32), ``disk`` MB (0), ``gpus`` (0), ``resources`` (other
      scalar resources by name, ``{}``).
    - ``ports`` (0): a count of host ports, or a list of port names (any free port, exported
      as ``PORT_<NAME>``) and fixed port numbers (that port of the offer); all are in
      ``PORT0``.. and ``PORTS``.
    - ``env`` (``{}``), ``labels`` (``{}``), ``data`` (None: bytes for a custom executor).
    - ``role`` (None: the framework's role).
    - ``constraints`` (``[]``): :class:`~frameworkkit.placement.Constraint` objects or
      Marathon's lists (``["hostname", "UNIQUE"]``, ``["rack", "GROUP_BY", "3"]``).
    - ``group`` (None): tasks of one group are counted together by counting constraints
      (UNIQUE, MAX_PER, GROUP_BY, CLUSTER), like the tasks of one Marathon app. Without a
      group, a task is counted with the other ungrouped tasks that have the same constraints.
    - ``container``: a :class:`~frameworkkit.containers.DockerContainer` or
      :class:`~frameworkkit.containers.MesosContainer`; Docker port mappings without a host
      port take the task's first ports. ``health_check``: a
      :class:`~frameworkkit.containers.HealthCheck`.
    - ``kill_grace_seconds`` (None: Mesos's 3 s): between SIGTERM and SIGKILL.
    - ``max_retries`` (0): attempts that fail on their own (non-zero exit, TASK_ERROR) are
      retried this many times, waiting ``retry_backoff_seconds`` (1) doubled per attempt, at
      most 60 s.
    - ``max_relaunches`` (5): attempts lost to the cluster (agent gone, executor never
      registered, master failover; see the docs' table) are relaunched this many times, with
      the same backoff, without spending ``max_retries``.

    Every field is checked here: a bad value raises :class:`TaskSpecError` naming it.
    """

    name: str
    command: str | list[str] | None = None
    cpus: float = 0.1
    mem: float = 32.0
    disk: float = 0.0
    gpus: int = 0
    ports: int | list[str | int] = 0
    resources: dict[str, float] = {}
    env: dict[str, str] = {}
    role: str | None = None
    constraints: Sequence[Constraint | Sequence[str]] = ()  # kept as a tuple of Constraint
    group: str | None = None
    container: Container | None = None
    health_check: HealthCheck | None = None
    kill_grace_seconds: float | None = None
    max_retries: int = 0
    max_relaunches: int = 5
    retry_backoff_seconds: float = 1.0
    labels: dict[str, str] = {}
    data: bytes | None = None

    def __post_init__(self) -> None:
        _checked(self)

    @property
    def port_names(self) -> list[str | int]:
        """One entry per port asked for: its name or fixed number (``port0``, ``port1``, ...
        for a plain count)."""
        if isinstance(self.ports, int):
            return [f"port{i}" for i in range(self.ports)]
        return list(self.ports)

    @property
    def counting_group(self) -> str:
        """The group counting constraints count this task in (see ``group``)."""
        if self.group is not None:
            return self.group
        return "constraints:" + ";".join(str(c) for c in self.constraints)

    def to_builtins(self) -> dict[str, Any]:
        """The spec as JSON-ready builtins (for a state store); :meth:`from_builtins` reverses."""
        plain: dict[str, Any] = msgspec.to_builtins(self)
        return plain

    @classmethod
    def from_builtins(cls, plain: dict[str, Any]) -> TaskSpec:
        """A spec from :meth:`to_builtins`' form, checked as at construction."""
        return msgspec.convert(plain, cls)


def _fail(field: str, problem: str) -> None:
    raise TaskSpecError(field, problem)


def _field_check(field: str, check: Any, *args: Any, **options: Any) -> Any:
    """Run a :mod:`frameworkkit.validation` check, reporting its problem as a TaskSpecError."""
    try:
        return check(field, *args, **options)
    except (TypeError, ValueError) as error:
        problem = str(error).removeprefix(f"{field}: ")
        raise TaskSpecError(field, problem) from None


def _checked(spec: TaskSpec) -> None:
    set_field = msgspec.structs.force_setattr
    if not isinstance(spec.name, str) or not _NAME.match(spec.name):
        _fail(
            "name",
            f"1-200 letters, digits, '.', '_' or '-', not starting with a symbol; "
            f"got {spec.name!r}",
        )
    _check_command(spec.command)
    if isinstance(spec.command, tuple):
        set_field(spec, "command", list(spec.command))
    for field in ("cpus", "mem", "disk"):
        set_field(spec, field, _field_check(field, validation.number, getattr(spec, field)))
    if spec.cpus == 0 and spec.mem == 0:
        _fail("cpus", "a task needs some cpus or mem")
    _field_check("gpus", validation.whole_number, spec.gpus)
    _check_ports(spec.ports)
    for name, amount in spec.resources.items():
        if name in _OWN_FIELDS:
            _fail("resources", f"{name!r} has its own TaskSpec field")
        if not isinstance(name, str) or not _RESOURCE_NAME.match(name):
            _fail("resources", f"{name!r} is not a resource name")
        _field_check(f"resources[{name!r}]", validation.number, amount)
    for key in spec.env:
        if not isinstance(key, str) or not _ENV_NAME.match(key):
            _fail("env", f"{key!r} is not an environment variable name")
    if spec.role is not None:
        _field_check("role", validation.role, spec.role)
    set_field(spec, "constraints", _constraints(spec.constraints))
    if spec.group is not None and (not isinstance(spec.group, str) or not _NAME.match(spec.group)):
        _fail("group", f"a name like a task's, got {spec.group!r}")
    _check_container(spec)
    if spec.kill_grace_seconds is not None:
        _field_check("kill_grace_seconds", validation.number, spec.kill_grace_seconds)
    _field_check("max_retries", validation.whole_number, spec.max_retries)
    _field_check("max_relaunches", validation.whole_number, spec.max_relaunches)
    _field_check("retry_backoff_seconds", validation.number, spec.retry_backoff_seconds)
    if spec.data is not None and not isinstance(spec.data, bytes):
        _fail("data", f"must be bytes, got {type(spec.data).__name__}")


def _check_command(command: object) -> None:
    if command is None or (isinstance(command, str) and command.strip()):
        return
    if isinstance(command, (list, tuple)) and command and all(isinstance(a, str) for a in command):
        return
    _fail("command", f"a non-empty shell string or a non-empty list of strings, got {command!r}")


def _check_ports(ports: object) -> None:
    if isinstance(ports, int) and not isinstance(ports, bool):
        if not 0 <= ports <= MAX_PORTS:
            _fail("ports", f"a count from 0 to {MAX_PORTS}, got {ports}")
        return
    names = list(ports) if isinstance(ports, list) else []
    if not names or not all(_port_name(n) or _port_number(n) for n in names):
        _fail(
            "ports",
            f"a count, or lower-case names and port numbers like ['http', 8080], got {ports!r}",
        )
    if len(set(names)) != len(names):
        _fail("ports", f"port names and numbers must be distinct, got {names!r}")


def _port_name(item: object) -> bool:
    return isinstance(item, str) and _PORT_NAME.match(item) is not None


def _port_number(item: object) -> bool:
    return isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 65535


def _constraints(items: object) -> tuple[Constraint, ...]:
    """Each constraint parsed by placement's own rules, so every error is raised here."""
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise TaskSpecError("constraints", f"a list of constraints, got {items!r}")
    parsed = []
    for index, item in enumerate(items):
        try:
            parsed.append(Constraint.parse(item))
        except (TypeError, ValueError) as error:
            _fail(f"constraints[{index}]", str(error))
    return tuple(parsed)


def _check_container(spec: TaskSpec) -> None:
    if spec.container is not None and not isinstance(
        spec.container, (DockerContainer, MesosContainer)
    ):
        kind = type(spec.container).__name__
        _fail("container", f"a DockerContainer or MesosContainer, got {kind}")
    if spec.health_check is not None and not isinstance(spec.health_check, HealthCheck):
        _fail("health_check", f"a HealthCheck, got {type(spec.health_check).__name__}")
    ports = len(spec.port_names)
    needed = (
        spec.container.host_ports_needed() if isinstance(spec.container, DockerContainer) else 0
    )
    if needed > ports:
        _fail(
            "ports",
            f"the container maps {needed} host ports from the offer; ask for at least that many",
        )
    index = spec.health_check.port_index if spec.health_check else None
    if index is not None and index >= ports:
        _fail("health_check", f"port_index {index} but the task asks for {ports} ports")
