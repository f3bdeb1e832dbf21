"""Offers as a real Mesos 1.11 master sends them parse to exactly the agents' resources."""

import httpx
import pytest

from frameworkkit.placement import OfferPool, Resources, TaskRequest, place
from frameworkkit.placement.agents import render_attribute
from frameworkkit.protocol.codec import decode_scheduler_event
from frameworkkit.protocol.messages import Offer
from frameworkkit.protocol.recordio import RecordIODecoder
from frameworkkit.testing import EmbeddedCluster, free_port

RESOURCES = "cpus:1.5;cpus(batch):0.5;mem:4096;disk:4096;ports:[31000-31099,32000-32000];gpus:0"
ATTRIBUTES = "rack:r7;level:3.5;slots:[1-4,9-9];disk_kind:ssd"


def live_offers(master: str, agents: int, refinement: bool) -> list[Offer]:
    """SUBSCRIBE a MULTI_ROLE framework in role ``batch`` and collect one offer per agent."""
    capabilities = [{"type": "MULTI_ROLE"}]
    if refinement:
        capabilities.append({"type": "RESERVATION_REFINEMENT"})
    subscribe = {
        "type": "SUBSCRIBE",
        "subscribe": {
            "framework_info": {
                "user": "root",
                "name": "offer-capture",
                "roles": ["batch"],
                "capabilities": capabilities,
            }
        },
    }
    decoder, offers = RecordIODecoder(), {}
    with (
        httpx.Client(timeout=20) as client,
        client.stream("POST", f"{master}/api/v1/scheduler", json=subscribe) as response,
    ):
        for chunk in response.iter_bytes():
            for frame in decoder.feed(chunk):
                event = decode_scheduler_event(frame)
                if event.type == "OFFERS" and event.offers is not None:
                    offers.update({o.agent_id.value: o for o in event.offers.offers})
            if len(offers) == agents:
                return list(offers.values())
    raise AssertionError(f"only {len(offers)} of {agents} agents offered")


@pytest.mark.parametrize("refinement", [False, True], ids=["legacy-role", "reservations-stack"])
def test_real_offers_parse_to_the_exact_resources_roles_and_attributes(refinement: bool) -> None:
    with EmbeddedCluster(
        agents=2, port=free_port(), resources=RESOURCES, attributes=ATTRIBUTES
    ) as cluster:
        offers = live_offers(cluster.url, agents=2, refinement=refinement)
    for offer in offers:
        resources = Resources.from_messages(offer.resources)
        batch = resources.usable_by("batch")
        assert batch.scalar("cpus") == 2.0  # 1.5 unreserved + 0.5 reserved to batch
        assert batch.scalar("mem") == 4096.0 and batch.scalar("disk") == 4096.0
        assert batch.ranges("ports") == ((31000, 31099), (32000, 32000))
        assert resources.usable_by("other").scalar("cpus") == 0.0  # allocated to batch
        if refinement:  # the reservation stack
            reserved = [
                (r.name, [(x.type, x.role) for x in r.reservations])
                for r in offer.resources
                if r.reservations
            ]
            assert reserved == [("cpus", [("STATIC", "batch")])]
        else:  # the pre-refinement form: a static reservation is just its role
            reserved = [(r.name, r.role) for r in offer.resources if r.role != "*"]
            assert reserved == [("cpus", "batch")]
        assert all(r.allocation_info and r.allocation_info.role == "batch" for r in offer.resources)
        rendered = {a.name: render_attribute(a) for a in offer.attributes}
        assert rendered == {
            "rack": "r7",
            "level": "3.5",
            "slots": "[1-4,9-9]",
            "disk_kind": "ssd",
        }

    pool = OfferPool.from_offers(offers)
    result = place(
        [
            TaskRequest(
                f"t{i}",
                cpus=1.0,
                mem=100,
                ports=["http"],
                role="batch",
                constraints=[["disk_kind", "LIKE", "ss."]],
            )
            for i in range(5)
        ],
        pool,
    )
    # 2 cpus per agent: two tasks each, the fifth does not fit and says why
    assert len(result.assignments) == 4
    assert "cpus" in str(result.unplaced["t4"])
    ports = [a.ports[0].port for a in result.assignments.values()]
    assert all(31000 <= p <= 31099 or p == 32000 for p in ports)
