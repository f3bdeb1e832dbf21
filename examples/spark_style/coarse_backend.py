"""How Spark's coarse-grained Mesos mode decides which executors to start on which offers.

Pure decisions, no I/O, as Spark's ``MesosCoarseGrainedSchedulerBackend`` and
``MesosSchedulerUtils`` make them:

- an executor is sized ``executor_cores`` cpus (or, when unset, all the whole cpus its offer
  has, within the cap) and ``executor_memory`` MB plus an overhead of max(10 %, 384 MB);
- executors are started round-robin over the offers, one per offer per round, while the
  offer has room and the cores acquired stay within ``cores_max`` (rounded down to a multiple
  of the executor size), so an agent with room gets several;
- offers whose agent attributes fail the job's constraints, and offers that arrive once the
  cap is reached, are refused for 120 s;
- an agent where ``MAX_AGENT_FAILURES`` executors failed gets no more executors;
- work is handed out once executors with ``min_registered_ratio`` of ``cores_max`` have
  registered, or ``registered_wait`` seconds after the start, whichever comes first (Spark's
  ``spark.scheduler.minRegisteredResourcesRatio``, 0 by default on Mesos, and
  ``spark.scheduler.maxRegisteredResourcesWaitingTime``, 30 s).
"""

from __future__ import annotations

import collections
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from frameworkkit.protocol.messages import Attribute, Offer

MEMORY_OVERHEAD_FRACTION = 0.10
MEMORY_OVERHEAD_MINIMUM_MB = 384
MAX_AGENT_FAILURES = 2
REFUSE_SECONDS = 120.0


def executor_memory_mb(memory_mb: int) -> int:
    """What an executor of ``memory_mb`` asks Mesos for: its memory plus Spark's overhead."""
    overhead = max(int(MEMORY_OVERHEAD_FRACTION * memory_mb), MEMORY_OVERHEAD_MINIMUM_MB)
    return memory_mb + overhead


@dataclass(frozen=True)
class Constraints:
    """Required agent attributes in Spark's ``--constraints`` syntax: ``attr:v1,v2;attr2:v``.

    ``attr:`` (no values) asks only that the agent has the attribute. A text attribute matches
    when it equals one of the values, a scalar when one of the values is at most the agent's,
    a ranges attribute when one of the values lies in one of its ranges, a set when it holds
    every value given.
    """

    required: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> Constraints:
        """Parse Spark's syntax; a malformed string raises ValueError quoting it."""
        required: dict[str, frozenset[str]] = {}
        if not text:
            return cls(required)
        for entry in (part.strip() for part in text.split(";")):
            name, colon, values = entry.partition(":")
            if not colon or not name or ":" in values or name in required:
                raise ValueError(
                    f"constraints: {text!r} is not 'attr:v1,v2;attr2:v' (at {entry!r})"
                )
            required[name] = frozenset(values.split(",")) if values else frozenset()
        return cls(required)

    def matches(self, attributes: Sequence[Attribute]) -> bool:
        """Whether an agent with ``attributes`` satisfies every constraint."""
        offered = {attribute.name: attribute for attribute in attributes}  # the last one wins
        return all(
            name in offered and (not values or _attribute_matches(offered[name], values))
            for name, values in self.required.items()
        )


def _attribute_matches(attribute: Attribute, values: frozenset[str]) -> bool:
    if attribute.type == "SCALAR" and attribute.scalar is not None:
        offered = attribute.scalar.value
        return any(number is not None and number <= offered for number in map(_float, values))
    if attribute.type == "RANGES" and attribute.ranges is not None:
        spans = attribute.ranges.range
        return any(
            number is not None and any(span.begin <= number <= span.end for span in spans)
            for number in map(_int, values)
        )
    if attribute.type == "SET" and attribute.set is not None:
        return values <= set(attribute.set.item)
    return attribute.text is not None and attribute.text.value in values


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class OfferRoom:
    """What one offer holds for executors: whole cpus and memory (MB)."""

    cpus: int
    mem: float

    @classmethod
    def of(cls, offer: Offer) -> OfferRoom:
        cpus = sum(r.scalar.value for r in offer.resources if r.name == "cpus" and r.scalar)
        mem = sum(r.scalar.value for r in offer.resources if r.name == "mem" and r.scalar)
        return cls(int(cpus), mem)


