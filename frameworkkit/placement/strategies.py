"""Placement strategies: fitness functions scoring agents for a task from 0 (worst) to 1 (best).

For each task, placement asks the strategy to score agents (all at once, as numpy arrays),
blends in soft constraints and locality, and takes the best agent that can take the task; ties
go to a seeded random order of the agents, so a placement replays exactly.

Write your own by subclassing :class:`Fitness` and implementing :meth:`Fitness.score`. An
agent's score must depend only on the task and that agent's own values in the view: placement
keeps scores between tasks of the same shape and recomputes only the agents that changed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class FitView:
    """What a fitness function sees for one task and K agents (not all of which may fit).

    ``columns`` names the scalar resources the task needs (``cpus``, ``mem``, ``disk``, ``gpus``,
    others; ``disk(PATH)``/``disk(MOUNT)`` for such disks) and ``demand`` its amounts. Arrays
    have one row per column and one entry per agent: ``free`` is what each agent has now,
    ``capacity`` what it had when the batch began; ``scale`` is the largest capacity over all
    agents, to compare resources with each other. Arrays are computed when first read.
    """

    def __init__(
        self,
        columns: tuple[str, ...],
        demand: FloatArray,
        scale: FloatArray,
        agent_index: IntArray,
        agent_count: int,
        *,
        column_index: npt.NDArray[np.intp],
        units: FloatArray,
        free_source: IntArray,
        capacity_source: IntArray,
        placed_counts: IntArray,
        running: BoolArray,
    ) -> None:
        self.columns = columns
        self.demand = demand
        self.scale = scale
        self.agent_index = agent_index
        """Each agent's position in the pool (0 .. agent_count-1)."""
        self.agent_count = agent_count
        self._column_index = column_index
        self._units = units[:, None]
        self._free_source = free_source
        self._capacity_source = capacity_source
        self._placed_counts = placed_counts
        self._running = running

    def _rows(self, source: IntArray) -> FloatArray:
        if len(self.agent_index) != self.agent_count:
            source = source.take(self.agent_index, axis=1)
        return np.asarray(source.take(self._column_index, axis=0) / self._units, dtype=np.float64)

    @cached_property
    def free(self) -> FloatArray:
        return self._rows(self._free_source)

    @cached_property
    def capacity(self) -> FloatArray:
        return self._rows(self._capacity_source)

    @cached_property
    def placed(self) -> IntArray:
        """How many tasks of this batch each agent already took."""
        return self._placed_counts[self.agent_index]

    @cached_property
    def occupied(self) -> BoolArray:
        """Whether each agent already runs a task (given as running, or placed by this batch)."""
        return np.asarray(
            self._running[self.agent_index] | (self._placed_counts[self.agent_index] > 0)
        )

    @cached_property
    def leftover(self) -> FloatArray:
        """What each agent would keep after taking the task, as a fraction of ``scale``."""
        return np.asarray(
            (self.free - self.demand[:, None]) / self.scale[:, None], dtype=np.float64
        )


class Fitness(ABC):
    """A strategy: scores each candidate agent for a task, 0..1, higher is better."""

    @abstractmethod
    def score(self, view: FitView) -> FloatArray:
        """One score in [0, 1] per agent of the view (``len(view.agent_index)`` of them)."""

    @property
    def largest_first(self) -> bool:
        """Whether the batch is placed biggest task first (packing does better that way)."""
        return False

    @property
    def fills_agents(self) -> bool:
        """Whether the batch is placed agent by agent (largest and busiest agents filled first)
        before the task-by-task pass: packing does better that way."""
        return False

    @property
    def consolidates(self) -> bool:
        """Whether, after placing the batch, tasks move to free as many agents as possible."""
        return False


def _mean(rows: FloatArray) -> FloatArray:
    """The mean of each agent's column values, clipped to 0..1 (1 when there are no columns)."""
    if rows.shape[0] == 0:
        return np.ones(rows.shape[1])
    mean: FloatArray = rows.sum(axis=0) / rows.shape[0]
    return np.minimum(np.maximum(mean, 0.0), 1.0)


