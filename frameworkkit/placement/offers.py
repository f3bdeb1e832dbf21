"""Offers merged per agent, and a pool of agents indexed for placement.

Mesos may hold several offers from one agent at once; an ACCEPT that uses any of their resources
must carry all of them, so placement treats each agent's offers as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from frameworkkit.placement.agents import Agent
from frameworkkit.placement.resources import ResourceEntry, Resources, usable_totals
from frameworkkit.protocol import messages

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
            raise ValueError("offers must hold at least one offer")
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


class OfferPool:
    """The agents a batch is placed on, with per-agent totals kept as numpy columns.

    Build one from the offers you hold (:meth:`from_offers`) and pass it to
    :func:`~frameworkkit.placement.place`; reuse it while the offers stay the same, as it caches
    the arrays placement computes from them. Placing never changes a pool.
    """

    def __init__(self, agents: Iterable[AgentOffers]) -> None:
        self._agents = tuple(agents)
        seen: set[str] = set()
        for index, agent_offers in enumerate(self._agents):
            if not isinstance(agent_offers, AgentOffers):
                raise TypeError(f"agents[{index}] must be AgentOffers, got {agent_offers!r}")
            agent_id = agent_offers.agent.agent_id
            if agent_id in seen:
                raise ValueError(f"agents[{index}]: agent {agent_id!r} appears twice")
            seen.add(agent_id)
        self._totals: dict[tuple[str, bool], Mapping[str, IntArray]] = {}
        self._fields: dict[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]] = {}
        self._volumes: dict[str, tuple[int, ...]] | None = None
        self._positions: dict[str, int] | None = None

    @classmethod
    def from_offers(cls, offers: Iterable[messages.Offer]) -> OfferPool:
        return cls(group_offers(offers))

    @property
    def agents(self) -> tuple[AgentOffers, ...]:
        return self._agents

    def __len__(self) -> int:
        return len(self._agents)

    def position(self, agent_id: str) -> int | None:
        """Where the agent is in :attr:`agents`; None if the pool has no offer from it."""
        if self._positions is None:
            self._positions = {a.agent.agent_id: i for i, a in enumerate(self._agents)}
        return self._positions.get(agent_id)

    def totals(self, role: str = "*", allow_revocable: bool = False) -> Mapping[str, IntArray]:
        """Per name, what a task in ``role`` could take on each agent (pool order).

        Names and units as in :func:`~frameworkkit.placement.resources.usable_totals`.
        """
        key = (role, allow_revocable)
        cached = self._totals.get(key)
        if cached is None:
            rows = [
                usable_totals(agent.resources.entries, role, allow_revocable)
                for agent in self._agents
            ]
            names = sorted({name for row in rows for name in row})
            cached = {
                name: np.fromiter((row.get(name, 0) for row in rows), np.int64, len(rows))
                for name in names
            }
            self._totals[key] = cached
        return cached

    def field_codes(self, name: str) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
        """A constraint field's value per agent, as a code into the distinct values (-1: none)."""
        cached = self._fields.get(name)
        if cached is None:
            values: dict[str, int] = {}
            codes = np.full(len(self._agents), -1, np.int32)
            for index, agent_offers in enumerate(self._agents):
                value = agent_offers.agent.field_value(name)
                if value is not None:
                    codes[index] = values.setdefault(value, len(values))
            cached = (codes, tuple(values))
            self._fields[name] = cached
        return cached

    def volume_agents(self, volume_id: str) -> tuple[int, ...]:
        """Positions of the agents offering persistent volume ``volume_id``."""
        if self._volumes is None:
            volumes: dict[str, list[int]] = {}
            for index, agent_offers in enumerate(self._agents):
                for entry in agent_offers.resources:
                    if entry.traits.volume_id is not None:
                        volumes.setdefault(entry.traits.volume_id, []).append(index)
            self._volumes = {key: tuple(value) for key, value in volumes.items()}
        return self._volumes.get(volume_id, ())
