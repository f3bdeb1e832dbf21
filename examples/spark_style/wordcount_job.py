"""The driver's view of the word count: two stages of units, where map outputs live, reruns.

Stage 0 maps one block of the input per unit; its output stays on the executor that ran it.
Stage 1 reduces one partition per unit, fetching that partition's block from every map
output, so it runs only once every map output is known. An executor lost takes its running
units and its map outputs with it: they run again elsewhere, and a reduce unit that could not
fetch a map output puts that map back in line, as Spark resubmits a map stage after a fetch
failure. A unit that fails on its own ``MAX_UNIT_FAILURES`` times fails the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_UNIT_FAILURES = 4  # Spark's spark.task.maxFailures
STAGE_NAMES = ("map", "reduce")


class JobFailed(RuntimeError):
    """A unit failed too often; the message says which and why."""


@dataclass
class Unit:
    """One unit of work: a map over a block, or a reduce of a partition."""

    stage: int
    index: int
    failures: int = 0

    @property
    def name(self) -> str:
        return f"{STAGE_NAMES[self.stage]}-{self.index}"


@dataclass
class UnitRun:
    """One run of a unit on an executor (monotonic seconds); ``ended`` stays None for a run
    that did not complete (its executor was lost, it failed, its fetch failed)."""

    unit: str
    stage: int
    executor: str
    started: float
    ended: float | None = None


@dataclass
class StageTiming:
    """When a stage first started a unit and last completed, and how many units it ran."""

    started: float | None = None
    ended: float | None = None
    runs: int = 0

    @property
    def seconds(self) -> float:
        return 0.0 if self.started is None or self.ended is None else self.ended - self.started


@dataclass
class WordCountJob:
    """The units of a word count over ``size`` bytes in blocks of ``block_size``, reduced into
    ``partitions`` partitions (default: one per block, as Spark's reduceByKey)."""

    size: int
    block_size: int
    partitions: int = 0
    blocks: list[tuple[int, int]] = field(init=False)
    map_outputs: dict[int, str] = field(default_factory=dict)  # map index -> executor
    results: dict[int, dict[str, int]] = field(default_factory=dict)
    waiting: list[Unit] = field(default_factory=list)
    running: dict[str, tuple[Unit, str]] = field(default_factory=dict)  # unit -> (unit, executor)
    timings: tuple[StageTiming, StageTiming] = field(init=False)
    reruns: int = 0
    runs: list[UnitRun] = field(default_factory=list)  # every run started, in order

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError(f"block_size: at least 1 byte, got {self.block_size}")
        starts = range(0, max(self.size, 1), self.block_size)
        self.blocks = [(start, min(start + self.block_size, self.size)) for start in starts]
        self.partitions = self.partitions or len(self.blocks)
        if self.partitions < 1:
            raise ValueError(f"partitions: at least 1, got {self.partitions}")
        self.timings = (StageTiming(), StageTiming())
        self.waiting = [Unit(0, i) for i in range(len(self.blocks))]
        self.waiting += [Unit(1, i) for i in range(self.partitions)]

    @property
    def done(self) -> bool:
        return len(self.results) == self.partitions

    @property
    def completed_units(self) -> int:
        return len(self.map_outputs) + len(self.results)

    @property
    def total_units(self) -> int:
        return len(self.blocks) + self.partitions

    def next_unit(self) -> Unit | None:
        """The next unit to run: maps first; reduces once every map output is known."""
        maps_ready = len(self.map_outputs) == len(self.blocks)
        for position, unit in enumerate(self.waiting):
            if unit.stage == 0 or maps_ready:
                return self.waiting.pop(position)
        return None

    def started(self, unit: Unit, executor: str, now: float) -> None:
        self.running[unit.name] = (unit, executor)
        self.runs.append(UnitRun(unit.name, unit.stage, executor, now))
        timing = self.timings[unit.stage]
        timing.runs += 1
        if timing.started is None:
            timing.started = now

    def map_finished(self, name: str, executor: str, now: float) -> bool:
        """A map's output is on ``executor``; False for a result no longer expected."""
        unit = self._finish(name, executor, now)
        if unit is None:
            return False
        self.map_outputs[unit.index] = executor
        if len(self.map_outputs) == len(self.blocks):
            self.timings[0].ended = now
        return True

    def reduce_finished(self, name: str, executor: str, counts: dict[str, int], now: float) -> bool:
        """A partition's counts; False for a result no longer expected."""
        unit = self._finish(name, executor, now)
        if unit is None:
            return False
        self.results[unit.index] = counts
        if self.done:
            self.timings[1].ended = now
        return True

    def unit_failed(self, name: str, executor: str, error: str) -> None:
        """A unit raised on ``executor``: run it again, or fail the job after too many."""
        unit = self._finish(name, executor)
        if unit is None:
            return
        unit.failures += 1
        if unit.failures >= MAX_UNIT_FAILURES:
            raise JobFailed(f"{name} failed {unit.failures} times; last: {error}")
        self.waiting.insert(0, unit)

    def fetch_failed(self, name: str, executor: str, map_index: int, holder: str) -> None:
        """A reduce could not fetch ``map_index``'s output from ``holder``: rerun both."""
        unit = self._finish(name, executor)
        if unit is not None:
            self.waiting.append(unit)
        if self.map_outputs.get(map_index) == holder:
            self._lose_map_output(map_index)

    def executor_lost(self, executor: str) -> None:
        """Put back the units running on ``executor`` and the map outputs it held."""
        for name, (unit, where) in list(self.running.items()):
            if where == executor:
                del self.running[name]
                self.waiting.insert(0, unit)
                self.reruns += 1
        if not self.done:
            for map_index, holder in list(self.map_outputs.items()):
                if holder == executor:
                    self._lose_map_output(map_index)

    def _lose_map_output(self, map_index: int) -> None:
        del self.map_outputs[map_index]
        self.timings[0].ended = None
        self.waiting.insert(0, Unit(0, map_index))
        self.reruns += 1

    def _finish(self, name: str, executor: str, completed: float | None = None) -> Unit | None:
        entry = self.running.get(name)
        if entry is None or entry[1] != executor:
            return None  # a unit already put back (its executor was lost meanwhile)
        del self.running[name]
        if completed is not None:
            run = next(r for r in reversed(self.runs) if r.unit == name)
            run.ended = completed
        return entry[0]