@dataclass(frozen=True)
class BinPack(Fitness):
    """Pack the batch on as few agents as possible (the default).

    Fills agents one at a time: agents already running tasks first, then the largest, each
    with the tasks whose demand best matches the room it has left, the resource the batch needs
    most weighing most (see :mod:`~frameworkkit.placement._fill`). Tasks with soft constraints,
    locality or volumes, and those filling leaves over, are placed one by one, preferring agents
    in use (best fit relative to each agent's size), else the largest agent. Then, if the load
    might fit on fewer agents, it consolidates: moves tasks between the agents the batch uses
    (a local search that concentrates load) and keeps the result only if an agent is freed.
    Only tasks without counting constraints, soft constraints, locality, fixed ports, volumes
    or PATH/MOUNT disks move. ``consolidate=False`` skips that step.
    """

    consolidate: bool = True

    def score(self, view: FitView) -> FloatArray:
        capacity = view.capacity
        inverse = np.divide(1.0, capacity, out=np.zeros_like(capacity), where=capacity > 0)
        tight = 1.0 - _mean((view.free - view.demand[:, None]) * inverse)
        size = _mean(capacity / view.scale[:, None])
        return np.asarray(np.where(view.occupied, 0.5 + 0.5 * tight, 0.5 * size), dtype=np.float64)

    @property
    def largest_first(self) -> bool:
        return True

    @property
    def fills_agents(self) -> bool:
        return True

    @property
    def consolidates(self) -> bool:
        return self.consolidate


@dataclass(frozen=True)
class BestFit(Fitness):
    """Classic best fit: each task, largest first, goes to the agent it leaves with the least
    spare resources (relative to the largest agent, averaged over what it needs). On agents of
    different sizes it fills the smaller ones first; prefer :class:`BinPack` to save agents."""

    def score(self, view: FitView) -> FloatArray:
        return 1.0 - _mean(view.leftover)

    @property
    def largest_first(self) -> bool:
        return True


@dataclass(frozen=True)
class Spread(Fitness):
    """Worst fit: prefer the agent with the most spare resources after the task."""

    def score(self, view: FitView) -> FloatArray:
        return _mean(view.leftover)


@dataclass(frozen=True)
class FirstFit(Fitness):
    """Take the first agent in pool order that can take the task."""

    def score(self, view: FitView) -> FloatArray:
        return 1.0 - view.agent_index / max(view.agent_count, 1)


@dataclass(frozen=True)
class Alignment(Fitness):
    """Tetris-style alignment for multi-resource packing: the dot product of the task's demand
    and the agent's free resources (both relative to ``scale``), normalised to 0..1, so a task
    goes where there is room in the resources it needs most. Agents that already run tasks
    come first (the dot-product heuristic of vector bin packing fills open bins first)."""

    def score(self, view: FitView) -> FloatArray:
        weights = view.demand / view.scale
        total = weights.sum()
        if total <= 0:
            alignment = np.ones(len(view.agent_index))
        else:
            fraction = np.clip(view.free / view.scale[:, None], 0.0, 1.0)
            alignment = weights @ fraction / total
        return np.asarray(0.5 * view.occupied + 0.5 * alignment, dtype=np.float64)

    @property
    def largest_first(self) -> bool:
        return True


@dataclass(frozen=True, init=False)
class Weighted(Fitness):
    """A weighted mean of strategies' scores: ``Weighted([(BinPack(), 3), (Spread(), 1)])``."""

    parts: tuple[tuple[Fitness, float], ...]

    def __init__(self, parts: Sequence[tuple[Fitness, float]]) -> None:
        checked = tuple(parts)
        if not checked:
            raise ValueError("Weighted.parts must hold at least one (fitness, weight) pair")
        for index, (fitness, weight) in enumerate(checked):
            if not isinstance(fitness, Fitness):
                raise TypeError(f"Weighted.parts[{index}] must hold a Fitness, got {fitness!r}")
            if not isinstance(weight, int | float) or not weight > 0:
                raise ValueError(f"Weighted.parts[{index}]: weight must be > 0, got {weight!r}")
        object.__setattr__(self, "parts", checked)

    def score(self, view: FitView) -> FloatArray:
        total = sum(weight for _, weight in self.parts)
        scores = sum(fitness.score(view) * weight for fitness, weight in self.parts)
        return np.asarray(scores, dtype=np.float64) / total
