"""Agent-by-agent filling: the first pass of packing strategies.

Vector bin packing does best bin by bin (open one bin, keep putting into it the item that best
matches the room left, open the next only when nothing more fits) rather than item by item.
Agents already in use are filled first, then the largest agents, so a batch lands on as few
agents as it can. The match of a task for an agent is the dot product of the task's demand and
the agent's free resources, both as shares of that agent's capacity (so an 8-cpu agent and a
32-cpu agent are judged alike), each resource weighted by the square of its share of the demand
still to place when the agent's filling began: the resource the batch needs most counts most,
which pairs tasks heavy in one resource with tasks heavy in another. Tasks that fit nowhere
here are left to the task-by-task pass.

The work per task placed is a handful of numpy operations over the tasks that still fit the
agent (a task placed on the totals alone is subtracted from the agent's columns once the agent
is done): tasks of several profiles (roles) sit side by side in one demand matrix, each in its
profile's block of columns, so one comparison and one dot product serve them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from frameworkkit.placement._capacity import Capacity, Profile
from frameworkkit.placement._groups import Groups
from frameworkkit.placement._plan import Plan
from frameworkkit.placement.resources import PORTS

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

PATIENCE = 32
"""Agents in a row that take nothing before filling stops and leaves the rest task by task."""
_SPENT = -1
"""The candidate index of a task already tried on the agent being filled."""
_SPENT_SCORE = -1.0
"""What a spent candidate's match is made of: live candidates score 0 or more, a spent one
less (or 0 when the agent has nothing left that scores, which the spent index tells)."""


@dataclass
class _Room:
    """The agent being filled as the filler sees it: ``free`` has the deferred plans placed
    on it subtracted; the agent's columns last showed ``told``."""

    agent: int
    free: FloatArray
    told: FloatArray
    deferred: list[Plan]


