"""Offers merged per agent, and a pool of agents indexed for placement.

Mesos may hold several offers from one agent at once; an ACCEPT that uses any of their resources
must carry all of them, so placement treats each agent's offers as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from frameworkkit._collector import CollectorPaused
from frameworkkit.placement.agents import HOSTNAME_FIELDS, Agent
from frameworkkit.placement.resources import (
    ResourceEntry,
    Resources,
    offered_totals,
    usable_totals,
)
from frameworkkit.protocol import messages

if TYPE_CHECKING:
    from frameworkkit.placement.result import PlacementResult

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class AgentOffers:
    """All current offers of one agent, merged: the agent, every offer id, the resources."""

    agent: Agent
    offer_ids: tuple[str, ...]
    resources: Resources

    @classmethod
    def from_offers(cls, offers: Sequence[messages.Offer]) -> AgentOffers:
        """Merge offers that all come from one agent (raises ValueError otherwise)."""
        if not offers:
            raise ValueError("offers: must hold at least one offer")
        agent_id = offers[0].agent_id.value
        for offer in offers:
            if offer.agent_id.value != agent_id:
                raise ValueError(
                    f"offers: offer {offer.id.value!r} is from agent {offer.agent_id.value!r},"
                    f" not {agent_id!r}"
                )
        return cls(
            agent=Agent.from_offer(offers[0]),
            offer_ids=tuple(offer.id.value for offer in offers),
            resources=Resources(
                ResourceEntry.from_message(resource)
                for offer in offers
                for resource in offer.resources
            ),
        )


def group_offers(offers: Iterable[messages.Offer]) -> tuple[AgentOffers, ...]:
    """Merge offers per agent, agents in the order their first offer came."""
    by_agent: dict[str, list[messages.Offer]] = {}
    for offer in offers:
        by_agent.setdefault(offer.agent_id.value, []).append(offer)
    return tuple(AgentOffers.from_offers(agent_offers) for agent_offers in by_agent.values())


class Slot:
    """One agent of a pool: its offers, parsed into :class:`AgentOffers` when first needed."""

    __slots__ = ("_built", "agent_id", "offers")

    def __init__(
        self,
        agent_id: str,
        offers: tuple[messages.Offer, ...],
        built: AgentOffers | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.offers = offers
        self._built = built

    @property
    def offer_ids(self) -> tuple[str, ...]:
        if self._built is not None:
            return self._built.offer_ids
        return tuple(offer.id.value for offer in self.offers)

    @property
    def built(self) -> AgentOffers:
        if self._built is None:
            self._built = AgentOffers.from_offers(self.offers)
        return self._built

    def field_value(self, name: str) -> str | None:
        if self._built is None and name in HOSTNAME_FIELDS:
            return self.offers[0].hostname
        return self.built.agent.field_value(name)

    def totals(self, role: str, allow_revocable: bool) -> dict[str, int]:
        if self._built is None:
            offers = self.offers
            resources = (
                offers[0].resources
                if len(offers) == 1
                else [r for offer in offers for r in offer.resources]
            )
            fast = offered_totals(resources, role, allow_revocable)
            if fast is not None:
                return fast
        return usable_totals(self.built.resources.entries, role, allow_revocable)


class _Column:
    """A growable int64 array over the pool's agents."""

    def __init__(self, length: int) -> None:
        self.data = np.zeros(max(length, 16), np.int64)