@dataclass
class Plan:
    """What to do with a batch of offers: executors to start (offer, cores), offers to refuse."""

    launches: list[tuple[Offer, int]] = field(default_factory=list)
    refusals: dict[str, float] = field(default_factory=dict)


@dataclass
class ExecutorPlanner:
    """The driver's executor bookkeeping: cores acquired, failures per agent.

    ``memory_mb`` is what one executor takes from an offer (its memory, Spark's overhead and
    the executor process's own share); ``cores_max`` None means no cap, as Spark's default.
    """

    memory_mb: float
    executor_cores: int | None = None
    cores_max: int | None = None
    constraints: Constraints = field(default_factory=Constraints)
    min_registered_ratio: float = 0.0
    registered_wait: float = 30.0
    acquired: int = 0
    failures: collections.Counter[str] = field(default_factory=collections.Counter)

    @property
    def max_cores(self) -> float:
        """The cap, rounded down to a multiple of the smallest executor."""
        if self.cores_max is None:
            return float("inf")
        smallest = self.executor_cores or 1
        return self.cores_max - self.cores_max % smallest

    def plan(self, offers: Sequence[Offer], busy_agents: frozenset[str] = frozenset()) -> Plan:
        """Executors to start on ``offers`` (none on ``busy_agents``, whose executors are
        still being placed) and offers to refuse. Counts the planned cores as acquired."""
        plan = Plan()
        rooms: dict[str, OfferRoom] = {}
        for offer in offers:
            if not self.constraints.matches(offer.attributes):
                plan.refusals[offer.id.value] = REFUSE_SECONDS
            elif offer.agent_id.value not in busy_agents:
                rooms[offer.id.value] = OfferRoom.of(offer)
        launching = True
        while launching:  # round-robin: one executor per offer per round
            launching = False
            for offer in offers:
                room = rooms.get(offer.id.value)
                cores = self._cores_for(offer.agent_id.value, room)
                if room is not None and cores:
                    plan.launches.append((offer, cores))
                    self.acquired += cores
                    rooms[offer.id.value] = OfferRoom(room.cpus - cores, room.mem - self.memory_mb)
                    launching = True
        used = {offer.id.value for offer, _ in plan.launches}
        if self.acquired >= self.max_cores:
            for offer in offers:
                if offer.id.value not in used and offer.agent_id.value not in busy_agents:
                    plan.refusals.setdefault(offer.id.value, REFUSE_SECONDS)
        return plan

    def _cores_for(self, agent_id: str, room: OfferRoom | None) -> int:
        """Cores of an executor that may start in ``room`` now (0: none may)."""
        if room is None or self.failures[agent_id] >= MAX_AGENT_FAILURES:
            return 0
        left = self.max_cores - self.acquired
        cores = self.executor_cores or int(min(room.cpus, left))
        fits = 0 < cores <= room.cpus and cores <= left
        return cores if fits and self.memory_mb <= room.mem else 0

    def ended(self, agent_id: str, cores: int, *, failed: bool) -> None:
        """An executor ended: its cores are free again; a failure counts against its agent."""
        self.acquired -= cores
        if failed:
            self.failures[agent_id] += 1

    def dispatch_wait(self, registered_cores: int, waited: float) -> float:
        """Seconds still to wait before work goes to the executors, ``registered_cores`` of
        them registered ``waited`` seconds after the start (0: hand it out now)."""
        if not self.min_registered_ratio:
            return 0.0
        if registered_cores >= self.min_registered_ratio * self.max_cores:
            return 0.0
        return max(0.0, self.registered_wait - waited)

    def usable(self, agent_id: str) -> bool:
        """Whether the job may still start executors on ``agent_id``."""
        return self.failures[agent_id] < MAX_AGENT_FAILURES
