"""Builders for ``Resource`` messages (JSON-ready dicts) used in tasks, executors and operations.

Resources taken from an offer can be passed to the other builders as they are (decoded
:class:`~frameworkkit.protocol.messages.Resource` records); use these to write new ones, e.g. a
task's share of an offer or a reservation request. A framework with the MULTI_ROLE capability
must give ``allocation_role``: the role the offer was allocated to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.protocol._fields import JsonDict, LabelsLike


def reservation(
    role: str,
    *,
    principal: str | None = None,
    labels: LabelsLike | None = None,
    reservation_type: Literal["DYNAMIC", "STATIC"] = "DYNAMIC",
) -> JsonDict:
    """A ``Resource.ReservationInfo``: one entry of a resource's ``reservations`` stack."""
    info: JsonDict = {
        "type": _fields.choice("reservation_type", reservation_type, ("DYNAMIC", "STATIC")),
        "role": validation.role("role", role),
    }
    _fields.put(info, "principal", validation.text, principal)
    _fields.put(info, "labels", _fields.labels, labels)
    return info


def scalar_resource(
    name: str,
    value: float,
    *,
    allocation_role: str | None = None,
    reservations: Iterable[Mapping[str, Any]] = (),
    disk: Mapping[str, Any] | None = None,
) -> JsonDict:
    """A scalar resource such as ``cpus``, ``mem`` (MB), ``disk`` (MB) or ``gpus``.

    ``disk`` is a ``Resource.DiskInfo`` (see :func:`persistent_volume_disk`) for disk resources.
    """
    resource = _resource(
        name, "SCALAR", {"value": validation.number("value", value)}, allocation_role, reservations
    )
    _fields.put(resource, "disk", _fields.mapping, disk)
    return resource


def ranges_resource(
    name: str,
    ranges: Iterable[tuple[int, int]],
    *,
    allocation_role: str | None = None,
    reservations: Iterable[Mapping[str, Any]] = (),
) -> JsonDict:
    """A ranges resource such as ``ports``; each range is ``(begin, end)``, both included."""
    entries: list[JsonDict] = []
    for index, item in enumerate(validation.sequence("ranges", ranges)):
        if not isinstance(item, tuple) or len(item) != 2:
            raise TypeError(f"ranges[{index}] must be a (begin, end) pair, got {item!r}")
        begin = validation.whole_number(f"ranges[{index}].begin", item[0])
        end = validation.whole_number(f"ranges[{index}].end", item[1], minimum=begin)
        entries.append({"begin": begin, "end": end})
    _fields.non_empty("ranges", entries)
    return _resource(name, "RANGES", {"range": entries}, allocation_role, reservations)


def set_resource(
    name: str,
    items: Iterable[str],
    *,
    allocation_role: str | None = None,
    reservations: Iterable[Mapping[str, Any]] = (),
) -> JsonDict:
    """A set resource: named items, e.g. device names."""
    checked = [
        validation.text(f"items[{i}]", item)
        for i, item in enumerate(validation.sequence("items", items))
    ]
    _fields.non_empty("items", checked)
    return _resource(name, "SET", {"item": checked}, allocation_role, reservations)


def persistent_volume_disk(
    persistence_id: str,
    container_path: str,
    *,
    principal: str | None = None,
    read_only: bool = False,
) -> JsonDict:
    """A ``Resource.DiskInfo`` making a reserved disk resource a persistent volume (for CREATE)."""
    persistence: JsonDict = {"id": _fields.mesos_id("persistence_id", persistence_id)["value"]}
    _fields.put(persistence, "principal", validation.text, principal)
    return {
        "persistence": persistence,
        "volume": {
            "mode": "RO" if validation.flag("read_only", read_only) else "RW",
            "container_path": validation.text("container_path", container_path),
        },
    }


def _resource(
    name: str,
    value_type: str,
    value: JsonDict,
    allocation_role: str | None,
    reservations: Iterable[Mapping[str, Any]],
) -> JsonDict:
    resource: JsonDict = {"name": validation.text("name", name), "type": value_type}
    resource[value_type.lower()] = value
    stack = [
        _fields.mapping(f"reservations[{i}]", entry)
        for i, entry in enumerate(validation.sequence("reservations", reservations))
    ]
    if stack:
        resource["reservations"] = stack
    _fields.put(resource, "allocation_info", _allocation_info, allocation_role, "allocation_role")
    return resource


def _allocation_info(field: str, role: str) -> JsonDict:
    return {"role": validation.role(field, role)}
