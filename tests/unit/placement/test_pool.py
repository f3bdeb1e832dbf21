"""The offer pool kept current as offers arrive, are rescinded and are used."""

from __future__ import annotations

import numpy as np
import pytest

from frameworkkit.placement import OfferPool, TaskRequest, place
from tests.unit.placement import factories as f


def totals_by_agent(pool: OfferPool, role: str = "*") -> dict[str, dict[str, int]]:
    totals = pool.totals(role)
    return {
        a.agent.agent_id: {name: int(column[i]) for name, column in totals.items() if column[i]}
        for i, a in enumerate(pool.agents)
    }


def test_offers_added_over_events_merge_per_agent() -> None:
    pool = OfferPool()
    pool.totals()  # arrays cached before the offers come: kept current
    pool.add([f.basic_offer("a0", cpus=2, offer_id="o1"), f.basic_offer("a1", offer_id="o2")])
    pool.add([f.offer("a0", f.scalar("cpus", 3), offer_id="o3")])
    assert len(pool) == 2
    assert pool.agent(pool.position("a0") or 0).offer_ids == ("o1", "o3")
    assert totals_by_agent(pool)["a0"]["cpus"] == 5000
    fresh = OfferPool.from_offers(
        [
            f.basic_offer("a0", cpus=2, offer_id="o1"),
            f.offer("a0", f.scalar("cpus", 3), offer_id="o3"),
            f.basic_offer("a1", offer_id="o2"),
        ]
    )
    assert totals_by_agent(pool) == totals_by_agent(fresh)


def test_rescinded_offers_leave_and_the_last_agent_moves_up() -> None:
    pool = OfferPool.from_offers(
        [f.basic_offer(f"a{n}", cpus=n + 1, offer_id=f"o{n}") for n in range(4)]
    )
    codes, values = pool.field_codes("hostname")
    assert len(codes) == 4
    pool.add([f.offer("a3", f.scalar("cpus", 1), offer_id="o3b")])
    pool.remove(["o1", "o3", "unknown"])
    assert [a.agent.agent_id for a in pool.agents] == ["a0", "a3", "a2"]
    assert totals_by_agent(pool)["a3"]["cpus"] == 1000
    codes, values = pool.field_codes("hostname")
    assert [values[c] for c in codes] == ["a0.example", "a3.example", "a2.example"]
    pool.remove(["o0", "o2", "o3b"])
    assert len(pool) == 0
    assert {name: len(column) for name, column in pool.totals().items()} == dict.fromkeys(
        ["cpus", "disk", "mem", "ports"], 0
    )


def test_take_drops_the_offers_a_placement_used() -> None:
    pool = OfferPool.from_offers([f.basic_offer(f"a{n}", offer_id=f"o{n}") for n in range(3)])
    result = place([TaskRequest("t", cpus=1)], pool)
    used = result.assignments["t"].agent_id
    unused = result.unused_offer_ids
    pool.take(result)
    assert used not in {a.agent.agent_id for a in pool.agents}
    assert len(pool) == 2
    pool.add([f.basic_offer("a9", offer_id="o9")])
    assert result.unused_offer_ids == unused  # as the pool was when placing
    again = place([TaskRequest("u", cpus=1)], pool)
    assert again.assignments["u"].agent_id != used


def test_bad_changes_are_refused() -> None:
    pool = OfferPool.from_offers([f.basic_offer("a0", offer_id="o0")])
    with pytest.raises(ValueError, match="offer 'o0' is already in the pool"):
        pool.add([f.basic_offer("a1", offer_id="o0")])
    given = OfferPool(pool.agents)
    with pytest.raises(ValueError, match="build the pool from offers"):
        given.add([f.basic_offer("a0", offer_id="o5")])


def test_plain_and_parsed_totals_agree() -> None:
    offers = [
        f.basic_offer("a0", cpus=1.5, port_span=(31000, 31010)),
        f.offer("a1", f.scalar("cpus", 2), f.ports((1, 3)), f.ports((3, 5)), offer_id="x"),
        f.offer("a2", f.scalar("cpus", 4, reserved_to="web"), f.scalar("mem", 64)),
        f.offer("a3", f.scalar("cpus", 1, allocation_role="other"), f.scalar("mem", 0)),
    ]
    pool = OfferPool.from_offers(offers)
    parsed = OfferPool(pool.agents)  # from AgentOffers: always parsed
    for role in ("*", "web", "other"):
        assert totals_by_agent(pool, role) == totals_by_agent(parsed, role)
    assert np.array_equal(pool.totals()["ports"], [11, 5, 0, 0])
