from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.transport import Backoff, BackoffPolicy

from .conftest import SleepRecorder

bases = st.floats(min_value=1e-3, max_value=10.0)
factors = st.floats(min_value=1.0, max_value=1e6)


@given(
    base=bases,
    extra=st.floats(min_value=0.0, max_value=100.0),
    factor=factors,
    failures=st.integers(min_value=0, max_value=200),
    seed=st.integers(),
)
def test_delay_stays_within_the_full_jitter_window(
    base: float, extra: float, factor: float, failures: int, seed: int
) -> None:
    policy = BackoffPolicy(base=base, cap=base + extra, factor=factor, rng=random.Random(seed))
    backoff = policy.start()
    for _ in range(failures):
        backoff.next_delay()
    try:
        window = min(policy.cap, base * factor**failures)
    except OverflowError:
        window = policy.cap
    assert 0.0 <= backoff.next_delay() <= window


@given(failures=st.integers(min_value=1_000, max_value=10**7), seed=st.integers())
def test_huge_failure_counts_never_raise_and_stay_capped(failures: int, seed: int) -> None:
    backoff = BackoffPolicy(cap=15.0, factor=1e300, rng=random.Random(seed)).start()
    backoff._failures = failures
    assert 0.0 <= backoff.next_delay() <= 15.0


class TopOfWindow(random.Random):
    """A random source that always picks the top of the jitter window."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_window_doubles_up_to_the_default_cap_of_fifteen_seconds() -> None:
    defaults = BackoffPolicy()
    backoff = Backoff(BackoffPolicy(rng=TopOfWindow()))
    windows = [backoff.next_delay() for _ in range(12)]
    assert windows[0] == defaults.base
    assert all(later == min(15.0, 2 * earlier) for earlier, later in itertools.pairwise(windows))
    assert windows[-1] == defaults.cap == 15.0


@given(seed=st.integers())
def test_same_seed_gives_same_delays(seed: int) -> None:
    first = BackoffPolicy(rng=random.Random(seed)).start()
    second = BackoffPolicy(rng=random.Random(seed)).start()
    assert [first.next_delay() for _ in range(20)] == [second.next_delay() for _ in range(20)]


def test_reset_returns_to_the_shortest_window() -> None:
    backoff = BackoffPolicy(base=1.0, cap=15.0, rng=TopOfWindow()).start()
    for _ in range(10):
        backoff.next_delay()
    assert backoff.failures == 10
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() == 1.0


async def test_wait_sleeps_the_delay_it_returns(sleeps: SleepRecorder) -> None:
    backoff = BackoffPolicy(rng=random.Random(5), sleep=sleeps).start()
    waited = [await backoff.wait() for _ in range(4)]
    assert sleeps.delays == waited


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("base", {"base": 0}),
        ("base", {"base": float("nan")}),
        ("cap", {"base": 2.0, "cap": 1.0}),
        ("cap", {"cap": float("inf")}),
        ("factor", {"factor": 0.5}),
        ("base", {"base": "1"}),
    ],
)
def test_bad_policy_names_the_field(field: str, kwargs: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError), match=field):
        BackoffPolicy(**kwargs)  # type: ignore[arg-type]
