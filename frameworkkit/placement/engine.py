"""Batch placement: a batch of task requests against all current offers at once.

Per task, every agent is tested at once with numpy: resource totals against the demand, hard
constraints as masks over agents. The strategy scores the agents; soft constraints and locality
blend in; the best agent that can take the task wins, ties going to a seeded random order of
agents. (Packing strategies fill agents one at a time first, see
:mod:`~frameworkkit.placement._fill`.) The winner's exact resources are claimed at once when the
totals cannot tell whether they are there (fixed ports, volumes, PATH/MOUNT disks, several
roles in one batch), else once the batch is done, in the order tasks were placed. Tasks that
fit nowhere are retried once the batch (and, for packing, consolidation) is done; those still
left get their reasons, counted against the final state of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from frameworkkit import validation
from frameworkkit._collector import CollectorPaused
from frameworkkit.placement._capacity import Capacity, Profile
from frameworkkit.placement._consolidate import consolidate, fewest, holding
from frameworkkit.placement._fill import Filler
from frameworkkit.placement._groups import Groups
from frameworkkit.placement._ledger import Ledger
from frameworkkit.placement._plan import Plan
from frameworkkit.placement.offers import AgentOffers, OfferPool
from frameworkkit.placement.request import RunningTask, TaskRequest
from frameworkkit.placement.resources import PORTS
from frameworkkit.placement.result import (
    Assignment,
    PlacementResult,
    Rejection,
    RejectionKind,
    Unplaced,
)
from frameworkkit.placement.strategies import BinPack, Fitness
from frameworkkit.protocol import messages

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

_placement_order = attrgetter("order")


def place(
    tasks: Sequence[TaskRequest],
    offers: OfferPool | Iterable[messages.Offer],
    *,
    running: Iterable[RunningTask] = (),
    strategy: Fitness | None = None,
    seed: int = 0,
    preference_weight: float = 0.5,
    reserve_gpu_agents: bool = True,
) -> PlacementResult:
    """Place a batch of tasks on the agents of ``offers`` (an :class:`OfferPool` or offers).

    ``running`` are the tasks already running (for constraints). ``strategy`` scores agents
    (default :class:`BinPack`); ``seed`` fixes the order ties are broken in, so the same inputs
    and seed always give the same placement. ``preference_weight`` (0..1) is how much soft
    constraints and locality weigh against the strategy's score. With ``reserve_gpu_agents``,
    tasks without GPUs go to agents without GPUs while any can take them. The garbage
    collector is paused while placing (collections would only scan the pool's offers).
    """
    for index, task in enumerate(tasks):
        if not isinstance(task, TaskRequest):
            raise TypeError(f"tasks[{index}]: must be a TaskRequest, got {task!r}")
    ids = [task.id for task in tasks]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"tasks: id {duplicate!r} appears more than once")
    running_tasks = tuple(running)
    for index, item in enumerate(running_tasks):
        if not isinstance(item, RunningTask):
            raise TypeError(f"running[{index}]: must be a RunningTask, got {item!r}")
    chosen = BinPack() if strategy is None else strategy
    if not isinstance(chosen, Fitness):
        raise TypeError(f"strategy: must be a Fitness, got {strategy!r}")
    validation.whole_number("seed", seed, minimum=-(2**63))
    if not 0.0 <= preference_weight <= 1.0:
        raise ValueError(f"preference_weight: must be within 0..1, got {preference_weight!r}")
    pool = offers if isinstance(offers, OfferPool) else OfferPool.from_offers(offers)
    with CollectorPaused():  # what placing builds lives on or is freed by reference counts
        batch = _Batch(
            pool, tasks, running_tasks, chosen, seed, preference_weight, reserve_gpu_agents
        )
        return batch.run()


class _Batch:
    def __init__(
        self,
        pool: OfferPool,
        tasks: Sequence[TaskRequest],
        running: Sequence[RunningTask],
        strategy: Fitness,
        seed: int,
        preference_weight: float,
        reserve_gpu_agents: bool,
    ) -> None:
        self.pool = pool
        self.strategy = strategy
        self.weight = preference_weight
        self.reserve_gpu_agents = reserve_gpu_agents
        self.ledger = Ledger(pool)
        running_on = np.zeros(len(pool), np.bool_)
        for item in running:
            position = pool.position(item.agent.agent_id)
            if position is not None:
                running_on[position] = True
        self.capacity = Capacity(pool, tasks, self.ledger, strategy, seed, running_on)
        self.groups = Groups(pool, tasks, running)
        one_profile = len(self.capacity.profiles) == 1
        profiles = self.capacity.task_profiles
        self.plans = [
            self._plan(position, task, profile, one_profile)
            for position, (task, profile) in enumerate(zip(tasks, profiles, strict=True))
        ]
        self.placements = 0

    def _plan(self, position: int, task: TaskRequest, profile: Profile, one_profile: bool) -> Plan:
        counted = bool(task.volumes) or (task.disk > 0 and task.disk_source != "ROOT")
        if task.ports and not counted:
            counted = any(spec.port for spec in task.ports)
        constraints = task.constraints
        if constraints:
            hard = tuple(c for c in constraints if not c.soft)
            soft = tuple(c for c in constraints if c.soft)
        else:
            hard = soft = ()
        locality = self.groups.locality(task) if task.locality else None
        movable = not (
            counted or constraints or locality is not None or self.groups.counted(task.group)
        )
        deferred = one_profile and not counted
        return Plan(task, position, profile, hard, soft, locality, movable, deferred)

    def run(self) -> PlacementResult:
        if self.strategy.largest_first:
            largest = np.argsort(-self.capacity.task_sizes, kind="stable").tolist()
            order = [self.plans[position] for position in largest]
        else:
            order = list(self.plans)
        if self.strategy.fills_agents:
            fillable: list[Plan] = []
            picky: list[Plan] = []
            for plan in order:
                (fillable if plan.fillable else picky).append(plan)
            failed = [plan for plan in picky if not self._place(plan)]
            filler = Filler(
                self.capacity, self.groups, self._assign, self._note, self.reserve_gpu_agents
            )
            left = filler.run(fillable)
            failed += [plan for plan in left if not self._place(plan)]
        else:
            failed = [plan for plan in order if not self._place(plan)]
        if self.strategy.consolidates:
            failed += self._consolidate()
        progress = True
        while failed and progress:
            still = [plan for plan in failed if not self._place(plan)]
            progress = len(still) < len(failed)
            failed = still
        self._settle()
        for plan in failed:
            plan.reasons = self._rejections(plan)
        return self._result()

    # -- placing -------------------------------------------------------------------------------

    def _ranked(self, plan: Plan) -> FloatArray:
        """Per agent, the task's score less the tie-break; -inf where it cannot go."""
        fits, scores, ranked = self.capacity.sync(self.capacity.shape(plan.position))
        profile = plan.profile
        shy = self.reserve_gpu_agents and plan.task.gpus == 0 and profile.has_gpu_agents
        if plan.plain and not shy:
            return ranked
        mask = fits.copy()
        for constraint in plan.hard:
            mask &= self.groups.mask(constraint, plan.task.group)
        for volume_id in plan.task.volumes:
            mask &= self._holders(volume_id, plan.task)
        if shy:
            without_gpus = mask & ~profile.gpu_agents
            if without_gpus.any():
                mask = without_gpus
        preference = self._preference(plan)
        if preference is not None:
            scores = (1.0 - self.weight) * scores + self.weight * preference
        return np.where(mask, scores - self.capacity.tie_break, -np.inf)

    def _holders(self, volume_id: str, task: TaskRequest) -> BoolArray:
        holders = np.zeros(len(self.pool), np.bool_)
        for agent in self.pool.volume_agents(volume_id):
            holders[agent] = self.ledger.has_volume(agent, volume_id, task)
        return holders

    def _preference(self, plan: Plan) -> FloatArray | None:
        parts = [self.groups.mask(c, plan.task.group).astype(np.float64) for c in plan.soft]
        if plan.locality is not None:
            parts.append(plan.locality)
        return np.mean(parts, axis=0) if parts else None

    def _place(self, plan: Plan) -> bool:
        if not len(self.pool):
            return False
        ranked = self._ranked(plan)
        best = int(ranked.argmax())
        if ranked[best] == -np.inf:
            return False
        if self._assign(plan, best):
            return True
        # Only fixed ports are not in the totals: try the other agents in order.
        count = int(np.count_nonzero(ranked > -np.inf))
        order = np.argsort(-ranked, kind="stable")[1:count]
        return any(self._assign(plan, int(agent)) for agent in order)

    def _assign(self, plan: Plan, agent: int) -> bool:
        """Place ``plan`` on ``agent``; False, changing nothing, if its claim fails."""
        if plan.deferred:
            units = self.capacity.task_units[plan.position]
            self.capacity.defer(agent, plan.profile, units, placed=1)
        else:
            claim = self.ledger.claim(agent, plan.task)
            if claim is None:
                return False
            plan.claim = claim
            self.capacity.refresh(agent, placed=1)
        self._note((plan,), agent)
        self.groups.record(plan.task.group, agent)
        return True

    def _note(self, plans: Sequence[Plan], agent: int) -> None:
        """Note that ``plans`` went to ``agent``, in this order (their claims or columns
        already seen to, their constraint counts not)."""
        order = self.placements
        for plan in plans:
            order += 1
            plan.agent, plan.order = agent, order
        self.placements = order

    def _unassign(self, plan: Plan) -> None:
        """Take a placed task (without counting constraints) off its agent."""
        agent = plan.placed()
        if plan.claim is None:  # deferred: nothing claimed yet
            units = self.capacity.task_units[plan.position]
            self.capacity.defer(agent, plan.profile, -units, placed=-1)
        else:
            self.ledger.release(plan.claim)
            self.capacity.refresh(agent, placed=-1)
        plan.agent = plan.claim = None

    def _settle(self) -> None:
        """Claim the exact resources of the deferred tasks, per agent in placement order."""
        waiting = [plan for plan in self.plans if plan.deferred and plan.agent is not None]
        waiting.sort(key=_placement_order)
        by_agent: dict[int, list[Plan]] = {}
        for plan in waiting:
            by_agent.setdefault(plan.placed(), []).append(plan)
        for agent, plans in by_agent.items():
            claims = self.ledger.claim_counted(agent, [plan.task for plan in plans])
            if claims is None:
                raise AssertionError(f"agent {agent}: the totals and entries disagree")
            for plan, claim in zip(plans, claims, strict=True):
                plan.claim = claim
        self.capacity.pending.clear()

    # -- consolidation -------------------------------------------------------------------------

    def _consolidate(self) -> list[Plan]:
        """Move movable tasks to use fewer agents; returns tasks that could not be re-claimed."""
        by_profile: dict[int, list[Plan]] = {}
        for plan in self.plans:
            if plan.movable and plan.agent is not None:
                by_profile.setdefault(id(plan.profile), []).append(plan)
        lost: list[Plan] = []
        for movers in by_profile.values():
            lost += self._consolidate_profile(movers)
        return lost

    def _consolidate_profile(self, movers: list[Plan]) -> list[Plan]:
        profile = movers[0].profile
        agents = np.array(sorted({p.agent for p in self.plans if p.agent is not None}))
        if len(movers) < 2 or len(agents) < 2:
            return []
        load_columns = np.array([name != PORTS for name in self.capacity.columns])
        free = profile.free[:, agents].T.copy()
        floor = fewest(profile.capacity_of(agents).T, free, load_columns)
        if floor >= len(agents):
            return []  # the batch's load needs every agent it uses
        position = {int(agent): i for i, agent in enumerate(agents)}
        demand = self.capacity.task_units[[plan.position for plan in movers]]
        where = np.array([position[plan.placed()] for plan in movers])
        allowed = np.ones((len(movers), len(agents)), np.bool_)
        if self.reserve_gpu_agents:
            allowed[[plan.task.gpus == 0 for plan in movers]] = ~profile.gpu_agents[agents]
        allowed[np.arange(len(movers)), where] = True
        weight = np.where(load_columns, 1.0 / (profile.scale * self.capacity.units), 0.0)
        busy = len(holding(where, len(agents)))
        pinned = len(agents) - busy  # agents none of the movers is on
        rounds = 100 + len(movers) // 4
        result = consolidate(demand, free, where, allowed, weight, rounds, floor - pinned)
        if len(holding(result, len(agents))) >= busy:
            return []  # no agent freed: keep the greedy placement
        moved = [(plan, int(agents[result[row]])) for row, plan in enumerate(movers)]
        moved = [(plan, target) for plan, target in moved if plan.placed() != target]
        for plan, _ in moved:
            self._unassign(plan)
        return [plan for plan, target in moved if not self._assign(plan, target)]

    # -- results -------------------------------------------------------------------------------

    def _rejections(self, plan: Plan) -> tuple[Rejection, ...]:
        task = plan.task
        free = plan.profile.free
        found: list[Rejection] = []
        for column, amount in self.capacity.shape(plan.position).needs:
            name = self.capacity.columns[column]
            short = int(np.count_nonzero(free[column] < amount))
            unit = self.capacity.units[column]
            largest = float(free[column].max()) / unit if len(self.pool) else 0.0
            kind: RejectionKind = "ports" if name == PORTS else "resource"
            found.append(Rejection(kind, name, short, float(amount / unit), largest))
        for spec in task.ports:
            if spec.port:
                missing = sum(
                    not self.ledger.port_free(agent, spec.port, task)
                    for agent in range(len(self.pool))
                )
                found.append(Rejection("ports", f"port {spec.port}", missing))
        for volume_id in task.volumes:
            missing = len(self.pool) - int(self._holders(volume_id, task).sum())
            found.append(Rejection("volume", volume_id, missing))
        for constraint in plan.hard:
            refused = int(np.count_nonzero(~self.groups.mask(constraint, task.group)))
            found.append(Rejection("constraint", str(constraint), refused))
        return tuple(rejection for rejection in found if rejection.agents)

    def _result(self) -> PlacementResult:
        assignments: dict[str, Assignment] = {}
        unplaced: dict[str, Unplaced] = {}
        agents: dict[int, AgentOffers] = {}
        for plan in self.plans:
            claim = plan.claim
            if claim is None:
                unplaced[plan.task.id] = Unplaced(plan.task, plan.reasons, len(self.pool))
                continue
            agent_offers = agents.get(claim.agent)
            if agent_offers is None:
                agent_offers = agents[claim.agent] = self.pool.agent(claim.agent)
            assignments[plan.task.id] = Assignment(
                plan.task,
                agent_offers.agent,
                agent_offers.offer_ids,
                tuple([piece.to_message() for _, piece in claim.pieces]),
                claim.ports,
            )
        return PlacementResult(assignments, unplaced, self.pool)
