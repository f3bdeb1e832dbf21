"""What to start and what to kill next: instances kept, rolling restarts, launch backoff.

:func:`plan` is the keeper's whole policy as a pure function of the instances it sees. It keeps
``instances`` of the current version running and, while older versions still run, replaces
them as Marathon's upgrade strategy says: at least ``minimumHealthCapacity`` x ``instances``
instances stay ready (running, and healthy when checked), at most ``(1 + maximumOverCapacity)``
x ``instances`` run at once, and an old instance is killed only when the ready ones left
without it are still enough. :class:`LaunchBackoff` spaces the launches that replace failures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Instance:
    """One instance as the planner sees it: a task that has not ended."""

    name: str
    serial: int  # order of submission: higher is newer
    version: int
    ready: bool  # running, and healthy when it has a health check
    killing: bool = False  # a kill was asked for; it still holds its place until it ends


@dataclass(frozen=True)
class Plan:
    start: int = 0  # new instances of the current version to launch
    kill: list[str] = field(default_factory=list)  # names of instances to kill

    @property
    def idle(self) -> bool:
        return not self.start and not self.kill


def plan(
    instances: Sequence[Instance],
    *,
    version: int,
    count: int,
    minimum_health_capacity: float = 1.0,
    maximum_over_capacity: float = 1.0,
) -> Plan:
    """The next step towards ``count`` ready instances of ``version`` and none of another."""
    min_ready = math.ceil(round(count * minimum_health_capacity, 9))
    capacity = math.floor(round(count * (1 + maximum_over_capacity), 9))
    if capacity <= min_ready:  # nothing could ever be replaced: allow one more (as Marathon)
        capacity = min_ready + 1
    live = [i for i in instances if not i.killing]
    current = [i for i in live if i.version == version]
    older = [i for i in live if i.version != version]
    kill = []
    surplus = sorted(current, key=lambda i: (i.ready, -i.serial))[: max(0, len(current) - count)]
    kill += [i.name for i in surplus]
    ready = sum(i.ready for i in live) - sum(i.ready for i in surplus)
    for old in sorted(older, key=lambda i: (i.ready, i.serial)):  # not ready, then oldest first
        if ready - old.ready < min_ready:
            break
        kill.append(old.name)
        ready -= old.ready
    kept = len(current) - len(surplus)
    start = max(0, min(count - kept, capacity - len(instances)))
    return Plan(start=start, kill=kill)


class LaunchBackoff:
    """The wait before launching after failures: ``seconds``, times ``factor`` for each further
    failure, at most ``maximum`` (Marathon's ``backoffSeconds``, ``backoffFactor``,
    ``maxLaunchDelaySeconds``); :meth:`reset` once an instance is ready again."""

    def __init__(
        self,
        seconds: float,
        factor: float,
        maximum: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self.factor, self.maximum = seconds, factor, maximum
        self._clock = clock
        self.delay: float | None = None
        self._until = 0.0

    def failed(self) -> float:
        """An instance failed: lengthen the wait; return it."""
        if self.delay is None:
            self.delay = min(self.seconds, self.maximum)
        else:
            self.delay = min(self.delay * self.factor, self.maximum)
        self._until = self._clock() + self.delay
        return self.delay

    def reset(self) -> None:
        self.delay, self._until = None, 0.0

    def remaining(self) -> float:
        """Seconds until launching is allowed again (0 when it is)."""
        return max(0.0, self._until - self._clock())
