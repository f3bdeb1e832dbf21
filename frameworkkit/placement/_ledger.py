"""The exact remaining resources of each agent during one placement run.

A claim takes a task's resources from one agent's entries (reserved ones first, then
unreserved, revocable last) and records the pieces it took, so the task's resources can be
written out as offered and a claim can be given back when consolidation moves the task.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import msgspec

from frameworkkit.placement import _ranges
from frameworkkit.placement._ranges import RangeSet
from frameworkkit.placement.offers import OfferPool
from frameworkkit.placement.request import TaskRequest
from frameworkkit.placement.resources import PORTS, ResourceEntry
from frameworkkit.placement.result import AssignedPort

Slots = list[ResourceEntry | None]
_SCALARS = ("cpus", "mem", "disk", "gpus")
"""The scalars a task request names first, in this order (see ``TaskRequest.scalar_units``)."""
Pieces = list[tuple[int, ResourceEntry]]


class Claim(msgspec.Struct, frozen=True, gc=False):
    """What one task took on one agent: (slot, piece) pairs and the ports it got."""

    agent: int
    pieces: tuple[tuple[int, ResourceEntry], ...]
    ports: tuple[AssignedPort, ...]


@dataclass
class _Usable:
    """The slots of an agent's entries one role may use, by kind, each list in the order
    they are taken. An entry keeps its slot for the whole run (it only shrinks, empties or
    comes back), so this holds for the run."""

    scalars: dict[str, list[int]]  # "disk": the root disks
    path_disks: dict[str | None, list[int]]  # by source root
    mount_disks: list[int]
    volumes: dict[str, int]
    ports: list[int]


def _preference(pair: tuple[int, ResourceEntry]) -> tuple[bool, bool, int, int]:
    index, entry = pair
    traits = entry.traits
    return (traits.revocable, not traits.reservations, -len(traits.reservations), index)


def _usable(entries: Sequence[ResourceEntry], role: str, revocable: bool) -> _Usable:
    pairs = [
        (index, entry)
        for index, entry in enumerate(entries)
        if entry.traits.usable_by(role, revocable)
    ]
    if any(entry.traits.reservations or entry.traits.revocable for _, entry in pairs):
        pairs.sort(key=_preference)
    usable = _Usable({}, {}, [], {}, [])
    for index, entry in pairs:
        traits = entry.traits
        if traits.kind == "SCALAR":
            if traits.volume_id is not None:
                usable.volumes.setdefault(traits.volume_id, index)
            elif traits.name != "disk" or traits.disk_source is None:
                usable.scalars.setdefault(traits.name, []).append(index)
            elif traits.disk_source == "PATH":
                usable.path_disks.setdefault(traits.disk_root, []).append(index)
            elif traits.disk_source == "MOUNT":
                usable.mount_disks.append(index)
        elif traits.kind == "RANGES" and traits.name == PORTS:
            usable.ports.append(index)
    return usable


class Ledger:
    """Remaining entries per agent; agents nothing was taken from are read from the pool."""

    def __init__(self, pool: OfferPool) -> None:
        self._pool = pool
        self._slots: dict[int, Slots] = {}
        self._usable: dict[tuple[int, str, bool], _Usable] = {}

    def entries(self, agent: int) -> Sequence[ResourceEntry | None]:
        slots = self._slots.get(agent)
        return slots if slots is not None else self._pool.agent(agent).resources.entries

    def _usable_by(self, agent: int, task: TaskRequest) -> _Usable:
        key = (agent, task.role, task.allow_revocable)
        usable = self._usable.get(key)
        if usable is None:
            offered = self._pool.agent(agent).resources.entries  # slots keep these indices
            usable = _usable(offered, task.role, task.allow_revocable)
            self._usable[key] = usable
        return usable

    def port_free(self, agent: int, port: int, task: TaskRequest) -> bool:
        entries = self.entries(agent)
        return any(
            _ranges.contains(entry.ranges, port)
            for index in self._usable_by(agent, task).ports
            if (entry := entries[index]) is not None
        )

    def has_volume(self, agent: int, volume_id: str, task: TaskRequest) -> bool:
        index = self._usable_by(agent, task).volumes.get(volume_id)
        return index is not None and self.entries(agent)[index] is not None

    def claim(self, agent: int, task: TaskRequest) -> Claim | None:
        """Take ``task``'s resources from ``agent``; None, taking nothing, if some are missing."""
        slots: Slots = list(self.entries(agent))
        claim = _take(slots, agent, self._usable_by(agent, task), task)
        if claim is not None:
            self._slots[agent] = slots
        return claim

    def claim_counted(self, agent: int, tasks: Sequence[TaskRequest]) -> list[Claim] | None:
        """Take each task's resources from ``agent`` in turn; None, taking nothing, if some
        are missing. Only for tasks of one role and revocable setting whose needs the totals
        count exactly: scalars (disk from the root disk) and ports by count, no volumes.

        The same claims as :meth:`claim` task by task, made one resource at a time over all
        the tasks, which is cheaper. (A task's pieces come in the order cpus, mem, disk, gpus,
        other scalars, ports, as its own needs list them; extra scalars that tasks list in
        different orders come in the order the first of them lists them.)"""
        if not tasks:
            return []
        usable = self._usable_by(agent, tasks[0])
        slots: Slots = list(self.entries(agent))
        pieces: list[Pieces] = [[] for _ in tasks]
        needs = [task.scalar_units() for task in tasks]
        names = dict.fromkeys(_SCALARS, 0)
        for task, need in zip(tasks, needs, strict=True):
            if task.scalars:
                names.update(need)
        for name in names:
            amounts = [need.get(name, 0) for need in needs]
            if not any(amounts):
                continue
            if not _take_each(slots, usable.scalars.get(name, ()), amounts, pieces):
                return None
        ports = _take_port_counts(slots, usable.ports, tasks, pieces)
        if ports is None:
            return None
        self._slots[agent] = slots
        return [Claim(agent, tuple(taken), got) for taken, got in zip(pieces, ports, strict=True)]

    def release(self, claim: Claim) -> None:
        """Give a claim's pieces back to its agent."""
        slots = self._slots[claim.agent]
        for index, piece in claim.pieces:
            current = slots[index]
            if current is None:
                slots[index] = piece
            elif not piece.traits.indivisible:  # an indivisible piece still here: shared volume
                slots[index] = current.plus(piece)


