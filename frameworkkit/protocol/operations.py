"""Builders for offer operations (``Offer.Operation``), the steps of an ACCEPT call.

Pass a list of them to :func:`frameworkkit.protocol.calls.accept`; Mesos applies them in order.
Every operation except LAUNCH and LAUNCH_GROUP takes an optional ``operation_id``, which asks Mesos
for UPDATE_OPERATION_STATUS feedback on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.protocol._fields import IdLike, JsonDict, ResourceLike

DISK_TARGET_TYPES = ("MOUNT", "BLOCK")


def launch(task_infos: Iterable[Mapping[str, Any]]) -> JsonDict:
    """Launch tasks (``infos.task_info`` dicts, each with a command or an executor)."""
    tasks = _fields.non_empty("task_infos", _tasks("task_infos", task_infos))
    for index, task in enumerate(tasks):
        if ("command" in task) == ("executor" in task):
            raise ValueError(f"task_infos[{index}] needs a command or an executor (one of them)")
    return _operation("LAUNCH", {"task_infos": tasks}, None)


def launch_group(executor: Mapping[str, Any], tasks: Iterable[Mapping[str, Any]]) -> JsonDict:
    """Launch a task group: tasks started together in one executor (usually the DEFAULT one)."""
    checked_executor = _fields.mapping("executor", executor)
    if checked_executor.get("type") not in ("DEFAULT", "CUSTOM"):
        raise ValueError("executor: a task group's executor needs executor_type DEFAULT or CUSTOM")
    checked_tasks = _fields.non_empty("tasks", _tasks("tasks", tasks))
    for index, task in enumerate(checked_tasks):
        if task.get("executor", checked_executor) != checked_executor:
            raise ValueError(f"tasks[{index}].executor differs from the group's executor")
    body = {"executor": checked_executor, "task_group": {"tasks": checked_tasks}}
    return _operation("LAUNCH_GROUP", body, None)


def reserve(
    resources: Iterable[ResourceLike],
    *,
    source: Iterable[ResourceLike] = (),
    operation_id: IdLike | None = None,
) -> JsonDict:
    """Reserve resources: each carries the reservation it should get in ``reservations``.

    ``source`` (optional) names the resources being reserved, as offered, when refining an
    existing reservation.
    """
    body: JsonDict = {"resources": _reserved("resources", resources)}
    checked_source = _fields.resources("source", source)
    if checked_source:
        body["source"] = checked_source
    return _operation("RESERVE", body, operation_id)


def unreserve(resources: Iterable[ResourceLike], *, operation_id: IdLike | None = None) -> JsonDict:
    """Release dynamically reserved resources (as offered, reservations included)."""
    return _operation("UNRESERVE", {"resources": _reserved("resources", resources)}, operation_id)


def create(volumes: Iterable[ResourceLike], *, operation_id: IdLike | None = None) -> JsonDict:
    """Create persistent volumes: reserved disk resources with ``disk.persistence`` set."""
    return _operation("CREATE", {"volumes": _volumes("volumes", volumes)}, operation_id)


def destroy(volumes: Iterable[ResourceLike], *, operation_id: IdLike | None = None) -> JsonDict:
    """Destroy persistent volumes (as offered); their disk space stays reserved."""
    return _operation("DESTROY", {"volumes": _volumes("volumes", volumes)}, operation_id)


def grow_volume(
    volume: ResourceLike, addition: ResourceLike, *, operation_id: IdLike | None = None
) -> JsonDict:
    """Grow a persistent volume by ``addition``, a disk resource with the same reservation."""
    body = {
        "volume": _volume("volume", volume),
        "addition": _fields.resource("addition", addition),
    }
    return _operation("GROW_VOLUME", body, operation_id)


def shrink_volume(
    volume: ResourceLike, subtract_mb: float, *, operation_id: IdLike | None = None
) -> JsonDict:
    """Shrink a persistent volume by ``subtract_mb`` megabytes."""
    subtract = validation.number("subtract_mb", subtract_mb)
    if subtract == 0:
        raise ValueError("subtract_mb must be more than 0")
    body = {"volume": _volume("volume", volume), "subtract": {"value": subtract}}
    return _operation("SHRINK_VOLUME", body, operation_id)


def create_disk(
    source: ResourceLike,
    target_type: Literal["MOUNT", "BLOCK"],
    *,
    target_profile: str | None = None,
    operation_id: IdLike | None = None,
) -> JsonDict:
    """Turn a RAW disk from a storage resource provider into a MOUNT or BLOCK disk."""
    body: JsonDict = {
        "source": _fields.resource("source", source),
        "target_type": _fields.choice("target_type", target_type, DISK_TARGET_TYPES),
    }
    _fields.put(body, "target_profile", validation.text, target_profile)
    return _operation("CREATE_DISK", body, operation_id)


def destroy_disk(source: ResourceLike, *, operation_id: IdLike | None = None) -> JsonDict:
    """Turn a MOUNT or BLOCK disk from a storage resource provider back into a RAW disk."""
    return _operation("DESTROY_DISK", {"source": _fields.resource("source", source)}, operation_id)


def _operation(operation_type: str, body: JsonDict, operation_id: IdLike | None) -> JsonDict:
    operation: JsonDict = {"type": operation_type, operation_type.lower(): body}
    _fields.put(operation, "id", _fields.mesos_id, operation_id, "operation_id")
    return operation


def _tasks(field: str, tasks: Iterable[Mapping[str, Any]]) -> list[JsonDict]:
    return [
        _fields.mapping(f"{field}[{i}]", task)
        for i, task in enumerate(validation.sequence(field, tasks))
    ]


def _reserved(field: str, resources: Iterable[ResourceLike]) -> list[JsonDict]:
    checked = _fields.non_empty(field, _fields.resources(field, resources))
    for index, resource in enumerate(checked):
        if not resource.get("reservations") and not resource.get("reservation"):
            raise ValueError(f"{field}[{index}] carries no reservation")
    return checked


def _volume(field: str, volume: ResourceLike) -> JsonDict:
    checked = _fields.resource(field, volume)
    if not (checked.get("disk") or {}).get("persistence"):
        raise ValueError(f"{field} is not a persistent volume (no disk.persistence)")
    return checked


def _volumes(field: str, volumes: Iterable[ResourceLike]) -> list[JsonDict]:
    items = _fields.non_empty(field, validation.sequence(field, volumes))
    return [_volume(f"{field}[{i}]", volume) for i, volume in enumerate(items)]