class Filler:
    """Fills agents one at a time with the plans given (in the order ties should go)."""

    def __init__(
        self,
        capacity: Capacity,
        groups: Groups,
        assign: Callable[[Plan, int], bool],
        record: Callable[[Plan, int], None],
        reserve_gpu_agents: bool,
    ) -> None:
        """``assign`` places a plan on an agent, its claim and columns included (False if the
        claim fails); ``record`` only notes where a deferred plan went, its columns left to
        the filler."""
        self.capacity = capacity
        self.groups = groups
        self.assign = assign
        self.record = record
        self.reserve_gpu_agents = reserve_gpu_agents

    def run(self, plans: Sequence[Plan]) -> list[Plan]:
        """Place what fits; returns the plans left, in the order given."""
        capacity = self.capacity
        if not plans or not capacity.count:
            return list(plans)
        self.plans = plans
        profiles: dict[int, Profile] = {}
        for plan in plans:
            profiles.setdefault(id(plan.shape.profile), plan.shape.profile)
        self.profiles = list(profiles.values())
        block = {key: index for index, key in enumerate(profiles)}
        width = len(capacity.columns)
        real = np.array([plan.shape.units for plan in plans], np.float64).reshape(len(plans), -1)
        if len(self.profiles) == 1:
            demand = real
        else:  # each task's demand in its profile's block of columns
            offset = np.array([block[id(plan.shape.profile)] * width for plan in plans])
            demand = np.zeros((len(plans), len(self.profiles) * width))
            rows = np.arange(len(plans))[:, None]
            demand[rows, offset[:, None] + np.arange(width)] = real
        self.demand = np.ascontiguousarray(demand.T)  # columns x plans: fast to test and take
        tiles = len(self.profiles)
        self.real = np.tile(real, tiles)  # the demand in every block: what is still to place
        load = np.array([name != PORTS for name in capacity.columns])
        largest = np.max([p.scale for p in self.profiles], axis=0) * capacity.units
        weight_scale = np.where(load, 1.0 / largest, 0.0)
        self.size_weight = weight_scale
        self.weight_square = np.tile(weight_scale**2, tiles)
        self.remaining = self.real.sum(axis=0)
        rules: dict[tuple[object, ...], int] = {}
        self.rule_plans: list[Plan] = []  # the first plan of each rule (group and constraints)
        rule_of = []
        for plan in plans:
            key = (plan.task.group, *plan.hard)
            rule = rules.get(key)
            if rule is None:
                rule = rules[key] = len(self.rule_plans)
                self.rule_plans.append(plan)
            rule_of.append(rule)
        self.rule_of = np.array(rule_of)
        self.group_rules: dict[str, list[int]] = {}
        for rule, plan in enumerate(self.rule_plans):
            if self.groups.counted(plan.task.group):
                self.group_rules.setdefault(plan.task.group, []).append(rule)
        self.needs_gpu = np.array([plan.task.gpus > 0 for plan in plans])
        self.urgent = np.array([plan.task.group in self.group_rules for plan in plans])
        most = np.concatenate([p.free.max(axis=1) for p in self.profiles])
        left = np.flatnonzero(_fitting(self.demand, most))
        placed = np.zeros(len(plans), np.bool_)
        misses = 0
        for agent in self._agent_order():
            if not left.size or misses >= PATIENCE:
                break
            taken = self._fill(int(agent), left)
            if taken:
                placed[taken] = True
                left = left[~placed[left]]
            misses = 0 if taken else misses + 1
        return [plan for plan in plans if plan.agent is None]

    def _agent_order(self) -> Indices:
        """Agents in use first, then by size (shares of the largest agent), ties seeded."""
        capacity = self.capacity
        size = np.zeros(capacity.count)
        for profile in self.profiles:
            size += self.size_weight @ profile.free
        occupied = capacity.running_on | (capacity.placed_on > 0)
        # One key sorts faster than lexsort: agents in use ahead of all others (a size is a
        # sum of shares, one per column and profile), the tie-break below any size difference.
        ahead = float(len(self.size_weight) * len(self.profiles)) + 1.0
        order: Indices = np.argsort(capacity.tie_break - size - ahead * occupied)
        return order

    def _fill(self, agent: int, rows: Indices) -> list[int]:
        """Fill ``agent`` from ``rows`` (plan indices); returns the rows placed."""
        free = self._free(agent)
        demand = self.demand.take(rows, axis=1)
        keep = _fitting(demand, free)
        if self.reserve_gpu_agents and any(p.gpu_agents[agent] for p in self.profiles):
            keep &= self.needs_gpu[rows]
        fitting = rows[keep]
        if not fitting.size:
            return []
        verdicts = np.ones(len(self.rule_plans), np.bool_)
        present = np.bincount(self.rule_of[fitting], minlength=len(self.rule_plans))
        for rule in np.flatnonzero(present).tolist():
            verdicts[rule] = self._allows(rule, agent)
        keep[keep] = verdicts[self.rule_of[fitting]]
        candidates, demand = rows[keep], demand.compress(keep, axis=1)
        whole = np.concatenate([p.capacity[:, agent] for p in self.profiles]).astype(np.float64)
        weight = np.divide(self.weight_square, whole**2, out=np.zeros_like(whole), where=whole > 0)
        emphasis = weight * self.remaining**2
        room = _Room(agent, free, free.copy(), [])
        taken: list[int] = []
        # Tasks that must spread go first: left to the end, they would strand on agents of
        # their own (they may not join the last agent if their group is there already).
        urgent = self.urgent[candidates]
        for part in (urgent, ~urgent):
            if part.any():
                part_demand = demand.compress(part, axis=1)
                self._take(room, candidates[part], part_demand, emphasis, verdicts, taken)
        self._commit(room)
        if taken:
            self.remaining -= self.real[taken].sum(axis=0)
        return taken

    def _take(
        self,
        room: _Room,
        candidates: Indices,
        demand: FloatArray,
        emphasis: FloatArray,
        verdicts: BoolArray,
        taken: list[int],
    ) -> None:
        """Place on the agent the best match of ``candidates`` (needing ``demand``) while any
        fits and is allowed, adding their rows to ``taken``."""
        agent = room.agent
        checked = not taken  # every live candidate is known to fit and be allowed
        live = candidates.size
        # The agent only loses room as it fills, and a rule that refuses it goes on refusing
        # while it fills: a task dropped from the candidates never comes back. The candidates
        # are checked again only when the best match of them all fails the check (the best
        # of all that fits and is allowed is the best of those that do). A candidate tried is
        # marked spent in place (it then scores last) rather than cut out, which would copy
        # the arrays each time; spent ones go at the next check.
        scores = demand * emphasis[:, None]  # free @ scores: each candidate's match
        ruled = bool(taken)  # whether a verdict may have changed since the candidates' check
        while live:
            free = room.free
            best = int((free @ scores).argmax())
            row = int(candidates[best])
            if row == _SPENT or not (
                checked or (verdicts[self.rule_of[row]] and (demand[:, best] <= free).all())
            ):
                keep = (candidates != _SPENT) & _fitting(demand, free)
                if ruled:
                    keep &= verdicts[self.rule_of[candidates]]
                candidates, demand = candidates[keep], demand.compress(keep, axis=1)
                scores = scores.compress(keep, axis=1)
                live, checked, ruled = candidates.size, True, False
                continue
            plan = self.plans[row]
            if plan.deferred:
                self.record(plan, agent)
                room.deferred.append(plan)
                free -= demand[:, best]
                placed = True
            else:
                self._commit(room)
                placed = self.assign(plan, agent)
                room.free = self._free(agent)
                room.told = room.free.copy()
            if placed:
                taken.append(row)
                for rule in self.group_rules.get(plan.task.group, ()):
                    verdicts[rule] = self._allows(rule, agent)
                    ruled = True
                checked = False
            candidates[best] = _SPENT
            scores[:, best] = _SPENT_SCORE
            live -= 1

    def _commit(self, room: _Room) -> None:
        """Subtract the deferred plans placed on the agent from its columns, all at once."""
        if room.deferred:
            units = (room.told - room.free).astype(np.int64)
            profile = room.deferred[0].shape.profile
            self.capacity.defer(room.agent, profile, units, placed=len(room.deferred))
            room.deferred.clear()
            room.told = room.free.copy()

    def _free(self, agent: int) -> FloatArray:
        if len(self.profiles) == 1:
            return self.profiles[0].free[:, agent].astype(np.float64)
        return np.concatenate([p.free[:, agent] for p in self.profiles]).astype(np.float64)

    def _allows(self, rule: int, agent: int) -> bool:
        plan = self.rule_plans[rule]
        return all(self.groups.allows(c, plan.task.group, agent) for c in plan.hard)


def _fitting(demand: FloatArray, free: FloatArray) -> BoolArray:
    """Per column of ``demand`` (resources x tasks), whether the task fits in ``free``."""
    fits: BoolArray = np.logical_and.reduce(demand <= free[:, None], axis=0)
    return fits