def _take(slots: Slots, agent: int, usable: _Usable, task: TaskRequest) -> Claim | None:
    """Take ``task``'s resources from ``slots`` (``agent``'s, ``usable`` by its role)."""
    pieces: Pieces = []
    for name, units in task.scalar_units().items():
        if name == "disk" and task.disk_source != "ROOT":
            if not _take_disk(slots, usable, task, units, pieces):
                return None
        elif not _take_each(slots, usable.scalars.get(name, ()), [units], [pieces]):
            return None
    for volume_id in task.volumes:
        index = usable.volumes.get(volume_id)
        volume = slots[index] if index is not None else None
        if index is None or volume is None:
            return None
        pieces.append((index, volume))
        if not volume.traits.shared:
            slots[index] = None
    ports = _take_ports(slots, usable.ports, task, pieces) if task.ports else ()
    if ports is None:
        return None
    return Claim(agent, tuple(pieces), ports)


def _take_each(
    slots: Slots, indices: Sequence[int], amounts: list[int], pieces: list[Pieces]
) -> bool:
    """Take ``amounts[i]`` units for task ``i`` in turn from the entries at ``indices`` (in the
    order they are taken), adding each task's pieces to ``pieces[i]``; False if they run out.
    A part of an entry is a new entry; an entry taken whole is the piece itself."""
    queue = iter(indices)
    if (held := _next_held(queue, slots)) is None:
        return not any(amounts)
    index, first = held
    entry: ResourceEntry | None = first
    traits, have = first.traits, first.units
    for taken, need in zip(pieces, amounts, strict=True):
        if need and need < have:  # most tasks: a part of the entry being taken from
            taken.append((index, ResourceEntry(traits, need)))
            have -= need
            continue
        while need:
            if entry is None:
                if (held := _next_held(queue, slots)) is None:
                    return False
                index, entry = held
                traits, have = entry.traits, entry.units
            if have > need:
                taken.append((index, ResourceEntry(traits, need)))
                have -= need
                break
            taken.append((index, entry if have == entry.units else ResourceEntry(traits, have)))
            slots[index] = entry = None
            need -= have
            have = 0
    if entry is not None and have != entry.units:
        slots[index] = ResourceEntry(entry.traits, have)
    return True


