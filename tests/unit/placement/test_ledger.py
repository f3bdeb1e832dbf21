"""The ledger's claims: resource by resource over many tasks as task by task."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit.placement import OfferPool, TaskRequest
from frameworkkit.placement._ledger import Claim, Ledger
from tests.unit.placement import factories as f

AGENT = f.offer(
    "a1",
    f.scalar("cpus", 1.5, reserved_to="web", allocation_role="web"),
    f.scalar("cpus", 2.25, allocation_role="web"),
    f.scalar("mem", 3000, allocation_role="web"),
    f.scalar("mem", 1000, reserved_to="web", allocation_role="web"),
    f.scalar("disk", 500, allocation_role="web"),
    f.scalar("licenses", 3, allocation_role="web"),
    f.ports((31000, 31002), allocation_role="web"),
    f.ports((31010, 31011), reserved_to="web", allocation_role="web"),
    allocation_role="web",
)

task_shapes = st.lists(
    st.tuples(
        st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.6]),
        st.sampled_from([0.0, 64.0, 700.0, 1500.0]),
        st.sampled_from([0.0, 10.0, 200.0]),
        st.integers(0, 3),
        st.sampled_from([0.0, 1.0, 2.0]),
    ),
    max_size=8,
)


Shape = tuple[float, float, float, int, float]


def requests(shapes: list[Shape]) -> list[TaskRequest]:
    return [
        TaskRequest(f"t{n}", cpus=c, mem=m, disk=d, ports=p, scalars={"licenses": x}, role="web")
        for n, (c, m, d, p, x) in enumerate(shapes)
    ]


def one_by_one(tasks: list[TaskRequest]) -> tuple[Ledger, list[Claim] | None]:
    ledger = Ledger(OfferPool.from_offers([AGENT]))
    claims = []
    for task in tasks:
        claim = ledger.claim(0, task)
        if claim is None:
            return Ledger(OfferPool.from_offers([AGENT])), None
        claims.append(claim)
    return ledger, claims


@settings(max_examples=200, deadline=None)
@given(task_shapes)
def test_counted_claims_are_the_claims_task_by_task(
    shapes: list[Shape],
) -> None:
    tasks = requests(shapes)
    expected_ledger, expected = one_by_one(tasks)
    ledger = Ledger(OfferPool.from_offers([AGENT]))
    assert ledger.claim_counted(0, tasks) == expected
    assert list(ledger.entries(0)) == list(expected_ledger.entries(0))
