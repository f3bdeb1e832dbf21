"""Exponential backoff with full jitter for reconnecting to masters and agents."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from frameworkkit.validation import number

__all__ = ["Backoff", "BackoffPolicy"]


@dataclass(frozen=True)
class BackoffPolicy:
    """How long to wait between retries: a random delay in [0, min(cap, base * factor**n)].

    Share one policy between connections; call `start()` for each retry sequence. Pass a seeded
    `random.Random` for reproducible delays and a fake `sleep` to test without waiting.
    """

    base: float = 0.5
    cap: float = 15.0
    factor: float = 2.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)
    sleep: Callable[[float], Awaitable[None]] = field(
        default=asyncio.sleep, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        number("base", self.base, above=True)
        if number("cap", self.cap, above=True) < self.base:
            raise ValueError(f"cap: must be >= base ({self.base!r}), got {self.cap!r}")
        if number("factor", self.factor, above=True) < 1:
            raise ValueError(f"factor: must be >= 1, got {self.factor!r}")

    def start(self) -> Backoff:
        """Begin a new retry sequence at the shortest delay."""
        return Backoff(self)


class Backoff:
    """One retry sequence: delays grow with each failure until `reset()` marks a success."""

    def __init__(self, policy: BackoffPolicy | None = None) -> None:
        self.policy = policy if policy is not None else BackoffPolicy()
        self._failures = 0

    @property
    def failures(self) -> int:
        """Failures since the last reset."""
        return self._failures

    def next_delay(self) -> float:
        """Count a failure and return how long to wait before the next try (never raises)."""
        policy = self.policy
        try:
            ceiling = min(policy.cap, policy.base * policy.factor**self._failures)
        except OverflowError:
            ceiling = policy.cap
        self._failures += 1
        return policy.rng.uniform(0.0, ceiling)

    async def wait(self) -> float:
        """Count a failure, sleep the next delay and return it."""
        delay = self.next_delay()
        await self.policy.sleep(delay)
        return delay

    def reset(self) -> None:
        """Mark a success: the next failure waits the shortest delay again."""
        self._failures = 0
