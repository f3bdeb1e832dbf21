"""The scheduler's bridge to the placement engine: ready tasks and offers in, launches out.

It turns TaskSpecs into placement requests, remembers each agent it has seen (so constraints can
count the tasks already running there, and so a task that fits nowhere can be explained against
every agent seen lately), and, with a packed executor, sets the executor's share aside on agents
that do not run it yet (with an executor per task, adds its share to each task). A task whose
placement raises (a user's ``Fitness``, say) is reported apart; the rest of the batch is still
placed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from frameworkkit.placement import (
    Agent,
    AgentOffers,
    Fitness,
    InsufficientResources,
    OfferPool,
    PlacementResult,
    Resources,
    RunningTask,
    TaskRequest,
    Unplaced,
    group_offers,
    place,
    resources_to_json,
    strategy_named,
)
from frameworkkit.placement.resources import to_units
from frameworkkit.protocol.messages import Offer
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.tasks import Task

log = logging.getLogger("frameworkkit.scheduler")

RECENT_AGENT_SECONDS = 300.0
"""How long an agent's last offer counts when explaining why a task fits nowhere."""


@dataclass(frozen=True)
class Launch:
    """One task placed on one agent: the offers to accept and the exact resources it takes."""

    task: Task
    agent: Agent
    offer_ids: list[str]
    resources: list[dict[str, Any]]
    ports: list[int]
    executor_resources: list[dict[str, Any]] | None = None  # an executor of the task's own


@dataclass
class MatchResult:
    """Launches, tasks left unplaced (with why), and tasks whose placement raised."""

    launches: list[Launch] = field(default_factory=list)
    unplaced: dict[str, Unplaced] = field(default_factory=dict)  # task key -> why
    broken: dict[str, str] = field(default_factory=dict)  # task key -> what placing it raised
    executor_resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def by_agent(self) -> dict[str, list[Launch]]:
        grouped: dict[str, list[Launch]] = {}
        for launch in self.launches:
            grouped.setdefault(launch.agent.agent_id, []).append(launch)
        return grouped


class Matcher:
    """Places ready tasks on offers with the placement engine's strategy and constraints."""

    def __init__(
        self,
        role: str,
        strategy: str | Fitness = "binpack",
        seed: int = 0,
        executor: PackedExecutor | None = None,
    ) -> None:
        self.role = role
        self.fitness = strategy_named(strategy)
        self.seed = seed
        self.executor = executor
        self.agents: dict[str, Agent] = {}
        self._recent: dict[str, tuple[float, AgentOffers]] = {}
        self._executor_resources: dict[str, list[dict[str, Any]]] = {}

    def match(
        self, ready: Sequence[Task], offers: Sequence[Offer], running: Sequence[Task]
    ) -> MatchResult:
        """Place ``ready`` tasks on ``offers``, counting ``running`` tasks for constraints."""
        pool = self._pool(offers)
        requests = {task.key: self._request(task) for task in ready}
        placed_on = [r for r in (self._running(t) for t in running) if r is not None]
        result = MatchResult(executor_resources=self._executor_resources)
        try:
            placed = self._place(list(requests.values()), pool, placed_on)
        except Exception:
            result.broken = self._find_broken(requests, pool, placed_on)
            good = [r for key, r in requests.items() if key not in result.broken]
            placed = self._place(good, pool, placed_on)
        by_key = {task.key: task for task in ready}
        for key, assignment in placed.assignments.items():
            resources, own_executor = resources_to_json(assignment.resources), None
            if self.executor is not None and self.executor.per_task:
                placed_resources = Resources.from_messages(assignment.resources)
                task_part, share = _split_share(placed_resources, self.executor)
                resources = resources_to_json(task_part.to_messages())
                own_executor = resources_to_json(share.to_messages())
            result.launches.append(
                Launch(
                    task=by_key[key],
                    agent=assignment.agent,
                    offer_ids=list(assignment.offer_ids),
                    resources=resources,
                    ports=[p.port for p in assignment.ports],
                    executor_resources=own_executor,
                )
            )
        result.unplaced = dict(placed.unplaced)
        return result

    def explain(self, task: Task) -> Unplaced | None:
        """Why ``task`` fits none of the agents offered lately (None if one would take it)."""
        now = time.monotonic()
        agents = [a for seen, a in self._recent.values() if now - seen <= RECENT_AGENT_SECONDS]
        result = self._place([self._request(task)], OfferPool(agents), [])
        return result.unplaced.get(task.key)

    def _place(
        self, requests: list[TaskRequest], pool: OfferPool, running: list[RunningTask]
    ) -> PlacementResult:
        return place(requests, pool, running=running, strategy=self.fitness, seed=self.seed)

    def _find_broken(
        self, requests: dict[str, TaskRequest], pool: OfferPool, running: list[RunningTask]
    ) -> dict[str, str]:
        """Place each task alone to find those whose placement raises."""
        broken = {}
        for key, request in requests.items():
            try:
                self._place([request], pool, running)
            except Exception as exc:
                log.exception("placing task %s raised", key)
                broken[key] = f"placement raised {type(exc).__name__}: {exc}"
        return broken

    def _request(self, task: Task) -> TaskRequest:
        spec = task.spec
        own = self.executor.scalars if self.executor and self.executor.per_task else {}
        return TaskRequest(
            task.key,
            cpus=spec.cpus + own.get("cpus", 0.0),
            mem=spec.mem + own.get("mem", 0.0),
            disk=spec.disk + own.get("disk", 0.0),
            gpus=spec.gpus,
            ports=spec.port_names,
            scalars=spec.resources,
            role=spec.role or self.role,
            group=spec.counting_group,
            constraints=spec.constraints,
        )

    def _running(self, task: Task) -> RunningTask | None:
        agent = self.agents.get(task.agent_id or "")
        return RunningTask(agent=agent, group=task.spec.counting_group) if agent else None

    def _pool(self, offers: Sequence[Offer]) -> OfferPool:
        """The offers per agent; the packed executor's share set aside where it must start."""
        executor = None if self.executor and self.executor.per_task else self.executor
        executors = {
            o.agent_id.value
            for o in offers
            if executor and any(e.value == executor.executor_id for e in o.executor_ids)
        }
        now = time.monotonic()
        agents = []
        for agent_offers in group_offers(offers):
            agent_id = agent_offers.agent.agent_id
            self.agents[agent_id] = agent_offers.agent
            if executor is not None:
                share = _executor_share(agent_offers.resources, self.role, executor)
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
            self._recent[agent_id] = (now, agent_offers)
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


def _split_share(resources: Resources, executor: PackedExecutor) -> tuple[Resources, Resources]:
    """A task's placed resources (its own and its executor's) as (the task's, the executor's)."""
    wanted = {name: to_units(amount) for name, amount in executor.scalars.items()}
    share = []
    for entry in resources:
        units = min(wanted.get(entry.name, 0), entry.units)
        if units and entry.kind == "SCALAR":
            share.append(entry.with_quantity(units=units))
            wanted[entry.name] -= units
    executor_share = Resources(share)
    return resources - executor_share, executor_share
