"""Builders for offers and resources in the Mesos 1.11 JSON shape, and the JSON fixtures.

``offers_local_1_11.json`` has the shape a real 1.11 local-mode master sends (agents started
with ``cpus:2;mem:4096;disk:4096;ports:[31000-32000]``, framework role ``*``).
``offers_reservations_1_11.json`` is written by hand in the same shape to cover reservation
refinement, the pre-refinement ``role``/``reservation`` fields, disk sources, a persistent
volume, revocable cpus, GPUs, attributes and a fault domain.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec

from frameworkkit.protocol import messages

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_offers(name: str) -> list[messages.Offer]:
    event = json.loads((FIXTURES / name).read_text())
    return msgspec.convert(event["offers"]["offers"], list[messages.Offer])


def fixture_json(name: str) -> list[dict[str, Any]]:
    event = json.loads((FIXTURES / name).read_text())
    offers: list[dict[str, Any]] = event["offers"]["offers"]
    return offers


def reservation(role: str, kind: str = "DYNAMIC") -> messages.ReservationInfo:
    return messages.ReservationInfo(type=kind, role=role)


def scalar(
    name: str,
    value: float,
    *,
    reserved_to: str | None = None,
    allocation_role: str | None = "*",
    revocable: bool = False,
    disk: messages.DiskInfo | None = None,
) -> messages.Resource:
    return messages.Resource(
        name=name,
        type="SCALAR",
        scalar=messages.Scalar(value=value),
        reservations=[reservation(reserved_to)] if reserved_to else [],
        allocation_info=messages.AllocationInfo(role=allocation_role) if allocation_role else None,
        revocable={} if revocable else None,
        disk=disk,
    )


def ports(
    *spans: tuple[int, int], reserved_to: str | None = None, allocation_role: str | None = "*"
) -> messages.Resource:
    return messages.Resource(
        name="ports",
        type="RANGES",
        ranges=messages.Ranges(range=[messages.Range(begin=b, end=e) for b, e in spans]),
        reservations=[reservation(reserved_to)] if reserved_to else [],
        allocation_info=messages.AllocationInfo(role=allocation_role) if allocation_role else None,
    )


def mount_disk(size: float, root: str, *, allocation_role: str | None = "*") -> messages.Resource:
    source = messages.DiskSource(type="MOUNT", mount=messages.DiskSourcePath(root=root))
    return scalar(
        "disk", size, allocation_role=allocation_role, disk=messages.DiskInfo(source=source)
    )


def path_disk(size: float, root: str, *, allocation_role: str | None = "*") -> messages.Resource:
    source = messages.DiskSource(type="PATH", path=messages.DiskSourcePath(root=root))
    return scalar(
        "disk", size, allocation_role=allocation_role, disk=messages.DiskInfo(source=source)
    )


def volume(
    size: float, volume_id: str, *, reserved_to: str, shared: bool = False
) -> messages.Resource:
    disk = messages.DiskInfo(
        persistence=messages.Persistence(id=volume_id),
        volume=messages.Volume(container_path="data", mode="RW"),
    )
    resource = scalar("disk", size, reserved_to=reserved_to, allocation_role=reserved_to, disk=disk)
    return msgspec.structs.replace(resource, shared={} if shared else None)


def offer(
    agent: str,
    *resources: messages.Resource,
    hostname: str | None = None,
    offer_id: str | None = None,
    attributes: dict[str, str] | None = None,
    allocation_role: str | None = "*",
) -> messages.Offer:
    """An offer from ``agent`` (text attributes only; others via ``messages.Attribute``)."""
    return messages.Offer(
        id=messages.ID(value=offer_id or f"offer-{agent}"),
        framework_id=messages.ID(value="framework-1"),
        agent_id=messages.ID(value=agent),
        hostname=hostname or f"{agent}.example",
        resources=list(resources),
        attributes=[
            messages.Attribute(name=name, type="TEXT", text=messages.Text(value=value))
            for name, value in (attributes or {}).items()
        ],
        allocation_info=messages.AllocationInfo(role=allocation_role) if allocation_role else None,
    )


def basic_offer(
    agent: str,
    cpus: float = 4.0,
    mem: float = 8192.0,
    disk: float = 10000.0,
    port_span: tuple[int, int] = (31000, 31099),
    **kwargs: Any,
) -> messages.Offer:
    return offer(
        agent,
        scalar("cpus", cpus),
        scalar("mem", mem),
        scalar("disk", disk),
        ports(port_span),
        **kwargs,
    )
