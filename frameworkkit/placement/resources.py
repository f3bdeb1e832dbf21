"""The resource model: Mesos 1.11 ``Resource`` messages parsed into exact, comparable entries.

Scalars are kept as whole thousandths (Mesos' own fixed-point precision), so adding and
subtracting never drifts and a placement can never over-commit by a rounding error. Each entry
keeps the message it came from, so the share a task takes is written back with its role,
reservations, allocation info and disk info exactly as offered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, cast

import msgspec

from frameworkkit.placement import _ranges
from frameworkkit.placement._ranges import RangeSet
from frameworkkit.protocol import messages

UNITS_PER_SCALAR = 1000
"""Scalars are stored as integers of this many units per 1.0 (Mesos keeps three decimals)."""

_replace = msgspec.structs.replace  # bound once: entries are written out per task placed
_Scalar = messages.Scalar

ResourceKind = Literal["SCALAR", "RANGES", "SET"]

PORTS = "ports"
PATH_DISK = "disk(PATH)"
MOUNT_DISK = "disk(MOUNT)"
"""Totals names beside the resource names: free ports (a count), the largest PATH disk source
and the largest MOUNT disk that one task could take."""

_INDIVISIBLE_SOURCES = ("MOUNT", "BLOCK", "RAW")


class InsufficientResources(ValueError):
    """Raised when a subtraction would take more than is there (an over-commit)."""


def to_units(value: float) -> int:
    """A scalar quantity in whole thousandths, rounded as Mesos rounds it."""
    return round(value * UNITS_PER_SCALAR)


def from_units(units: int) -> float:
    return units / UNITS_PER_SCALAR


@dataclass(frozen=True, slots=True)
class Reservation:
    """One level of a reservation stack (bottom first): who the resource is reserved to."""

    role: str
    type: str | None = None  # STATIC or DYNAMIC
    principal: str | None = None
    labels: tuple[tuple[str, str | None], ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class ResourceTraits:
    """Everything about an offered resource but its quantity: what it is, who may use it.

    ``identity`` covers name, type, reservations, allocation role, disk, revocable, shared and
    provider; resources with equal identity add up, as in Mesos. ``message`` is the offered
    ``Resource``, kept to write a task's share back exactly as offered.
    """

    name: str
    kind: ResourceKind
    identity: tuple[object, ...]
    message: messages.Resource = field(repr=False)
    reservations: tuple[Reservation, ...] = ()
    allocation_role: str | None = None
    revocable: bool = False
    shared: bool = False
    disk_source: str | None = None  # PATH, MOUNT, BLOCK or RAW; None for the root disk
    disk_root: str | None = None  # the PATH/MOUNT root (or source id)
    volume_id: str | None = None  # the persistence id of a persistent volume

    @property
    def reservation_role(self) -> str | None:
        """The role the resource is reserved to (top of the stack); None when unreserved."""
        return self.reservations[-1].role if self.reservations else None

    @property
    def indivisible(self) -> bool:
        """True for a MOUNT (or BLOCK/RAW) disk or a persistent volume: used whole or not at all."""
        return self.volume_id is not None or self.disk_source in _INDIVISIBLE_SOURCES

    def usable_by(self, role: str, allow_revocable: bool = False) -> bool:
        """Whether a task in ``role`` may use this resource.

        It must be allocated to that role (when the offer says), be unreserved or reserved to the
        role or one of its ancestors (``a`` serves ``a/b``), and be revocable only if allowed.
        """
        if self.revocable and not allow_revocable:
            return False
        if self.allocation_role is not None and self.allocation_role != role:
            return False
        if not self.reservations:
            return True
        reserved = self.reservations[-1].role
        return role == reserved or role.startswith(reserved + "/")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResourceTraits):
            return NotImplemented
        return self.identity == other.identity

    def __hash__(self) -> int:
        return hash(self.identity)


class ResourceEntry(msgspec.Struct, frozen=True, gc=False):
    """An amount of one resource: its traits and a quantity (``units`` of a scalar, in
    thousandths; ``ranges``; or set ``items``). Parse with :meth:`from_message`.

    Immutable and hashable; a struct rather than a dataclass because placement makes one per
    resource a task takes, and a struct is built several times faster."""

    traits: ResourceTraits
    units: int = 0
    ranges: RangeSet = ()
    items: frozenset[str] = frozenset()

    @classmethod
    def from_message(cls, resource: messages.Resource) -> ResourceEntry:
        """Parse one decoded ``Resource``; raises ValueError if it lacks its value."""
        kind = resource.type
        units = 0
        ranges: RangeSet = ()
        items: frozenset[str] = frozenset()
        if kind == "SCALAR":
            if resource.scalar is None:
                raise ValueError(f"resource {resource.name!r}: SCALAR without 'scalar'")
            units = to_units(resource.scalar.value)
        elif kind == "RANGES":
            if resource.ranges is None:
                raise ValueError(f"resource {resource.name!r}: RANGES without 'ranges'")
            ranges = _ranges.normalize((r.begin, r.end) for r in resource.ranges.range)
        elif kind == "SET":
            if resource.set is None:
                raise ValueError(f"resource {resource.name!r}: SET without 'set'")
            items = frozenset(resource.set.item)
        else:
            raise ValueError(f"resource {resource.name!r}: unsupported type {kind!r}")
        return cls(_traits(resource, cast(ResourceKind, kind)), units, ranges, items)

    @property
    def name(self) -> str:
        return self.traits.name

    @property
    def kind(self) -> ResourceKind:
        return self.traits.kind

    @property
    def empty(self) -> bool:
        return not (self.units or self.ranges or self.items)

    def usable_by(self, role: str, allow_revocable: bool = False) -> bool:
        """See :meth:`ResourceTraits.usable_by`."""
        return self.traits.usable_by(role, allow_revocable)

    def with_quantity(
        self, units: int = 0, ranges: RangeSet = (), items: frozenset[str] = frozenset()
    ) -> ResourceEntry:
        """The same resource holding another quantity."""
        return ResourceEntry(self.traits, units, ranges, items)

    def plus(self, other: ResourceEntry) -> ResourceEntry:
        """This entry with ``other``'s quantity added (same identity assumed)."""
        return ResourceEntry(
            self.traits,
            self.units + other.units,
            _ranges.union(self.ranges, other.ranges),
            self.items | other.items,
        )

    def to_message(self) -> messages.Resource:
        """The ``Resource`` message for this entry's quantity, everything else as offered."""
        message, kind = self.traits.message, self.traits.kind
        if kind == "SCALAR":
            return _replace(message, scalar=_Scalar(self.units / UNITS_PER_SCALAR))
        if kind == "RANGES":
            ranges = [messages.Range(begin=begin, end=end) for begin, end in self.ranges]
            return msgspec.structs.replace(message, ranges=messages.Ranges(range=ranges))
        return msgspec.structs.replace(message, set=messages.ValueSet(item=sorted(self.items)))

    def describe(self) -> str:
        """A short human form, e.g. ``cpus(batch):2.5`` or ``ports:[31000-31002]``."""
        role = self.traits.reservation_role
        label = f"{self.name}({role})" if role else self.name
        if self.kind == "SCALAR":
            return f"{label}:{from_units(self.units):g}"
        if self.kind == "RANGES":
            return f"{label}:[{','.join(f'{b}-{e}' for b, e in self.ranges)}]"
        return f"{label}:{{{','.join(sorted(self.items))}}}"


