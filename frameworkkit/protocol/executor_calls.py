"""Builders for the Mesos 1.11 v1 executor calls, as JSON-ready dicts.

An executor SUBSCRIBEs to its agent, reports task states with UPDATE (each status carries a fresh
UUID and is resent until the agent ACKNOWLEDGEs it), and may send MESSAGE data to its scheduler.
HEARTBEAT keeps a persistent call connection alive. Standard library only: executors import it at
start.
"""

from __future__ import annotations

import os
import time

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.states import EXECUTOR_STATES

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from frameworkkit.protocol._fields import IdLike, JsonDict, LabelsLike
    from frameworkkit.protocol.messages import TaskInfo


def task_status(
    task_id: IdLike,
    state: str,
    *,
    message: str | None = None,
    reason: str | None = None,
    data: bytes | None = None,
    healthy: bool | None = None,
    labels: LabelsLike | None = None,
    check_status: Mapping[str, Any] | None = None,
    container_status: Mapping[str, Any] | None = None,
    executor_id: IdLike | None = None,
    uuid: bytes | None = None,
    timestamp: float | None = None,
) -> JsonDict:
    """A ``TaskStatus`` from the executor (source SOURCE_EXECUTOR).

    ``uuid`` defaults to a fresh random UUID and ``timestamp`` to now (seconds since the epoch);
    keep the result to resend it unchanged in SUBSCRIBE until it is acknowledged. ``reason`` is a
    ``TaskStatus.Reason`` name such as ``REASON_COMMAND_EXECUTOR_FAILED``.
    """
    status: JsonDict = {
        "task_id": _fields.mesos_id("task_id", task_id),
        "state": _fields.choice("state", state, EXECUTOR_STATES),
        "source": "SOURCE_EXECUTOR",
        "uuid": _fields.uuid_bytes("uuid", random_uuid() if uuid is None else uuid),
        "timestamp": validation.number(
            "timestamp", time.time() if timestamp is None else timestamp
        ),
    }
    _fields.put(status, "message", validation.text, message)
    _fields.put(status, "reason", _reason, reason)
    _fields.put(status, "data", _fields.base64_bytes, data)
    _fields.put(status, "healthy", validation.flag, healthy)
    _fields.put(status, "labels", _fields.labels, labels)
    _fields.put(status, "check_status", _fields.mapping, check_status)
    _fields.put(status, "container_status", _fields.mapping, container_status)
    _fields.put(status, "executor_id", _fields.mesos_id, executor_id)
    return status


def random_uuid() -> bytes:
    """The 16 bytes of a random (version 4) UUID, as ``uuid.uuid4().bytes`` (without loading
    the uuid module, slow to import)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return bytes(raw)


def subscribe(
    executor_id: IdLike,
    framework_id: IdLike,
    *,
    unacknowledged_tasks: Iterable[TaskInfo | Mapping[str, Any]] = (),
    unacknowledged_updates: Iterable[Mapping[str, Any]] = (),
) -> JsonDict:
    """SUBSCRIBE (or resubscribe after the agent restarts or the connection breaks).

    ``unacknowledged_tasks`` are the TaskInfos launched but without any acknowledged update;
    ``unacknowledged_updates`` are the :func:`task_status` dicts sent and not yet acknowledged.
    """
    tasks = [
        _fields.mapping(f"unacknowledged_tasks[{i}]", task)
        for i, task in enumerate(validation.sequence("unacknowledged_tasks", unacknowledged_tasks))
    ]
    updates = [
        {"status": _status(f"unacknowledged_updates[{i}]", status, executor_id)}
        for i, status in enumerate(
            validation.sequence("unacknowledged_updates", unacknowledged_updates)
        )
    ]
    body = {"unacknowledged_tasks": tasks, "unacknowledged_updates": updates}
    return _call("SUBSCRIBE", executor_id, framework_id, body)


def update(executor_id: IdLike, framework_id: IdLike, status: Mapping[str, Any]) -> JsonDict:
    """UPDATE: report a :func:`task_status` to the agent, which forwards it to the scheduler."""
    body = {"status": _status("status", status, executor_id)}
    return _call("UPDATE", executor_id, framework_id, body)


def message(executor_id: IdLike, framework_id: IdLike, data: bytes) -> JsonDict:
    """MESSAGE: send bytes to the scheduler (no delivery guarantee)."""
    body = {"data": _fields.base64_bytes("data", data)}
    return _call("MESSAGE", executor_id, framework_id, body)


def heartbeat(executor_id: IdLike, framework_id: IdLike) -> JsonDict:
    """HEARTBEAT: keep an otherwise idle persistent call connection from being dropped."""
    return _call("HEARTBEAT", executor_id, framework_id)


def _call(
    call_type: str, executor_id: IdLike, framework_id: IdLike, body: JsonDict | None = None
) -> JsonDict:
    call: JsonDict = {
        "type": call_type,
        "executor_id": _fields.mesos_id("executor_id", executor_id),
        "framework_id": _fields.mesos_id("framework_id", framework_id),
    }
    if body is not None:
        call[call_type.lower()] = body
    return call


def _reason(field: str, reason: object) -> str:
    if not validation.text(field, reason).startswith("REASON_"):
        raise ValueError(f"{field} must be a TaskStatus.Reason name (REASON_...), got {reason!r}")
    return str(reason)


def _status(field: str, status: Mapping[str, Any], executor_id: IdLike) -> JsonDict:
    """A status as the agent accepts it from this executor (checked the way the agent does)."""
    checked = _fields.mapping(field, status)
    _fields.mesos_id(f"{field}.task_id", (checked.get("task_id") or {}).get("value"))
    _fields.choice(f"{field}.state", checked.get("state"), EXECUTOR_STATES)
    if checked.get("source") != "SOURCE_EXECUTOR":
        raise ValueError(f"{field}.source must be SOURCE_EXECUTOR (build it with task_status)")
    if not checked.get("uuid"):
        raise ValueError(f"{field}.uuid is missing (build the status with task_status)")
    own_id = _fields.mesos_id("executor_id", executor_id)
    if checked.get("executor_id", own_id) != own_id:
        raise ValueError(f"{field}.executor_id differs from the calling executor's ID")
    return checked