class OfferPool:
    """The agents a batch is placed on, with per-agent totals kept as numpy columns.

    Keep one pool for the life of a subscription and keep it current: :meth:`add` the offers of
    each OFFERS event, :meth:`remove` offers rescinded or declined, and :meth:`take` the offers
    a placement's ACCEPTs used. Each change updates only the agents it touches, so the arrays
    placement reads stay ready. (:meth:`from_offers` builds one from scratch.) Offers are parsed
    in full only for the agents a placement uses. Placing never changes a pool.
    """

    def __init__(self, agents: Iterable[AgentOffers] = ()) -> None:
        self._slots: list[Slot] = []
        self._shared = False  # a result holds the current list: copy before changing it
        self._positions: dict[str, int] = {}
        self._offer_agents: dict[str, str] = {}
        self._totals: dict[tuple[str, bool], dict[str, _Column]] = {}
        self._fields: dict[str, tuple[_Column, _Codebook]] = {}
        self._volumes: dict[str, tuple[int, ...]] | None = None
        self._agents: tuple[AgentOffers, ...] | None = None
        for index, agent_offers in enumerate(agents):
            if not isinstance(agent_offers, AgentOffers):
                raise TypeError(f"agents[{index}]: must be AgentOffers, got {agent_offers!r}")
            agent_id = agent_offers.agent.agent_id
            if agent_id in self._positions:
                raise ValueError(f"agents[{index}]: agent {agent_id!r} appears twice")
            self._put(Slot(agent_id, (), agent_offers))

    @classmethod
    def from_offers(cls, offers: Iterable[messages.Offer]) -> OfferPool:
        pool = cls()
        pool.add(offers)
        return pool

    # -- keeping it current ------------------------------------------------------------------

    def add(self, offers: Iterable[messages.Offer]) -> None:
        """Add offers (an OFFERS event's); an agent's new offers join those it has here.

        Raises ValueError for an offer id the pool already holds. The garbage collector is
        paused meanwhile: everything added lives on, and collecting a heap full of decoded
        offers while adding thousands would cost more than the adding.
        """
        with CollectorPaused():
            self._add(offers)

    def _add(self, offers: Iterable[messages.Offer]) -> None:
        by_agent: dict[str, list[messages.Offer]] = {}
        known = self._offer_agents
        for offer in offers:
            offer_id = offer.id.value
            if offer_id in known:
                raise ValueError(f"offers: offer {offer_id!r} is already in the pool")
            agent_id = known[offer_id] = offer.agent_id.value
            group = by_agent.get(agent_id)
            if group is None:
                by_agent[agent_id] = [offer]
            else:
                group.append(offer)
        fresh: list[Slot] = []
        for agent_id, new in by_agent.items():
            position = self._positions.get(agent_id)
            if position is None:
                fresh.append(Slot(agent_id, tuple(new)))
            else:
                self._replace(position, (*self._slot_offers(position), *new))
        self._extend(fresh)

    def remove(self, offer_ids: Iterable[str]) -> None:
        """Drop offers (rescinded, declined or accepted); ids the pool lacks are ignored."""
        gone: dict[str, set[str]] = {}
        for offer_id in offer_ids:
            agent_id = self._offer_agents.pop(offer_id, None)
            if agent_id is not None:
                gone.setdefault(agent_id, set()).add(offer_id)
        for agent_id, ids in gone.items():
            position = self._positions[agent_id]
            kept = tuple(o for o in self._slot_offers(position) if o.id.value not in ids)
            if kept:
                self._replace(position, kept)
            else:
                self._drop(position)

    def take(self, result: PlacementResult) -> None:
        """Drop the offers a placement's assignments use: ACCEPT consumes them (what is left
        on those agents comes back in new offers)."""
        self.remove(
            offer_id
            for assignment in result.assignments.values()
            for offer_id in assignment.offer_ids
        )

    def _slot_offers(self, position: int) -> tuple[messages.Offer, ...]:
        slot = self._slots[position]
        if slot.offers or not slot.offer_ids:
            return slot.offers
        raise ValueError(
            f"agent {slot.agent_id!r} was given as AgentOffers: build the pool from offers"
            " (OfferPool.from_offers) to add or remove its offers"
        )

    def _writable(self) -> list[Slot]:
        if self._shared:
            self._slots = list(self._slots)
            self._shared = False
        self._agents = None
        self._volumes = None
        return self._slots

    def _put(self, slot: Slot) -> None:
        for offer_id in slot.offer_ids:
            self._offer_agents[offer_id] = slot.agent_id
        self._extend([slot])

    def _extend(self, fresh: list[Slot]) -> None:
        """Append new agents, writing their totals and field codes in one go."""
        if not fresh:
            return
        slots = self._writable()
        start = len(slots)
        slots.extend(fresh)
        stop = len(slots)
        for position, slot in enumerate(fresh, start):
            self._positions[slot.agent_id] = position
        for key, columns in self._totals.items():
            rows = [slot.totals(*key) for slot in fresh]
            for name in set().union(*rows):
                column = columns.get(name)
                if column is None:
                    column = columns[name] = _Column(stop)
                self._grow(column, stop - 1)
                column.data[start:stop] = [row.get(name, 0) for row in rows]
        for name, (codes, book) in self._fields.items():
            self._grow(codes, stop - 1)
            codes.data[start:stop] = [book.code(slot.field_value(name)) for slot in fresh]

    def _replace(self, position: int, offers: tuple[messages.Offer, ...]) -> None:
        slot = Slot(self._slots[position].agent_id, offers)
        self._writable()[position] = slot
        for key, columns in self._totals.items():
            for column in columns.values():
                column.data[position] = 0
            self._write_totals(key, columns, position)
        for name, (codes, book) in self._fields.items():
            codes.data[position] = book.code(slot.field_value(name))

    def _drop(self, position: int) -> None:
        """Remove the agent at ``position``; the last agent moves into its place."""
        slots = self._writable()
        last = len(slots) - 1
        del self._positions[slots[position].agent_id]
        if position != last:
            moved = slots[last]
            slots[position] = moved
            self._positions[moved.agent_id] = position
            for columns in self._totals.values():
                for column in columns.values():
                    column.data[position] = column.data[last]
            for codes, _ in self._fields.values():
                codes.data[position] = codes.data[last]
        slots.pop()
        for columns in self._totals.values():
            for column in columns.values():
                column.data[last] = 0

    def _write_totals(self, key: tuple[str, bool], columns: dict[str, _Column], at: int) -> None:
        for name, units in self._slots[at].totals(*key).items():
            column = columns.get(name)
            if column is None:
                column = columns[name] = _Column(len(self._slots))
            self._grow(column, at)
            column.data[at] = units

    @staticmethod
    def _grow(column: _Column, position: int) -> None:
        if position >= len(column.data):
            grown = np.zeros(max(2 * len(column.data), position + 1), np.int64)
            grown[: len(column.data)] = column.data
            column.data = grown

    # -- reading -------------------------------------------------------------------------------

    @property
    def agents(self) -> tuple[AgentOffers, ...]:
        """Every agent's offers, merged, in pool order (parses them all: prefer :meth:`agent`)."""
        if self._agents is None:
            self._agents = tuple(slot.built for slot in self._slots)
        return self._agents

    def agent(self, position: int) -> AgentOffers:
        """The agent at ``position`` with its offers merged."""
        return self._slots[position].built

    def snapshot(self) -> Sequence[Slot]:
        """The agents as they are now; later changes to the pool do not show in it."""
        self._shared = True
        return self._slots

    def __len__(self) -> int:
        return len(self._slots)

    def __repr__(self) -> str:
        agents = ", ".join(f"{slot.agent_id}: {list(slot.offer_ids)}" for slot in self._slots)
        return f"OfferPool({{{agents}}})"

    def position(self, agent_id: str) -> int | None:
        """Where the agent is in pool order; None if the pool has no offer from it."""
        return self._positions.get(agent_id)

    def totals(self, role: str = "*", allow_revocable: bool = False) -> Mapping[str, IntArray]:
        """Per name, what a task in ``role`` could take on each agent (pool order).

        Names and units as in :func:`~frameworkkit.placement.resources.usable_totals`. The
        arrays are views the pool updates as it changes: copy them to keep them.
        """
        key = (role, allow_revocable)
        columns = self._totals.get(key)
        if columns is None:
            columns = self._totals[key] = {}
            for position in range(len(self._slots)):
                self._write_totals(key, columns, position)
        count = len(self._slots)
        return {name: columns[name].data[:count] for name in sorted(columns)}

    def field_codes(self, name: str) -> tuple[npt.NDArray[np.int64], Sequence[str]]:
        """A constraint field's value per agent, as a code into the distinct values (-1: none).

        Values once seen keep their code while the pool lives; the values are a view the pool
        adds to."""
        codes, book = self._field(name)
        return codes.data[: len(self._slots)], book.values

    def field_code(self, name: str, value: str) -> int | None:
        """The code of ``value`` in :meth:`field_codes` (None if no agent has had it)."""
        return self._field(name)[1].codes.get(value)

    def _field(self, name: str) -> tuple[_Column, _Codebook]:
        cached = self._fields.get(name)
        if cached is None:
            book = _Codebook()
            codes = _Column(len(self._slots))
            for position, slot in enumerate(self._slots):
                codes.data[position] = book.code(slot.field_value(name))
            cached = self._fields[name] = (codes, book)
        return cached

    def volume_agents(self, volume_id: str) -> tuple[int, ...]:
        """Positions of the agents offering persistent volume ``volume_id``."""
        if self._volumes is None:
            volumes: dict[str, list[int]] = {}
            for position, slot in enumerate(self._slots):
                offered = (
                    (r for offer in slot.offers for r in offer.resources)
                    if slot.offers
                    else (entry.traits.message for entry in slot.built.resources)
                )
                for resource in offered:
                    persistence = resource.disk.persistence if resource.disk else None
                    if persistence is not None:
                        volumes.setdefault(persistence.id, []).append(position)
            self._volumes = {key: tuple(dict.fromkeys(value)) for key, value in volumes.items()}
        return self._volumes.get(volume_id, ())


class _Codebook:
    """The distinct values of one field, numbered in the order they were first seen."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str | None) -> int:
        """The value's code, given it if new (-1 for None)."""
        if value is None:
            return -1
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code
