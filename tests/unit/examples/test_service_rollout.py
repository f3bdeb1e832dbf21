"""The keeper's plan: instances kept, rolling restarts by Marathon's upgrade strategy, backoff."""

from __future__ import annotations

import itertools

import pytest
from rollout import Instance, LaunchBackoff, Plan, plan

serials = itertools.count(1)


def instances(version: int, count: int, *, ready: bool = True) -> list[Instance]:
    made = []
    for _ in range(count):
        serial = next(serials)
        made.append(Instance(f"app.{serial}", serial, version, ready))
    return made


def test_missing_instances_are_started_and_a_steady_app_is_left_alone() -> None:
    assert plan([], version=1, count=3) == Plan(start=3)
    running = instances(1, 2)
    assert plan(running, version=1, count=3) == Plan(start=1)
    assert plan(instances(1, 3), version=1, count=3).idle
    # an instance still starting (not ready) holds its place: nothing more is started
    assert plan([*running, *instances(1, 1, ready=False)], version=1, count=3).idle


def test_scaling_down_kills_the_surplus_not_ready_first_then_newest() -> None:
    ready, starting = instances(1, 3), instances(1, 1, ready=False)
    step = plan([*ready, *starting], version=1, count=2)
    assert step.kill == [starting[0].name, ready[2].name] and step.start == 0


def simulate(count: int, minimum: float, over: float) -> tuple[list[int], list[int]]:
    """Roll ``count`` ready instances of version 1 to version 2, new instances becoming ready
    one step after they start and killed ones ending one step after the kill; return how many
    were ready and how many ran at each step."""
    live = {i.name: i for i in instances(1, count)}
    ready_counts, running_counts = [], []
    for _ in range(100):
        ready_counts.append(sum(i.ready for i in live.values() if not i.killing))
        running_counts.append(len(live))
        if all(i.version == 2 and i.ready for i in live.values()) and len(live) == count:
            return ready_counts, running_counts
        step = plan(
            list(live.values()),
            version=2,
            count=count,
            minimum_health_capacity=minimum,
            maximum_over_capacity=over,
        )
        for name, instance in list(live.items()):  # last step's changes take effect
            if instance.killing:
                del live[name]
            elif not instance.ready:
                live[name] = Instance(name, instance.serial, instance.version, True)
        for name in step.kill:
            old = live[name]
            live[name] = Instance(name, old.serial, old.version, old.ready, killing=True)
        for new in instances(2, step.start, ready=False):
            live[new.name] = new
    raise AssertionError(f"no progress: {live}")


@pytest.mark.parametrize(
    ("minimum", "over", "least_ready", "most_running"),
    [
        (1.0, 1.0, 4, 8),  # Marathon's default: all new ones first, never below 4 ready
        (1.0, 0.0, 4, 5),  # one extra at a time (capacity raised by one, as Marathon does)
        (0.5, 0.0, 2, 4),  # half may go first, no extra ones
        (0.0, 0.0, 0, 4),  # all at once
        (0.75, 0.25, 3, 5),
    ],
)
def test_a_rolling_restart_honours_the_upgrade_strategy(
    minimum: float, over: float, least_ready: int, most_running: int
) -> None:
    ready, running = simulate(4, minimum, over)
    assert min(ready) == least_ready and max(running) == most_running, (ready, running)


def test_old_instances_whose_health_is_unknown_are_not_killed_for_it() -> None:
    # just after a restart of the keeper no health is known: nothing old may go yet
    old = instances(1, 3, ready=False)
    new = instances(2, 3)
    step = plan([*old, *new], version=2, count=3)
    assert step.kill == [i.name for i in old]  # the new ones are ready: enough without them
    step = plan([*old, *instances(2, 3, ready=False)], version=2, count=3)
    assert step.idle


def test_backoff_grows_by_its_factor_up_to_its_cap_and_resets() -> None:
    now = [100.0]
    backoff = LaunchBackoff(1.0, 2.0, 5.0, clock=lambda: now[0])
    assert backoff.remaining() == 0
    assert [backoff.failed() for _ in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert backoff.remaining() == 5.0
    now[0] += 3
    assert backoff.remaining() == 2.0
    backoff.reset()
    assert backoff.remaining() == 0 and backoff.failed() == 1.0
