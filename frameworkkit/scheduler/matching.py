"""The scheduler's bridge to the placement engine: pending tasks and offers in, launches out.

It turns TaskSpecs into placement requests, remembers each agent it has seen (so constraints can
count the tasks already running there), and, with a packed executor, sets the executor's share
aside on agents that do not run it yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from frameworkkit.placement import (
    Agent,
    AgentOffers,
    Alignment,
    BinPack,
    FirstFit,
    Fitness,
    InsufficientResources,
    OfferPool,
    Resources,
    RunningTask,
    Spread,
    TaskRequest,
    group_offers,
    place,
    resources_to_json,
)
from frameworkkit.placement.resources import to_units
from frameworkkit.protocol.messages import Offer
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.tasks import Task

STRATEGIES: dict[str, type[Fitness]] = {
    "binpack": BinPack,
    "spread": Spread,
    "firstfit": FirstFit,
    "alignment": Alignment,
}


@dataclass(frozen=True)
class Launch:
    """One task placed on one agent: the offers to accept and the exact resources it takes."""

    task: Task
    agent_id: str
    offer_ids: list[str]
    resources: list[dict[str, Any]]
    ports: list[int]


@dataclass
class MatchResult:
    launches: list[Launch] = field(default_factory=list)
    unplaced: dict[str, str] = field(default_factory=dict)  # task key -> reason
    executor_resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def by_agent(self) -> dict[str, list[Launch]]:
        grouped: dict[str, list[Launch]] = {}
        for launch in self.launches:
            grouped.setdefault(launch.agent_id, []).append(launch)
        return grouped


def fitness_for(strategy: str | Fitness) -> Fitness:
    """A placement strategy by name (binpack, spread, firstfit, alignment) or as given."""
    if isinstance(strategy, Fitness):
        return strategy
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy: one of {sorted(STRATEGIES)} or a Fitness, got {strategy!r}")
    return STRATEGIES[strategy]()


class Matcher:
    """Places pending tasks on offers with the placement engine's strategy and constraints."""

    def __init__(self, strategy: str | Fitness = "binpack", seed: int = 0) -> None:
        self.fitness = fitness_for(strategy)
        self.seed = seed
        self.agents: dict[str, Agent] = {}
        self._executor_resources: dict[str, list[dict[str, Any]]] = {}

    def match(
        self,
        pending: Sequence[Task],
        offers: Sequence[Offer],
        running: Sequence[Task],
        role: str,
        executor: PackedExecutor | None = None,
    ) -> MatchResult:
        result = MatchResult()
        pool = self._pool(offers, role, executor)
        requests = [self._request(task, role) for task in pending]
        placed = place(
            requests,
            pool,
            running=[r for r in (self._running(t) for t in running) if r is not None],
            strategy=self.fitness,
            seed=self.seed,
        )
        by_key = {task.key: task for task in pending}
        for key, assignment in placed.assignments.items():
            result.launches.append(
                Launch(
                    task=by_key[key],
                    agent_id=assignment.agent_id,
                    offer_ids=list(assignment.offer_ids),
                    resources=resources_to_json(assignment.resources),
                    ports=[p.port for p in assignment.ports],
                )
            )
        result.unplaced = {key: str(unplaced) for key, unplaced in placed.unplaced.items()}
        result.executor_resources = self._executor_resources
        return result

    def _request(self, task: Task, role: str) -> TaskRequest:
        spec = task.spec
        return TaskRequest(
            task.key,
            cpus=spec.cpus,
            mem=spec.mem,
            disk=spec.disk,
            gpus=spec.gpus,
            ports=spec.port_names,
            scalars=spec.resources,
            role=spec.role or role,
            group=spec.group,
            constraints=spec.constraints,
        )

    def _running(self, task: Task) -> RunningTask | None:
        agent = self.agents.get(task.agent_id or "")
        return RunningTask(agent=agent, group=task.spec.group) if agent else None

    def _pool(
        self, offers: Sequence[Offer], role: str, executor: PackedExecutor | None
    ) -> OfferPool:
        """The offers per agent; the packed executor's share set aside where it must start."""
        executors = {
            o.agent_id.value
            for o in offers
            if executor and any(e.value == executor.executor_id for e in o.executor_ids)
        }
        agents = []
        for agent_offers in group_offers(offers):
            agent_id = agent_offers.agent.agent_id
            self.agents[agent_id] = agent_offers.agent
            if executor is not None:
                share = _executor_share(agent_offers.resources, role, executor)
                if share is not None and agent_id not in self._executor_resources:
                    self._executor_resources[agent_id] = resources_to_json(share.to_messages())
                if agent_id not in executors:
                    if share is None:
                        continue  # no room for the executor itself
                    try:
                        remaining = agent_offers.resources - share
                    except InsufficientResources:
                        continue
                    agent_offers = AgentOffers(
                        agent_offers.agent, agent_offers.offer_ids, remaining
                    )
            agents.append(agent_offers)
        return OfferPool(agents)


def _executor_share(resources: Resources, role: str, executor: PackedExecutor) -> Resources | None:
    """The executor's scalars, cut from the agent's unreserved resources; None if short."""
    wanted = dict(executor.scalars)
    share = []
    for entry in resources.usable_by(role):
        amount = wanted.get(entry.name)
        if amount and entry.kind == "SCALAR" and entry.traits.reservation_role is None:
            units = to_units(amount)
            if entry.units < units:
                return None
            share.append(entry.with_quantity(units=units))
            del wanted[entry.name]
    return None if wanted else Resources(share)
