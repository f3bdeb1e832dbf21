"""What every agent can still give, as numpy columns, and per task shape where tasks fit and
how the strategy scores each agent.

A column is a resource the batch asks for (``cpus``, ``mem``, ``disk`` or ``disk(PATH)`` /
``disk(MOUNT)``, ``gpus``, other scalars, ``ports``), in units (thousandths for scalars, a count
for ports). Tasks of one role and revocable setting share a profile (one array of columns x
agents); tasks that also need the same amounts share a shape. A shape's arrays are computed for
every agent once, then only for the agents whose resources changed since (the change log).

A claim on the ledger changes an agent's columns to what its remaining entries give; a deferred
placement (see :class:`~frameworkkit.placement._plan.Plan`) subtracts its units from the
columns and counts them as pending, for the ledger's entries do not show them yet.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import msgspec
import numpy as np
import numpy.typing as npt

from frameworkkit.placement._ledger import Ledger
from frameworkkit.placement.offers import OfferPool
from frameworkkit.placement.request import TaskRequest
from frameworkkit.placement.resources import (
    MOUNT_DISK,
    PATH_DISK,
    PORTS,
    UNITS_PER_SCALAR,
    usable_totals,
)
from frameworkkit.placement.strategies import Fitness, FitView

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Indices = npt.NDArray[np.intp]

DISK_COLUMNS = {"ROOT": "disk", "PATH": PATH_DISK, "MOUNT": MOUNT_DISK}


@dataclass
class Profile:
    """Columns x agents for tasks of one role and revocable setting."""

    role: str
    allow_revocable: bool
    free: IntArray
    totals: list[IntArray]  # per column, what each agent had when the batch began
    scale: FloatArray  # per column, the largest capacity in resource units (1 when none)
    gpu_agents: BoolArray
    has_gpu_agents: bool

    @functools.cached_property
    def capacity(self) -> IntArray:
        """Columns x agents: what each agent had when the batch began."""
        return np.stack(self.totals) if self.totals else np.zeros_like(self.free)

    def capacity_of(self, agents: Indices | int) -> IntArray:
        """``capacity[:, agents]``, read without building all of ``capacity``."""
        if not self.totals:
            return np.zeros((0, *np.shape(agents)), np.int64)
        return np.array([row[agents] for row in self.totals])


class Shape(msgspec.Struct, gc=False):
    """Tasks of one profile needing the same amounts; arrays over agents once computed. Made
    only for tasks placed one by one (and for reasons), see :meth:`Capacity.shape`."""

    profile: Profile
    units: IntArray  # the units needed in every column
    size: float  # the largest share of ``scale`` it needs
    needs: tuple[tuple[int, int], ...]  # (column, units) for each column needed
    fits: BoolArray | None = None
    scores: FloatArray | None = None
    ranked: FloatArray | None = None  # score less the tie-break where it fits, else -inf
    synced: int = 0  # how many entries of the change log the arrays reflect


def task_demand(task: TaskRequest) -> Mapping[str, int]:
    """The task's needs by column name, in units."""
    units = task.scalar_units()
    if not task.ports and (task.disk_source == "ROOT" or "disk" not in units):
        return units
    demand = {
        DISK_COLUMNS[task.disk_source] if name == "disk" else name: n for name, n in units.items()
    }
    if task.ports:
        demand[PORTS] = len(task.ports)
    return demand


@functools.lru_cache(maxsize=16)
def tie_break(seed: int, count: int) -> FloatArray:
    """Ties go to a seeded random order of ``count`` agents: a tiny, distinct amount to take
    from every agent's score. Read-only: batches of one seed and size share it."""
    rank = np.random.default_rng(seed).permutation(count)
    amounts = rank.astype(np.float64) * (1e-10 / max(count, 1))
    amounts.flags.writeable = False
    return amounts


