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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from frameworkkit.placement._capacity import Capacity
from frameworkkit.placement._groups import Groups
from frameworkkit.placement._plan import Plan
from frameworkkit.placement.constraints import Constraint
from frameworkkit.placement.resources import PORTS

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

FIRST_AGENTS = 512
"""Agents put in order before filling starts; the rest are ordered only if it gets to them."""
PATIENCE = 32
"""Agents in a row that take nothing before filling stops and leaves the rest task by task."""
_SPENT = -1
"""The row of a task already tried on the agent being filled."""


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
        note: Callable[[Sequence[Plan], int], None],
        reserve_gpu_agents: bool,
    ) -> None:
        """``assign`` places a plan on an agent, its claim, columns and constraint counts
        included (False if the claim fails); ``note`` only notes where deferred plans went,
        their columns and constraint counts left to the filler."""
        self.capacity = capacity
        self.groups = groups
        self.assign = assign
        self.note = note
        self.reserve_gpu_agents = reserve_gpu_agents

    def run(self, plans: Sequence[Plan]) -> list[Plan]:
        """Place what fits; returns the plans left, in the order given."""
        capacity = self.capacity
        if not plans or not capacity.count:
            return list(plans)
        self.plans = plans
        if len(capacity.profiles) == 1:
            self.profiles = list(capacity.profiles.values())
        else:
            profiles = {id(plan.profile): plan.profile for plan in plans}
            self.profiles = list(profiles.values())
        tiles, width = len(self.profiles), len(capacity.columns)
        positions = np.fromiter((plan.position for plan in plans), np.intp, len(plans))
        real = capacity.task_units[positions].astype(np.float64)
        if tiles == 1:
            demand = real
        else:  # each task's demand in its profile's block of columns
            block = {id(profile): index for index, profile in enumerate(self.profiles)}
            offset = np.array([block[id(plan.profile)] * width for plan in plans])
            demand = np.zeros((len(plans), tiles * width))
            rows = np.arange(len(plans))[:, None]
            demand[rows, offset[:, None] + np.arange(width)] = real
        self.demand = np.ascontiguousarray(demand.T)  # columns x plans: fast to test and take
        self.needs: list[list[float]] = demand.tolist()  # per plan, as Python floats
        # A spent candidate's column: demand that fits nowhere, a score below all, no row.
        self.spent = np.concatenate(
            [np.full(tiles * width, np.inf), [_SPENT], np.full(tiles * width, -1.0)]
        )
        self.real = np.tile(real, tiles)  # the demand in every block: what is still to place
        load = np.array([name != PORTS for name in capacity.columns])
        largest = np.max([p.scale for p in self.profiles], axis=0) * capacity.units
        self.size_weight = np.where(load, 1.0 / largest, 0.0)
        self.weight_square = np.tile(self.size_weight**2, tiles)
        self.weights: dict[bytes, FloatArray] = {}  # by the agent's capacity, see _weight
        self.remaining = self.real.sum(axis=0)
        rules: dict[str | tuple[str, tuple[Constraint, ...]], int] = {}  # by group (and rules)
        self.rule_plans: list[Plan] = []  # the first plan of each rule (group and constraints)
        rule_of = []
        for plan in plans:
            key = (plan.task.group, plan.hard) if plan.hard else plan.task.group
            rule = rules.get(key)
            if rule is None:
                rule = rules[key] = len(self.rule_plans)
                self.rule_plans.append(plan)
            rule_of.append(rule)
        self.rule_of = np.array(rule_of, np.intp)
        self.rule_list = rule_of
        self.group_rules: dict[str, list[int]] = {}
        for rule, plan in enumerate(self.rule_plans):
            if self.groups.counted(plan.task.group):
                self.group_rules.setdefault(plan.task.group, []).append(rule)
        # Rules with hard constraints, while plans of theirs wait (none comes back).
        self.ruled = [rule for rule, plan in enumerate(self.rule_plans) if plan.hard]
        self.allowed = np.ones(len(self.rule_plans), np.bool_)  # every rule's verdict: yes
        self.waiting = [0] * len(self.rule_plans)  # per rule, its plans not placed yet
        for rule in rule_of:
            self.waiting[rule] += 1
        urgent_rules = np.array([plan.task.group in self.group_rules for plan in self.rule_plans])
        self.urgent = urgent_rules[self.rule_of]
        gpus = capacity.column_index.get("gpus")
        self.needs_gpu = real[:, gpus] > 0 if gpus is not None else np.zeros(len(plans), np.bool_)
        self.gpu_agents = np.logical_or.reduce([p.gpu_agents for p in self.profiles])
        most = np.concatenate([p.free.max(axis=1) for p in self.profiles])
        left = np.flatnonzero(_fitting(self.demand, most))
        placed = np.zeros(len(plans), np.bool_)
        misses = 0
        for agent in self._agent_order():
            if not left.size or misses >= PATIENCE:
                break
            taken = self._fill(agent, left)
            if taken:
                placed[taken] = True
                left = left[~placed[left]]
            misses = 0 if taken else misses + 1
        return [plan for plan in plans if plan.agent is None]

    def _agent_order(self) -> Iterator[int]:
        """Agents in use first, then by size (shares of the largest agent), ties seeded."""
        capacity = self.capacity
        key: FloatArray = self.size_weight @ self.profiles[0].free
        for profile in self.profiles[1:]:
            key += self.size_weight @ profile.free
        # One key sorts faster than lexsort: agents in use ahead of all others (a size is a
        # sum of shares, one per column and profile), the tie-break below any size difference.
        np.subtract(capacity.tie_break, key, out=key)
        occupied = capacity.running_on | (capacity.placed_on > 0)
        key[occupied] -= float(len(self.size_weight) * len(self.profiles)) + 1.0
        # A batch seldom needs more than the first few hundred agents: sort those alone,
        # and the rest only if filling gets to them.
        if len(key) > FIRST_AGENTS:
            head = np.argpartition(key, FIRST_AGENTS - 1)[:FIRST_AGENTS]
            yield from head[np.argsort(key[head])].tolist()
            key[head] = np.inf  # the others, in order, come before these
            yield from np.argsort(key)[: len(key) - FIRST_AGENTS].tolist()
        else:
            yield from np.argsort(key).tolist()

    def _fill(self, agent: int, rows: Indices) -> list[int]:
        """Fill ``agent`` from ``rows`` (plan indices); returns the rows placed."""
        free = self._free(agent)
        width = len(free)
        keep = _fitting(self.demand, free)[rows]
        if self.reserve_gpu_agents and self.gpu_agents[agent]:
            keep &= self.needs_gpu[rows]
        candidates = rows[keep]
        if not candidates.size:
            return []
        verdicts = self.allowed  # no rule refuses: shared, as no verdict can change
        ruled = self.ruled = [rule for rule in self.ruled if self.waiting[rule]]
        if ruled:
            verdicts = self.allowed.copy()
            for rule in ruled:
                verdicts[rule] = self._allows(rule, agent)
            candidates = candidates[verdicts[self.rule_of[candidates]]]
        emphasis = self._weight(agent) * self.remaining**2
        # One array per pass holds the candidates' demand, their rows and their scores
        # (free @ scores: each candidate's match), so that one call cuts out those that no
        # longer fit.
        block = np.empty((2 * width + 1, len(candidates)))
        self.demand.take(candidates, axis=1, out=block[:width])
        block[width] = candidates
        np.multiply(block[:width], emphasis[:, None], out=block[width + 1 :])
        room = _Room(agent, free, free.copy(), [])
        taken: list[int] = []
        # Tasks that must spread go first: left to the end, they would strand on agents of
        # their own (they may not join the last agent if their group is there already).
        urgent = self.urgent[candidates] if ruled else None
        if urgent is not None and urgent.any():
            self._take(room, block.compress(urgent, axis=1), verdicts, taken)
            block = block.compress(~urgent, axis=1)
        if block.shape[1]:
            self._take(room, block, verdicts, taken)
        self._commit(room)
        if taken:
            self.remaining -= self.real[taken].sum(axis=0)
            for row in taken:
                self.waiting[self.rule_list[row]] -= 1
        return taken

    def _take(self, room: _Room, block: FloatArray, verdicts: BoolArray, taken: list[int]) -> None:
        """Place on the agent the best match of the candidates of ``block`` (demand, rows and
        scores, see :meth:`_fill`) while any fits and is allowed, adding their rows to
        ``taken``."""
        agent = room.agent
        width = len(room.free)
        checked = not taken  # every live candidate is known to fit and be allowed
        # The agent only loses room as it fills, and a rule that refuses it goes on refusing
        # while it fills: a task dropped from the candidates never comes back. The candidates
        # are checked again only when the best match of them all fails the check (the best
        # of all that fits and is allowed is the best of those that do); the check of one
        # reads Python floats, cheaper than numpy for a handful of columns. A candidate
        # tried is marked spent in place (see ``spent``) rather than cut out, which would
        # copy the arrays each time; spent ones go at the next check.
        spent = self.spent
        rows, scores = block[width], block[width + 1 :]
        needs, rule_of, plans, group_rules = (
            self.needs,
            self.rule_list,
            self.plans,
            self.group_rules,
        )
        deferred = room.deferred
        free = room.free
        room_left = free.tolist()
        live = len(rows)
        ruled = bool(taken)  # whether a verdict may have changed since the candidates' check
        while live:
            best = int(free.dot(scores).argmax())
            row = int(rows[best])
            fits = row != _SPENT and (checked or not ruled or bool(verdicts[rule_of[row]]))
            if fits:
                after = list(map(_minus, room_left, needs[row]))  # the room it would leave
                fits = checked or min(after) >= 0.0
            if not fits:
                keep = _fitting(block[:width], free)
                if ruled:
                    keep &= verdicts[self.rule_of[rows.astype(np.intp)]]
                if not keep.any():
                    return
                block = block.compress(keep, axis=1)
                rows, scores = block[width], block[width + 1 :]
                live, checked, ruled = len(rows), True, False
                continue
            plan = plans[row]
            if plan.deferred:
                deferred.append(plan)
                room_left = after
                free = room.free = np.array(after)
                placed = True
            else:
                self._commit(room)
                placed = self.assign(plan, agent)
                free = room.free = self._free(agent)
                room.told = free.copy()
                room_left = free.tolist()
            if placed:
                taken.append(row)
                rules = group_rules.get(plan.task.group)
                if rules:
                    if plan.deferred:
                        self.groups.record(plan.task.group, agent)
                    for rule in rules:
                        verdicts[rule] = self._allows(rule, agent)
                    ruled = True
                checked = False
            block[:, best] = spent
            live -= 1

    def _commit(self, room: _Room) -> None:
        """Subtract the deferred plans placed on the agent from its columns, all at once."""
        if room.deferred:
            self.note(room.deferred, room.agent)
            units = (room.told - room.free).astype(np.int64)
            profile = room.deferred[0].profile
            self.capacity.defer(room.agent, profile, units, placed=len(room.deferred))
            room.deferred.clear()
            room.told = room.free.copy()

    def _weight(self, agent: int) -> FloatArray:
        """Each column's weight on the agent: its square share of the agent's capacity (see
        the module); agents of one size share it."""
        if len(self.profiles) == 1:
            whole = self.profiles[0].capacity_of(agent)
        else:
            whole = np.concatenate([p.capacity_of(agent) for p in self.profiles])
        key = whole.tobytes()
        weight = self.weights.get(key)
        if weight is None:
            square = whole.astype(np.float64) ** 2
            weight = np.divide(
                self.weight_square, square, out=np.zeros_like(square), where=square > 0
            )
            self.weights[key] = weight
        return weight

    def _free(self, agent: int) -> FloatArray:
        if len(self.profiles) == 1:
            return self.profiles[0].free[:, agent].astype(np.float64)
        return np.concatenate([p.free[:, agent] for p in self.profiles]).astype(np.float64)

    def _allows(self, rule: int, agent: int) -> bool:
        plan = self.rule_plans[rule]
        return all(self.groups.allows(c, plan.task.group, agent) for c in plan.hard)


_minus = float.__sub__


def _fitting(demand: FloatArray, free: FloatArray) -> BoolArray:
    """Per column of ``demand`` (resources x tasks), whether the task fits in ``free``."""
    fits: BoolArray = np.logical_and.reduce(demand <= free[:, None], axis=0)
    return fits
