"""What placement returns: an assignment per placed task, a reason per task left out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import msgspec

from frameworkkit.placement.agents import Agent
from frameworkkit.placement.offers import OfferPool, Slot
from frameworkkit.placement.request import RunningTask, TaskRequest
from frameworkkit.protocol import messages

RejectionKind = Literal["resource", "ports", "volume", "constraint"]


class AssignedPort(msgspec.Struct, frozen=True, gc=False):
    """A host port given to a task; ``name`` as asked in its :class:`PortSpec`."""

    port: int
    name: str | None = None


class Assignment(msgspec.Struct, frozen=True, gc=False):
    """One task placed on one agent.

    ``offer_ids`` lists every offer of the agent (accept them together, in one ACCEPT);
    ``resources`` are the exact ``Resource`` entries the task takes, roles, reservations,
    allocation info and disk info preserved, quantities cut to what it uses: put them in its
    TaskInfo (see :func:`~frameworkkit.placement.render.resources_to_json`). Immutable; a
    struct rather than a dataclass, as placement makes one per task and a struct is built
    several times faster.
    """

    task: TaskRequest
    agent: Agent
    offer_ids: tuple[str, ...]
    resources: tuple[messages.Resource, ...]
    ports: tuple[AssignedPort, ...] = ()

    @property
    def agent_id(self) -> str:
        return self.agent.agent_id

    def port(self, name: str) -> int:
        """The host port given for the port named ``name``."""
        for assigned in self.ports:
            if assigned.name == name:
                return assigned.port
        raise KeyError(f"task {self.task.id!r} has no port named {name!r}")

    def as_running(self) -> RunningTask:
        """This task as a running task, for the constraints of later placements."""
        return RunningTask(agent=self.agent, group=self.task.group)


@dataclass(frozen=True)
class Rejection:
    """One check a task failed, and on how many agents (``agents``).

    ``kind`` is ``resource`` (``name`` is the resource, e.g. ``cpus`` or ``disk(MOUNT)``),
    ``ports`` (``name`` is ``ports`` for a count of ports, or e.g. ``port 8080``), ``volume``
    (a persistence id) or ``constraint`` (``name`` is e.g. ``hostname:UNIQUE``). For a
    resource or a count of ports, ``asked`` is what the task needs (``mem`` and ``disk`` in
    MB) and ``largest`` the most any agent considered had free once the batch was placed;
    both are None for the other kinds.
    """

    kind: RejectionKind
    name: str
    agents: int
    asked: float | None = None
    largest: float | None = None

    def __str__(self) -> str:
        if self.asked is not None and self.largest is not None:
            return (
                f"{self.name}: needs {self.asked:g}, the most free on an agent is"
                f" {self.largest:g} (short on {self.agents} agent(s))"
            )
        if self.kind == "constraint":
            return f"constraint {self.name} rejects {self.agents} agent(s)"
        if self.kind == "volume":
            return f"volume {self.name} is not free on {self.agents} agent(s)"
        return f"{self.name} is not free on {self.agents} agent(s)"


@dataclass(frozen=True)
class Unplaced:
    """A task that fits nowhere. Each agent fails at least one of ``rejections``; each
    rejection counts the agents that fail that check (an agent may fail several). ``str()``
    reads e.g. ``task 'crunch-7' fits none of 12 agent(s): cpus: needs 100, the most free on
    an agent is 32 (short on 12 agent(s))``."""

    task: TaskRequest
    rejections: tuple[Rejection, ...]
    agents: int

    def __str__(self) -> str:
        if self.agents == 0:
            return f"task {self.task.id!r}: no offers"
        reasons = "; ".join(str(rejection) for rejection in self.rejections)
        return f"task {self.task.id!r} fits none of {self.agents} agent(s): {reasons}"


@dataclass(frozen=True)
class PlacementResult:
    """Assignments and unplaced tasks, each keyed by task id in batch order."""

    assignments: Mapping[str, Assignment]
    unplaced: Mapping[str, Unplaced]
    pool: OfferPool = field(repr=False, compare=False)
    _agents: Sequence[Slot] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_agents", self.pool.snapshot())

    @cached_property
    def unused_offer_ids(self) -> tuple[str, ...]:
        """The offers of agents that got no task (as the pool was when placing): decline them."""
        used = {assignment.agent_id for assignment in self.assignments.values()}
        return tuple(
            offer_id
            for slot in self._agents
            if slot.agent_id not in used
            for offer_id in slot.offer_ids
        )

    def by_agent(self) -> dict[str, tuple[Assignment, ...]]:
        """Assignments grouped per agent id: one ACCEPT per agent launches its tasks."""
        grouped: dict[str, list[Assignment]] = {}
        for assignment in self.assignments.values():
            grouped.setdefault(assignment.agent_id, []).append(assignment)
        return {agent_id: tuple(items) for agent_id, items in grouped.items()}