_PLAIN_TRAITS: dict[tuple[str, str, str | None, str | None], ResourceTraits] = {}
_PLAIN_TRAITS_LIMIT = 4096


def _traits(resource: messages.Resource, kind: ResourceKind) -> ResourceTraits:
    plain = not (
        resource.reservations
        or resource.reservation
        or resource.disk
        or resource.revocable is not None
        or resource.shared is not None
        or resource.provider_id
    )
    if not plain:
        return _build_traits(resource, kind)
    # Most resources are plain (unreserved, no disk info): share their traits, which differ
    # only in name, type, legacy role and allocation role.
    allocation_role = resource.allocation_info.role if resource.allocation_info else None
    key = (resource.name, kind, resource.role, allocation_role)
    traits = _PLAIN_TRAITS.get(key)
    if traits is None:
        if len(_PLAIN_TRAITS) >= _PLAIN_TRAITS_LIMIT:
            _PLAIN_TRAITS.clear()
        traits = _PLAIN_TRAITS[key] = _build_traits(resource, kind)
    return traits


def _build_traits(resource: messages.Resource, kind: ResourceKind) -> ResourceTraits:
    reservations = _reservations(resource)
    allocation_role = resource.allocation_info.role if resource.allocation_info else None
    revocable = resource.revocable is not None
    shared = resource.shared is not None
    provider = resource.provider_id.value if resource.provider_id else None
    identity: tuple[object, ...] = (
        resource.name,
        kind,
        reservations,
        allocation_role,
        revocable,
        shared,
        provider,
    )
    common = (resource, reservations, allocation_role, revocable, shared)
    disk = resource.disk
    if disk is None:
        return ResourceTraits(resource.name, kind, identity, *common)
    source = disk.source
    disk_root = None
    if source is not None:
        where = source.path or source.mount
        disk_root = where.root if where is not None else source.id
    return ResourceTraits(
        resource.name,
        kind,
        (*identity, _disk_identity(disk)),
        *common,
        source.type if source is not None else None,
        disk_root,
        disk.persistence.id if disk.persistence is not None else None,
    )


