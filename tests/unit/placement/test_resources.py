from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit.placement import (
    InsufficientResources,
    OfferPool,
    Reservation,
    ResourceEntry,
    Resources,
    resource_to_json,
)
from frameworkkit.placement.resources import MOUNT_DISK, PATH_DISK, PORTS, usable_totals
from frameworkkit.protocol import messages
from tests.unit.placement import factories as f

ETL = "analytics/etl"


def test_local_mode_offer_parses_to_the_exact_resources() -> None:
    offers = f.fixture_offers("offers_local_1_11.json")
    raw = f.fixture_json("offers_local_1_11.json")
    assert len(offers) == 3
    for offer, offer_json in zip(offers, raw, strict=True):
        resources = Resources.from_messages(offer.resources)
        assert resources.scalar("cpus") == 2.0
        assert resources.scalar("mem") == 4096.0
        assert resources.scalar("disk") == 4096.0
        assert resources.ranges("ports") == ((31000, 32000),)
        for entry in resources:
            assert entry.traits.reservations == ()
            assert entry.traits.allocation_role == "*"
            assert entry.usable_by("*")
            assert not entry.usable_by("batch")  # allocated to "*", not to batch
        # Written back, every resource is exactly what the master sent.
        assert [resource_to_json(e.to_message()) for e in resources] == offer_json["resources"]


def test_offer_fields_are_read() -> None:
    offer = f.fixture_offers("offers_local_1_11.json")[0]
    assert offer.id.value.endswith("-O0")
    assert offer.agent_id.value.endswith("-S0")
    assert offer.hostname == "localhost"
    assert offer.allocation_info == messages.AllocationInfo(role="*")
    pool = OfferPool.from_offers([offer])
    assert pool.agents[0].offer_ids == (offer.id.value,)
    assert pool.agents[0].agent.agent_id == offer.agent_id.value


def entries_of(offer: messages.Offer) -> list[ResourceEntry]:
    return [ResourceEntry.from_message(resource) for resource in offer.resources]


def test_reservation_refinement_stack_and_legacy_fields() -> None:
    refined, _, legacy = f.fixture_offers("offers_reservations_1_11.json")
    cpus = [e for e in entries_of(refined) if e.name == "cpus"]
    unreserved, static, dynamic, revocable = cpus
    assert unreserved.traits.reservations == ()
    assert static.traits.reservations == (Reservation(role="analytics", type="STATIC"),)
    assert dynamic.traits.reservations == (
        Reservation(role="analytics", type="STATIC"),
        Reservation(role=ETL, type="DYNAMIC", principal="ops", labels=(("team", "etl"),)),
    )
    assert dynamic.traits.reservation_role == ETL
    assert revocable.traits.revocable and revocable.units == 3000
    assert {e.traits.allocation_role for e in cpus} == {ETL}

    legacy_cpus, legacy_mem, legacy_unreserved = entries_of(legacy)
    assert legacy_cpus.traits.reservations == (Reservation(role="analytics", type="STATIC"),)
    assert legacy_mem.traits.reservations == (
        Reservation(role="analytics", type="DYNAMIC", principal="ops"),
    )
    assert legacy_unreserved.traits.reservations == ()


def test_disks_volumes_and_gpus() -> None:
    refined = f.fixture_offers("offers_reservations_1_11.json")[0]
    disks = {
        e.traits.disk_source or e.traits.volume_id or "root": e
        for e in entries_of(refined)
        if e.name == "disk"
    }
    assert disks["MOUNT"].traits.indivisible and disks["MOUNT"].traits.disk_root == "/mnt/data1"
    assert not disks["PATH"].traits.indivisible and disks["PATH"].traits.disk_root == "/mnt/path1"
    assert disks["pg-data"].traits.indivisible and disks["pg-data"].traits.volume_id == "pg-data"
    assert not disks["root"].traits.indivisible
    totals = usable_totals(entries_of(refined), ETL, allow_revocable=False)
    assert totals == {
        "cpus": 7000,  # 4 unreserved + 2 reserved to the parent + 1 refined to the role
        "mem": 10240000,
        "disk": 1000000,
        MOUNT_DISK: 20000000,
        PATH_DISK: 5000000,
        "gpus": 2000,
    }
    assert usable_totals(entries_of(refined), ETL, allow_revocable=True)["cpus"] == 10000


