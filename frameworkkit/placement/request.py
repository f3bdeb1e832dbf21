"""What placement is asked to place (task requests) and what it must respect (running tasks)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from frameworkkit import validation
from frameworkkit.placement.agents import Agent
from frameworkkit.placement.constraints import Constraint, ConstraintLike
from frameworkkit.placement.resources import to_units

DiskSource = Literal["ROOT", "PATH", "MOUNT"]
DEFAULT_GROUP = "default"
_RESERVED_NAMES = ("cpus", "mem", "disk", "gpus", "ports")


@dataclass(frozen=True)
class PortSpec:
    """One host port a task needs: ``port=0`` takes any free port; ``name`` labels it."""

    name: str | None = None
    port: int = 0

    def __post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise ValueError(
                f"PortSpec.name: must be a non-empty string or None, got {self.name!r}"
            )
        validation.whole_number("PortSpec.port", self.port, maximum=65535)


@dataclass(frozen=True)
class Locality:
    """Prefer agents whose ``attribute`` names the data a task reads.

    An agent scores the fraction of ``items`` its attribute names (equal text, or a set
    attribute holding the item); e.g. ``Locality("datasets", ("sales-2024",))``.
    """

    attribute: str
    items: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.attribute, str) or not self.attribute:
            raise ValueError(
                f"Locality.attribute: must be a non-empty string, got {self.attribute!r}"
            )
        items = tuple(self.items)
        if not items or not all(isinstance(item, str) and item for item in items):
            raise ValueError(f"Locality.items: must be non-empty strings, got {self.items!r}")
        object.__setattr__(self, "items", items)


@dataclass(frozen=True)
class RunningTask:
    """A task already running: its group and its agent, for constraints to count."""

    agent: Agent
    group: str = DEFAULT_GROUP


@dataclass(frozen=True, init=False)
class TaskRequest:
    """One task to place: its resources, role, group, constraints and preferences.

    Quantities are as in Mesos (``mem`` and ``disk`` in MB). ``ports`` takes a count of any free
    ports, or a list of :class:`PortSpec`, fixed port numbers (0: any) and port names (any port).
    ``role`` is the role the resources must be allocated to (default ``*``); the task uses
    unreserved resources and those reserved to its role or an ancestor. Tasks sharing a
    ``group`` are counted together by constraints, like the tasks of one Marathon app; give
    them the same constraints. ``disk`` comes from the root disk unless ``disk_source`` says
    PATH (one PATH source) or MOUNT (a whole MOUNT disk of at least ``disk``). ``volumes`` names
    persistent volumes (by persistence id) the task mounts; it goes where they are.
    Revocable resources are used only with ``allow_revocable``.
    """

    id: str
    cpus: float
    mem: float
    disk: float
    gpus: int
    ports: tuple[PortSpec, ...]
    scalars: Mapping[str, float]
    role: str
    group: str
    constraints: tuple[Constraint, ...]
    locality: tuple[Locality, ...]
    volumes: tuple[str, ...]
    disk_source: DiskSource
    allow_revocable: bool
    _demand: Mapping[str, float] = field(init=False, repr=False, compare=False)
    _units: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        id: str,
        *,
        cpus: float = 0.0,
        mem: float = 0.0,
        disk: float = 0.0,
        gpus: int = 0,
        ports: int | Iterable[PortSpec | int | str] = (),
        scalars: Mapping[str, float] | None = None,
        role: str = "*",
        group: str = DEFAULT_GROUP,
        constraints: Iterable[ConstraintLike] = (),
        locality: Iterable[Locality] = (),
        volumes: Iterable[str] = (),
        disk_source: DiskSource = "ROOT",
        allow_revocable: bool = False,
    ) -> None:
        for name, text in (("id", id), ("group", group)):
            if not isinstance(text, str) or not text:
                raise ValueError(f"TaskRequest.{name}: must be a non-empty string, got {text!r}")
        validation.role("TaskRequest.role", role)
        validation.whole_number("TaskRequest.gpus", gpus)
        if disk_source not in get_args(DiskSource):
            raise ValueError(
                f"TaskRequest.disk_source: must be ROOT, PATH or MOUNT, got {disk_source!r}"
            )
        if not isinstance(allow_revocable, bool):
            raise TypeError(f"TaskRequest.allow_revocable: must be a bool, got {allow_revocable!r}")
        other: dict[str, float] = {}
        for name, value in (scalars or {}).items():
            if not isinstance(name, str) or not name or name in _RESERVED_NAMES:
                raise ValueError(
                    f"TaskRequest.scalars: {name!r} is not a valid extra resource name"
                    " (cpus, mem, disk, gpus and ports have their own fields)"
                )
            other[name] = _quantity(f"scalars[{name!r}]", value)
        volume_ids = tuple(volumes)
        if not all(isinstance(v, str) and v for v in volume_ids) or len(set(volume_ids)) != len(
            volume_ids
        ):
            raise ValueError(f"TaskRequest.volumes: must be distinct ids, got {volume_ids!r}")
        set_field = object.__setattr__
        set_field(self, "id", id)
        set_field(self, "cpus", _quantity("cpus", cpus))
        set_field(self, "mem", _quantity("mem", mem))
        set_field(self, "disk", _quantity("disk", disk))
        set_field(self, "gpus", gpus)
        set_field(self, "ports", _ports(ports))
        set_field(self, "scalars", other)
        set_field(self, "role", role)
        set_field(self, "group", group)
        set_field(self, "constraints", _constraints(constraints))
        set_field(self, "locality", _locality(locality))
        set_field(self, "volumes", volume_ids)
        set_field(self, "disk_source", disk_source)
        set_field(self, "allow_revocable", allow_revocable)
        demand = {"cpus": self.cpus, "mem": self.mem, "disk": self.disk, "gpus": float(gpus)}
        demand.update(other)
        set_field(self, "_demand", {name: value for name, value in demand.items() if value > 0})
        set_field(self, "_units", {name: to_units(value) for name, value in self._demand.items()})

    def scalar_demand(self) -> Mapping[str, float]:
        """Every scalar the task needs, by resource name (disk under ``disk``)."""
        return self._demand

    def scalar_units(self) -> Mapping[str, int]:
        """:meth:`scalar_demand` in units (thousandths, as resources count them)."""
        return self._units


def _quantity(name: str, value: float) -> float:
    return validation.number(f"TaskRequest.{name}", value)


def _ports(ports: int | Iterable[PortSpec | int | str]) -> tuple[PortSpec, ...]:
    if isinstance(ports, bool):
        raise TypeError(f"TaskRequest.ports: must be a count or a list, got {ports!r}")
    if isinstance(ports, int):
        if ports < 0:
            raise ValueError(f"TaskRequest.ports: must be >= 0, got {ports}")
        return tuple(PortSpec() for _ in range(ports))
    specs: list[PortSpec] = []
    for item in ports:
        if isinstance(item, PortSpec):
            specs.append(item)
        elif isinstance(item, str):
            specs.append(PortSpec(name=item))
        elif isinstance(item, int) and not isinstance(item, bool):
            specs.append(PortSpec(port=item))
        else:
            raise TypeError(f"TaskRequest.ports: {item!r} is not a PortSpec, port or name")
    fixed = [spec.port for spec in specs if spec.port]
    names = [spec.name for spec in specs if spec.name]
    if len(set(fixed)) != len(fixed) or len(set(names)) != len(names):
        raise ValueError(f"TaskRequest.ports: ports and names must be distinct, got {specs!r}")
    return tuple(specs)


def _constraints(items: Iterable[ConstraintLike]) -> tuple[Constraint, ...]:
    parsed = []
    for index, item in enumerate(items):
        try:
            parsed.append(Constraint.parse(item))
        except (TypeError, ValueError) as error:
            raise type(error)(f"TaskRequest.constraints[{index}]: {error}") from None
    return tuple(parsed)


def _locality(items: Iterable[Locality]) -> tuple[Locality, ...]:
    hints = tuple(items)
    for index, hint in enumerate(hints):
        if not isinstance(hint, Locality):
            raise TypeError(f"TaskRequest.locality[{index}]: must be a Locality, got {hint!r}")
    return hints