def _reservations(resource: messages.Resource) -> tuple[Reservation, ...]:
    if resource.reservations:
        stack = []
        for index, info in enumerate(resource.reservations):
            if not info.role:
                raise ValueError(f"resource {resource.name!r}: reservations[{index}] has no role")
            stack.append(_reservation(info, info.role, info.type))
        return tuple(stack)
    if resource.role is not None and resource.role != "*":
        # Pre-refinement format: a role with a `reservation` is a dynamic reservation.
        legacy = resource.reservation
        kind = "DYNAMIC" if legacy is not None else "STATIC"
        return (_reservation(legacy, resource.role, kind),)
    return ()


def _reservation(info: messages.ReservationInfo | None, role: str, kind: str | None) -> Reservation:
    if info is None:
        return Reservation(role=role, type=kind)
    labels = tuple((label.key, label.value) for label in info.labels.labels) if info.labels else ()
    return Reservation(role=role, type=kind, principal=info.principal, labels=labels)


def _disk_identity(disk: messages.DiskInfo) -> tuple[object, ...]:
    source = disk.source
    persistence = disk.persistence
    volume = disk.volume
    return (
        source.type if source else None,
        source.path.root if source and source.path else None,
        source.mount.root if source and source.mount else None,
        source.id if source else None,
        source.profile if source else None,
        persistence.id if persistence else None,
        persistence.principal if persistence else None,
        volume.container_path if volume else None,
        volume.mode if volume else None,
        volume.host_path if volume else None,
    )


def _take(have: ResourceEntry, need: ResourceEntry) -> ResourceEntry | None:
    """What is left of ``have`` after ``need``; None if ``need`` is not all there."""
    if have.traits.indivisible:
        return have.with_quantity() if have == need else None
    if need.units > have.units or not need.items <= have.items:
        return None
    if not _ranges.is_subset(need.ranges, have.ranges):
        return None
    return have.with_quantity(
        units=have.units - need.units,
        ranges=_ranges.difference(have.ranges, need.ranges),
        items=have.items - need.items,
    )


class Resources:
    """An immutable collection of resource entries with Mesos arithmetic.

    Entries of equal identity merge (scalars add, ranges and sets unite), except indivisible
    ones (MOUNT disks, persistent volumes), which stay whole. Subtracting more than is there
    raises :class:`InsufficientResources`, so arithmetic never over-commits. Use
    :meth:`usable_by` for the pool one role may draw from.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries: Iterable[ResourceEntry] = ()) -> None:
        merged: list[ResourceEntry] = []
        position: dict[tuple[object, ...], int] = {}
        for entry in entries:
            if entry.empty:
                continue
            if entry.traits.indivisible:
                merged.append(entry)
                continue
            index = position.get(entry.traits.identity)
            if index is None:
                position[entry.traits.identity] = len(merged)
                merged.append(entry)
            else:
                merged[index] = merged[index].plus(entry)
        self._entries = tuple(merged)

    @classmethod
    def from_messages(cls, resources: Iterable[messages.Resource]) -> Resources:
        """Parse decoded ``Resource`` messages, e.g. an offer's ``resources``."""
        return cls(ResourceEntry.from_message(resource) for resource in resources)

    @property
    def entries(self) -> tuple[ResourceEntry, ...]:
        return self._entries

    def __iter__(self) -> Iterator[ResourceEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resources):
            return NotImplemented
        return Counter(self._entries) == Counter(other._entries)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Resources({'; '.join(entry.describe() for entry in self._entries)})"

    def __add__(self, other: Resources) -> Resources:
        return Resources(self._entries + other._entries)

    def __sub__(self, other: Resources) -> Resources:
        remaining = list(self._entries)
        for need in other._entries:
            for index, have in enumerate(remaining):
                if have.traits == need.traits:
                    left = _take(have, need)
                    if left is not None:
                        remaining[index] = left
                        break
            else:
                raise InsufficientResources(f"{need.describe()} is not available in {self!r}")
        return Resources(remaining)

    def contains(self, other: Resources) -> bool:
        """Whether every entry of ``other`` is here (same identity, at least that quantity)."""
        try:
            self - other
        except InsufficientResources:
            return False
        return True

    def usable_by(self, role: str, *, allow_revocable: bool = False) -> Resources:
        """The entries a task in ``role`` may use (see :meth:`ResourceEntry.usable_by`)."""
        return Resources(e for e in self._entries if e.usable_by(role, allow_revocable))

    def scalar(self, name: str) -> float:
        """The total of a scalar resource, e.g. ``resources.scalar("cpus")``."""
        return from_units(sum(e.units for e in self._entries if e.name == name))

    def ranges(self, name: str) -> RangeSet:
        """The union of a ranges resource, e.g. the free ``ports``."""
        return _ranges.normalize(r for e in self._entries if e.name == name for r in e.ranges)

    def items(self, name: str) -> frozenset[str]:
        return frozenset().union(*(e.items for e in self._entries if e.name == name))

    def to_messages(self) -> list[messages.Resource]:
        return [entry.to_message() for entry in self._entries]


