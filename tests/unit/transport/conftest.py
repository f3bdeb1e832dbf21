from __future__ import annotations

import random

import pytest

from frameworkkit.transport import BackoffPolicy


class SleepRecorder:
    """Stands in for asyncio.sleep: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def backoff_policy(sleeps: SleepRecorder) -> BackoffPolicy:
    return BackoffPolicy(base=0.5, cap=15.0, rng=random.Random(1234), sleep=sleeps)