class Capacity:
    """The columns of every profile, each task's needs, profile and shape (``shape(i)`` for
    ``tasks[i]``) and, per shape, where it fits and how the strategy scores each agent."""

    def __init__(
        self,
        pool: OfferPool,
        tasks: Sequence[TaskRequest],
        ledger: Ledger,
        strategy: Fitness,
        seed: int,
        running_on: BoolArray,
    ) -> None:
        self.pool = pool
        self.count = len(pool)
        self.ledger = ledger
        self.strategy = strategy
        demands = [task_demand(task) for task in tasks]
        names: dict[str, int] = {}
        for demand in demands:
            names.update(demand)
        self.columns = list(names)
        self.column_index = {name: i for i, name in enumerate(self.columns)}
        self.ports_column = self.column_index.get(PORTS)
        self.units = np.array(
            [1.0 if name == PORTS else float(UNITS_PER_SCALAR) for name in self.columns]
        )
        self.tie_break = tie_break(seed, self.count)
        self.placed_on = np.zeros(self.count, np.int64)
        self.running_on = running_on
        self.profiles: dict[tuple[str, bool], Profile] = {}
        self._by_key: dict[tuple[object, ...], Shape] = {}
        # Per task of the batch, the units it needs in every column.
        self.task_units = np.zeros((len(tasks), len(self.columns)), np.int64)
        for column, name in enumerate(self.columns):
            self.task_units[:, column] = [demand.get(name, 0) for demand in demands]
        keys = [(task.role, task.allow_revocable) for task in tasks]
        self.task_sizes = self._sizes(keys)  # per task, the largest share it needs
        self.task_profiles = [self.profiles[key] for key in keys]
        self._shapes: list[Shape | None] = [None] * len(tasks)
        self.changes: list[int] = []  # an agent each time its resources changed
        self.pending: dict[int, IntArray] = {}  # per agent, the units of its deferred tasks

    def profile(self, role: str, allow_revocable: bool) -> Profile:
        key = (role, allow_revocable)
        profile = self.profiles.get(key)
        if profile is None:
            totals = self.pool.totals(role, allow_revocable)
            # The pool's own arrays: the pool does not change while a batch is placed.
            rows = [totals.get(name) for name in self.columns]
            if any(row is None for row in rows):
                zero = np.zeros(self.count, np.int64)
                rows = [zero if row is None else row for row in rows]
            present = cast(list[IntArray], rows)
            free = np.stack(present) if present else np.zeros((0, self.count), np.int64)
            largest = free.max(axis=1) if self.count else np.zeros(len(self.columns))
            gpus = totals.get("gpus")
            gpu_agents = gpus > 0 if gpus is not None else np.zeros(self.count, np.bool_)
            profile = Profile(
                role,
                allow_revocable,
                free,
                present,
                np.where(largest > 0, largest / self.units, 1.0),
                gpu_agents,
                bool(gpu_agents.any()),
            )
            self.profiles[key] = profile
        return profile

    def _sizes(self, keys: Sequence[tuple[str, bool]]) -> FloatArray:
        """Per task (of the profile ``keys[i]``), the largest share of its profile's ``scale``
        it needs, ports left out."""
        if not keys:
            return np.zeros(0)
        index = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        largest = np.array([self.profile(*key).scale * self.units for key in index])
        if len(index) > 1:
            largest = largest[[index[key] for key in keys]]
        shares = self.task_units / largest
        if self.ports_column is not None:
            shares[:, self.ports_column] = 0.0
        sizes: FloatArray = shares.max(axis=1, initial=0.0)
        return sizes

    def shape(self, position: int) -> Shape:
        """The shape of ``tasks[position]``, made when first asked for: tasks of one profile
        that need the same amounts share it (and its arrays)."""
        shape = self._shapes[position]
        if shape is None:
            profile, units = self.task_profiles[position], self.task_units[position]
            key = (id(profile), units.tobytes())
            shape = self._by_key.get(key)
            if shape is None:
                size = float(self.task_sizes[position])
                needs = tuple((c, amount) for c, amount in enumerate(units.tolist()) if amount)
                shape = self._by_key[key] = Shape(profile, units, size, needs)
            self._shapes[position] = shape
        return shape

    def sync(self, shape: Shape) -> tuple[BoolArray, FloatArray, FloatArray]:
        """The shape's fits, scores and ranked scores on every agent, up to date."""
        if shape.fits is None or shape.scores is None or shape.ranked is None:
            everyone = np.arange(self.count)
            shape.fits = self._fits(shape, everyone)
            shape.scores = self._scores(shape, everyone)
            shape.ranked = np.where(shape.fits, shape.scores - self.tie_break, -np.inf)
        elif shape.synced < len(self.changes):
            # Sorted and distinct: when every agent changed, arrays are read in pool order.
            changed = np.unique(np.array(self.changes[shape.synced :], np.intp))
            fits = shape.fits[changed] = self._fits(shape, changed)
            scores = shape.scores[changed] = self._scores(shape, changed)
            shape.ranked[changed] = np.where(fits, scores - self.tie_break[changed], -np.inf)
        shape.synced = len(self.changes)
        return shape.fits, shape.scores, shape.ranked

    def _fits(self, shape: Shape, agents: Indices) -> BoolArray:
        free = shape.profile.free
        if len(agents) != self.count:
            free = free.take(agents, axis=1)
        fits = np.ones(len(agents), np.bool_)
        for column, amount in shape.needs:
            fits &= free[column] >= amount
        return fits

    def _scores(self, shape: Shape, agents: Indices) -> FloatArray:
        profile = shape.profile
        columns = np.array([c for c, _ in shape.needs if c != self.ports_column], np.intp)
        units = self.units[columns]
        view = FitView(
            tuple(self.columns[c] for c in columns),
            shape.units[columns] / units,
            profile.scale[columns],
            agents,
            self.count,
            column_index=columns,
            units=units,
            free_source=profile.free,
            capacity_source=profile.capacity,
            placed_counts=self.placed_on,
            running=self.running_on,
        )
        scores = np.asarray(self.strategy.score(view), dtype=np.float64)
        if scores.shape != agents.shape or not (scores.min() >= 0.0 and scores.max() <= 1.0):
            raise ValueError(
                f"{type(self.strategy).__name__}.score: must return {len(agents)} scores"
                f" within 0..1, got {scores!r}"
            )
        return scores

    def refresh(self, agent: int, placed: int) -> None:
        """The agent's entries changed (``placed`` tasks more, or fewer): update its columns."""
        self.changes.append(agent)
        self.placed_on[agent] += placed
        entries = self.ledger.entries(agent)
        pending = self.pending.get(agent)
        for profile in self.profiles.values():
            totals = usable_totals(entries, profile.role, profile.allow_revocable)
            column = np.array([totals.get(name, 0) for name in self.columns], np.int64)
            profile.free[:, agent] = column if pending is None else column - pending

    def defer(self, agent: int, profile: Profile, units: IntArray, placed: int) -> None:
        """``placed`` tasks of ``profile`` more (or fewer: both negative), needing ``units`` in
        all, on the agent, claimed later."""
        self.changes.append(agent)
        self.placed_on[agent] += placed
        pending = self.pending.get(agent)
        self.pending[agent] = units.copy() if pending is None else pending + units
        profile.free[:, agent] -= units
