"""Agent-by-agent filling: the first pass of packing strategies.

Vector bin packing does best bin by bin (open one bin, keep putting into it the item that best
matches the room left, open the next only when nothing more fits) rather than item by item.
Agents already in use are filled first, then the largest agents, so a batch lands on as few
agents as it can. The match of a task for an agent is the dot product of the task's demand and
the agent's free resources, both as shares of that agent's capacity (so an 8-cpu agent and a
32-cpu agent are judged alike), each resource weighted by the square of its share of the demand
still to place: the resource the batch needs most counts most, which pairs tasks heavy in one
resource with tasks heavy in another. Tasks that fit nowhere here are left to the task-by-task
pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from frameworkkit.placement._capacity import Capacity, Profile
from frameworkkit.placement._groups import Groups
from frameworkkit.placement._ledger import Claim, Ledger
from frameworkkit.placement._plan import Plan
from frameworkkit.placement.resources import PORTS

FloatArray = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

PATIENCE = 32
"""Agents in a row that take nothing before filling stops and leaves the rest task by task."""


class Filler:
    """Fills agents one at a time with the plans given (in the order ties should go)."""

    def __init__(
        self,
        capacity: Capacity,
        groups: Groups,
        ledger: Ledger,
        record: Callable[[Plan, Claim], None],
        reserve_gpu_agents: bool,
    ) -> None:
        self.capacity = capacity
        self.groups = groups
        self.ledger = ledger
        self.record = record
        self.reserve_gpu_agents = reserve_gpu_agents

    def run(self, plans: Sequence[Plan]) -> list[Plan]:
        """Place what fits; returns the plans left, in the order given."""
        capacity = self.capacity
        if not plans or not capacity.count:
            return list(plans)
        self.plans = plans
        profiles: list[Profile] = []
        for plan in plans:
            if not any(plan.shape.profile is known for known in profiles):
                profiles.append(plan.shape.profile)
        self.profiles = profiles
        self.profile_of = np.array(
            [next(i for i, p in enumerate(profiles) if p is plan.shape.profile) for plan in plans]
        )
        self.demand = np.zeros((len(plans), len(capacity.columns)))
        for row, plan in enumerate(plans):
            for column, amount in plan.shape.needs:
                self.demand[row, column] = amount
        load = np.array([name != PORTS for name in capacity.columns])
        largest = np.max([p.scale for p in profiles], axis=0) * capacity.units
        self.weight_scale = np.where(load, 1.0 / largest, 0.0)
        self.remaining = self.demand.sum(axis=0).astype(np.float64)
        rules: dict[tuple[object, ...], int] = {}
        self.rule_of = np.array(
            [rules.setdefault((plan.task.group, *plan.hard), len(rules)) for plan in plans]
        )
        self.rule_plans = [next(p for p in plans if (p.task.group, *p.hard) == r) for r in rules]
        self.rule_groups = np.array([plan.task.group for plan in self.rule_plans], dtype=object)
        self.needs_gpu = np.array([plan.task.gpus > 0 for plan in plans])
        most = np.stack([p.free.max(axis=1) for p in profiles])
        left = np.flatnonzero((self.demand <= most[self.profile_of]).all(axis=1))
        misses = 0
        for agent in self._agent_order():
            if not left.size or misses >= PATIENCE:
                break
            before = left.size
            left = self._fill(int(agent), left)
            misses = misses + 1 if left.size == before else 0
        return [plan for plan in plans if plan.claim is None]

    def _agent_order(self) -> Indices:
        """Agents in use first, then by size (shares of the largest agent), ties seeded."""
        capacity = self.capacity
        size = np.zeros(capacity.count)
        for profile in self.profiles:
            size += self.weight_scale @ profile.free
        occupied = capacity.running_on | (capacity.placed_on > 0)
        return np.lexsort((capacity.tie_break, -size, ~occupied))

    def _fill(self, agent: int, rows: Indices) -> Indices:
        """Fill ``agent`` from ``rows`` (plan indices); returns the rows left."""
        free = self._free(agent)
        whole = np.stack([p.capacity[:, agent] for p in self.profiles]).astype(np.float64)
        share = np.divide(1.0, whole, out=np.zeros_like(whole), where=whole > 0)
        candidates = rows
        if self.reserve_gpu_agents and any(p.gpu_agents[agent] for p in self.profiles):
            candidates = candidates[self.needs_gpu[candidates]]
        verdicts = np.full(len(self.rule_plans), -1, np.int8)
        taken: list[int] = []
        single = len(self.profiles) == 1
        # The agent only loses room as it fills: a task that does not fit now never will.
        while candidates.size:
            demand = self.demand[candidates]
            room = free[0] if single else free[self.profile_of[candidates]]
            fits = (demand <= room).all(axis=1)
            candidates, demand = candidates[fits], demand[fits]
            if not candidates.size:
                break
            rules = self.rule_of[candidates]
            unknown = verdicts[rules] < 0
            if unknown.any():
                for rule in np.unique(rules[unknown]):
                    verdicts[rule] = self._allows(int(rule), agent)
            allowed = verdicts[rules] == 1
            if not allowed.any():
                break
            weight = self.remaining * self.weight_scale
            total = weight.sum()
            worth = free * share * share * ((weight / total) ** 2 if total > 0 else weight)
            if single:
                match = demand[allowed] @ worth[0]
            else:
                match = (demand[allowed] * worth[self.profile_of[candidates[allowed]]]).sum(axis=1)
            row = int(candidates[allowed][int(match.argmax())])
            candidates = candidates[candidates != row]
            plan = self.plans[row]
            claim = self.ledger.claim(agent, plan.task)
            if claim is None:  # a fixed port is not free here
                continue
            self.record(plan, claim)
            taken.append(row)
            self.remaining -= self.demand[row]
            free = self._free(agent)
            verdicts[self.rule_groups == plan.task.group] = -1
        return rows[~np.isin(rows, taken)] if taken else rows

    def _free(self, agent: int) -> FloatArray:
        return np.stack([p.free[:, agent] for p in self.profiles]).astype(np.float64)

    def _allows(self, rule: int, agent: int) -> bool:
        plan = self.rule_plans[rule]
        return all(self.groups.allows(c, plan.task.group, agent) for c in plan.hard)