def _next_held(queue: Iterator[int], slots: Slots) -> tuple[int, ResourceEntry] | None:
    """The next slot of ``queue`` that still holds an entry, with the entry."""
    for index in queue:
        entry = slots[index]
        if entry is not None:
            return index, entry
    return None


def _take_disk(slots: Slots, usable: _Usable, task: TaskRequest, need: int, pieces: Pieces) -> bool:
    """Take a PATH or MOUNT disk (the root disk is taken as a scalar)."""
    if task.disk_source == "PATH":
        totals = {
            root_path: sum(entry.units for i in indices if (entry := slots[i]) is not None)
            for root_path, indices in usable.path_disks.items()
        }
        fitting = [root_path for root_path, total in totals.items() if total >= need]
        if not fitting:
            return False
        tightest = min(fitting, key=lambda root_path: totals[root_path])
        return _take_each(slots, usable.path_disks[tightest], [need], [pieces])
    mounts = [
        (entry.units, index, entry)
        for index in usable.mount_disks
        if (entry := slots[index]) is not None and entry.units >= need
    ]
    if not mounts:
        return False
    _, index, whole = min(mounts, key=lambda item: (item[0], item[1]))  # the smallest that fits
    pieces.append((index, whole))
    slots[index] = None
    return True


def _take_port_counts(
    slots: Slots, holders: list[int], tasks: Sequence[TaskRequest], pieces: list[Pieces]
) -> list[tuple[AssignedPort, ...]] | None:
    """The lowest free ports for each task in turn (tasks that ask for ports by count only),
    as :func:`_take_ports` task by task would; None if they run out."""
    assigned: list[tuple[AssignedPort, ...]] = [()] * len(tasks)
    queue = iter(holders)
    index, entry = -1, None
    free: RangeSet = ()
    for position, task in enumerate(tasks):
        if not task.ports:
            continue
        chosen: list[int] = []
        wanted = len(task.ports)
        while len(chosen) < wanted:
            if entry is None:
                if (held := _next_held(queue, slots)) is None:
                    return None
                index, entry = held
                free = entry.ranges
            got, free = _ranges.split_first(free, wanted - len(chosen))
            for begin, end in got:
                chosen.extend(range(begin, end + 1))
            if got:
                pieces[position].append((index, ResourceEntry(entry.traits, ranges=got)))
            if not free:
                slots[index] = entry = None
        assigned[position] = tuple(
            [AssignedPort(port, spec.name) for port, spec in zip(chosen, task.ports, strict=True)]
        )
    if entry is not None and free != entry.ranges:
        slots[index] = ResourceEntry(entry.traits, ranges=free)
    return assigned


def _take_ports(
    slots: Slots, holders: list[int], task: TaskRequest, pieces: Pieces
) -> tuple[AssignedPort, ...] | None:
    fixed: dict[int, RangeSet] = {}  # per holder, the fixed ports the task asks of it
    wanted = 0
    for spec in task.ports:
        if not spec.port:
            wanted += 1
            continue
        owner = next(
            (
                index
                for index in holders
                if (entry := slots[index]) is not None and _ranges.contains(entry.ranges, spec.port)
            ),
            None,
        )
        if owner is None:
            return None
        fixed[owner] = _ranges.union(fixed.get(owner, ()), ((spec.port, spec.port),))
    chosen: list[int] = []  # the lowest free ports, holder by holder
    for index in holders:
        if len(chosen) == wanted and not fixed:
            break
        entry = slots[index]
        if entry is None:
            continue
        used = fixed.pop(index, ())
        free = _ranges.difference(entry.ranges, used) if used else entry.ranges
        got, rest = _ranges.split_first(free, wanted - len(chosen))
        for begin, end in got:
            chosen.extend(range(begin, end + 1))
        if got or used:
            used = _ranges.union(used, got) if used and got else used or got
            pieces.append((index, ResourceEntry(entry.traits, ranges=used)))
            slots[index] = ResourceEntry(entry.traits, ranges=rest) if rest else None
    if len(chosen) < wanted:
        return None
    picks = iter(chosen)
    return tuple([AssignedPort(spec.port or next(picks), spec.name) for spec in task.ports])