def usable_totals(
    entries: Iterable[ResourceEntry | None], role: str, allow_revocable: bool
) -> dict[str, int]:
    """What one task in ``role`` could take from these entries, by name.

    Scalars sum in units, except disk: ``disk`` is the root disk, :data:`PATH_DISK` the largest
    PATH source and :data:`MOUNT_DISK` the largest free MOUNT disk; persistent volumes and
    BLOCK/RAW disks are left out. :data:`PORTS` counts free ports.
    """
    totals: dict[str, int] = {}
    path_sources: dict[str | None, int] = {}
    for entry in entries:
        if entry is None:
            continue
        traits = entry.traits
        if not traits.usable_by(role, allow_revocable):
            continue
        name = traits.name
        if traits.kind == "SCALAR":
            if name != "disk":
                totals[name] = totals.get(name, 0) + entry.units
            elif traits.volume_id is not None:
                continue
            elif traits.disk_source is None:
                totals["disk"] = totals.get("disk", 0) + entry.units
            elif traits.disk_source == "PATH":
                root = traits.disk_root
                path_sources[root] = path_sources.get(root, 0) + entry.units
            elif traits.disk_source == "MOUNT":
                totals[MOUNT_DISK] = max(totals.get(MOUNT_DISK, 0), entry.units)
        elif traits.kind == "RANGES" and name == PORTS:
            totals[PORTS] = totals.get(PORTS, 0) + _ranges.size(entry.ranges)
    if path_sources:
        totals[PATH_DISK] = max(path_sources.values())
    return totals


def offered_totals(
    resources: Iterable[messages.Resource], role: str, allow_revocable: bool
) -> dict[str, int] | None:
    """:func:`usable_totals` read straight from offered messages when every one is plain
    (unreserved scalars and ranges without disk, revocable, shared or provider info), without
    parsing entries; None when one is not, for the caller to parse them."""
    del allow_revocable  # plain resources are never revocable
    totals: dict[str, int] = {}
    ports: list[messages.Range] = []
    for resource in resources:
        if (
            resource.reservations
            or resource.reservation is not None
            or resource.disk is not None
            or resource.revocable is not None
            or resource.shared is not None
            or resource.provider_id is not None
            or resource.role not in (None, "*")
        ):
            return None
        allocation = resource.allocation_info
        usable = allocation is None or allocation.role == role
        kind = resource.type
        if kind == "SCALAR":
            scalar = resource.scalar
            if scalar is None:
                return None
            units = round(scalar.value * UNITS_PER_SCALAR)
            if usable and units:
                name = resource.name
                totals[name] = totals.get(name, 0) + units
        elif kind == "RANGES":
            if resource.ranges is None:
                return None
            if usable and resource.name == PORTS:
                ports += resource.ranges.range
        elif kind != "SET":
            return None
    if ports:
        first = ports[0]
        count = (
            first.end - first.begin + 1
            if len(ports) == 1
            else _ranges.size(_ranges.normalize((r.begin, r.end) for r in ports))
        )
        if count > 0:
            totals[PORTS] = count
    return totals