def test_who_may_use_what() -> None:
    def traits(
        reserved: str | None, allocated: str | None, revocable: bool = False
    ) -> ResourceEntry:
        return ResourceEntry.from_message(
            f.scalar(
                "cpus", 1, reserved_to=reserved, allocation_role=allocated, revocable=revocable
            )
        )

    assert traits(None, None).usable_by("*") and traits(None, None).usable_by("web")
    assert traits("web", None).usable_by("web")
    assert traits("web", None).usable_by("web/api")  # reserved to an ancestor
    assert not traits("web", None).usable_by("webapp")
    assert not traits("web", None).usable_by("*")
    assert not traits("web/api", None).usable_by("web")  # reserved to a child
    assert not traits(None, "web").usable_by("*")  # allocated to another role
    assert not traits(None, "*", revocable=True).usable_by("*")
    assert traits(None, "*", revocable=True).usable_by("*", allow_revocable=True)


def test_ports_and_volumes_in_totals() -> None:
    entries = [
        ResourceEntry.from_message(f.ports((31000, 31004), (31010, 31010))),
        ResourceEntry.from_message(f.volume(100, "v1", reserved_to="*")),
    ]
    assert usable_totals(entries, "*", False) == {PORTS: 6}


def test_arithmetic_merges_equal_identities_only() -> None:
    a = Resources.from_messages([f.scalar("cpus", 1.5), f.scalar("cpus", 0.25)])
    assert len(a) == 1 and a.scalar("cpus") == 1.75
    b = Resources.from_messages([f.scalar("cpus", 1.0, reserved_to="web", allocation_role="web")])
    both = a + b
    assert len(both) == 2 and both.scalar("cpus") == 2.75
    assert both - b == a
    assert both.contains(a) and both.contains(b) and not a.contains(b)
    with pytest.raises(InsufficientResources, match="cpus"):
        _ = a - Resources.from_messages([f.scalar("cpus", 2)])


def test_mount_disks_are_indivisible() -> None:
    mount = Resources.from_messages([f.mount_disk(100, "/mnt/a")])
    twice = mount + mount
    assert len(twice) == 2  # two whole disks, never merged into one of 200
    assert not mount.contains(Resources.from_messages([f.mount_disk(40, "/mnt/a")]))
    assert mount.contains(mount)
    assert len(twice - mount) == 1


def test_ranges_and_sets_subtract_exactly() -> None:
    have = Resources.from_messages([f.ports((31000, 31010))])
    used = Resources.from_messages([f.ports((31002, 31003))])
    assert (have - used).ranges("ports") == ((31000, 31001), (31004, 31010))
    with pytest.raises(InsufficientResources):
        _ = used - have
    gpus = messages.Resource(name="gpu_ids", type="SET", set=messages.ValueSet(item=["a", "b"]))
    one = messages.Resource(name="gpu_ids", type="SET", set=messages.ValueSet(item=["b"]))
    assert (Resources.from_messages([gpus]) - Resources.from_messages([one])).items("gpu_ids") == {
        "a"
    }


def test_bad_resources_are_refused() -> None:
    with pytest.raises(ValueError, match="cpus"):
        ResourceEntry.from_message(messages.Resource(name="cpus", type="SCALAR"))
    with pytest.raises(ValueError, match="TEXT"):
        ResourceEntry.from_message(messages.Resource(name="x", type="TEXT"))


amounts = st.integers(0, 5000).map(lambda n: n / 1000)
roles = st.sampled_from([None, "web"])
scalars = st.builds(
    lambda name, value, role: f.scalar(name, value, reserved_to=role, allocation_role=None),
    st.sampled_from(["cpus", "mem"]),
    amounts,
    roles,
)
port_sets = st.builds(
    lambda begin, length: f.ports((begin, begin + length), allocation_role=None),
    st.integers(31000, 31020),
    st.integers(0, 5),
)
vectors = st.lists(st.one_of(scalars, port_sets), max_size=6).map(Resources.from_messages)


@settings(max_examples=120)
@given(vectors, vectors)
def test_arithmetic_never_over_commits(a: Resources, b: Resources) -> None:
    assert (a + b).contains(a) and (a + b).contains(b)
    if a.contains(b):
        rest = a - b
        assert all(e.units >= 0 for e in rest)
        assert rest + b == a
        for name in ("cpus", "mem"):
            assert rest.scalar(name) == pytest.approx(a.scalar(name) - b.scalar(name), abs=1e-9)
    else:
        with pytest.raises(InsufficientResources):
            _ = a - b
