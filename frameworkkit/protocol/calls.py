"""Builders for every Mesos 1.11 v1 scheduler call, as JSON-ready dicts.

Each function returns the whole ``Call`` (type, framework_id and body) ready for
:func:`frameworkkit.protocol.codec.encode_call`. Arguments are checked here, so a bad one fails at
the call that took it, with a message naming it. IDs may be strings or decoded
:class:`~frameworkkit.protocol.messages.ID` records (e.g. ``offer.id``); ``uuid`` and ``data`` are
raw bytes and are base64-encoded for JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.protocol._fields import IdLike, JsonDict, ResourceLike

OperationRef = tuple[IdLike, IdLike | None] | tuple[IdLike, IdLike | None, IdLike | None]
"""An operation to reconcile: ``(operation_id, agent_id[, resource_provider_id])``."""


def subscribe(
    framework_info: Mapping[str, Any],
    *,
    suppressed_roles: Iterable[str] = (),
    offer_constraints: Mapping[str, Any] | None = None,
) -> JsonDict:
    """SUBSCRIBE: open the event stream (also to resubscribe, with ``framework_info`` holding the
    framework's ID). ``suppressed_roles`` start with offers suppressed."""
    body = _framework_update("framework_info", framework_info, suppressed_roles, offer_constraints)
    call: JsonDict = {"type": "SUBSCRIBE", "subscribe": body}
    if "id" in body["framework_info"]:
        call["framework_id"] = body["framework_info"]["id"]
    return call


def update_framework(
    framework_info: Mapping[str, Any],
    *,
    suppressed_roles: Iterable[str] = (),
    offer_constraints: Mapping[str, Any] | None = None,
) -> JsonDict:
    """UPDATE_FRAMEWORK: replace the framework's info (roles, capabilities, ...), the set of
    suppressed roles and the offer constraints, without resubscribing."""
    body = _framework_update("framework_info", framework_info, suppressed_roles, offer_constraints)
    if "id" not in body["framework_info"]:
        raise ValueError("framework_info.id: UPDATE_FRAMEWORK needs the framework's ID")
    return _call("UPDATE_FRAMEWORK", body["framework_info"]["id"]["value"], body)


def teardown(framework_id: IdLike) -> JsonDict:
    """TEARDOWN: end the framework for good, killing all its tasks and executors."""
    return _call("TEARDOWN", framework_id)


def accept(
    framework_id: IdLike,
    offer_ids: Iterable[IdLike],
    operations: Iterable[Mapping[str, Any]],
    *,
    refuse_seconds: float | None = None,
) -> JsonDict:
    """ACCEPT: apply ``operations`` (see :mod:`~frameworkkit.protocol.operations`), in order, to
    offers of one agent. What they leave unused is declined, filtered for ``refuse_seconds``."""
    checked_operations = [
        _fields.mapping(f"operations[{i}]", operation)
        for i, operation in enumerate(validation.sequence("operations", operations))
    ]
    for index, operation in enumerate(checked_operations):
        validation.text(f"operations[{index}].type", operation.get("type"))
    body: JsonDict = {
        "offer_ids": _offer_ids("offer_ids", offer_ids),
        "operations": checked_operations,
    }
    _fields.put(body, "filters", _filters, refuse_seconds, "refuse_seconds")
    return _call("ACCEPT", framework_id, body)


def decline(
    framework_id: IdLike, offer_ids: Iterable[IdLike], *, refuse_seconds: float | None = None
) -> JsonDict:
    """DECLINE: hand offers back; their agents are not offered again for ``refuse_seconds``
    (Mesos default 5 s)."""
    body: JsonDict = {"offer_ids": _offer_ids("offer_ids", offer_ids)}
    _fields.put(body, "filters", _filters, refuse_seconds, "refuse_seconds")
    return _call("DECLINE", framework_id, body)


def accept_inverse_offers(
    framework_id: IdLike,
    inverse_offer_ids: Iterable[IdLike],
    *,
    refuse_seconds: float | None = None,
) -> JsonDict:
    """ACCEPT_INVERSE_OFFERS: agree to vacate agents going into maintenance."""
    return _inverse_offers("ACCEPT_INVERSE_OFFERS", framework_id, inverse_offer_ids, refuse_seconds)


def decline_inverse_offers(
    framework_id: IdLike,
    inverse_offer_ids: Iterable[IdLike],
    *,
    refuse_seconds: float | None = None,
) -> JsonDict:
    """DECLINE_INVERSE_OFFERS: say the agents cannot be vacated in time."""
    return _inverse_offers(
        "DECLINE_INVERSE_OFFERS", framework_id, inverse_offer_ids, refuse_seconds
    )


def revive(framework_id: IdLike, roles: Iterable[str] = ()) -> JsonDict:
    """REVIVE: clear offer filters and resume offers for ``roles`` (all roles when empty)."""
    return _call("REVIVE", framework_id, _roles_body("roles", roles))


def suppress(framework_id: IdLike, roles: Iterable[str] = ()) -> JsonDict:
    """SUPPRESS: stop offers for ``roles`` (all roles when empty) until REVIVE."""
    return _call("SUPPRESS", framework_id, _roles_body("roles", roles))


def kill(
    framework_id: IdLike,
    task_id: IdLike,
    *,
    agent_id: IdLike | None = None,
    kill_policy: Mapping[str, Any] | None = None,
) -> JsonDict:
    """KILL: kill a task; ``kill_policy`` (``infos.kill_policy``) overrides the task's own."""
    body: JsonDict = {"task_id": _fields.mesos_id("task_id", task_id)}
    _fields.put(body, "agent_id", _fields.mesos_id, agent_id)
    _fields.put(body, "kill_policy", _fields.mapping, kill_policy)
    return _call("KILL", framework_id, body)


def shutdown(framework_id: IdLike, executor_id: IdLike, agent_id: IdLike) -> JsonDict:
    """SHUTDOWN: stop a custom executor and all its tasks."""
    body = {
        "executor_id": _fields.mesos_id("executor_id", executor_id),
        "agent_id": _fields.mesos_id("agent_id", agent_id),
    }
    return _call("SHUTDOWN", framework_id, body)


def acknowledge(framework_id: IdLike, agent_id: IdLike, task_id: IdLike, uuid: bytes) -> JsonDict:
    """ACKNOWLEDGE: confirm a status update that carried a ``uuid`` (the agent resends it until
    then)."""
    body = {
        "agent_id": _fields.mesos_id("agent_id", agent_id),
        "task_id": _fields.mesos_id("task_id", task_id),
        "uuid": _fields.uuid_bytes("uuid", uuid),
    }
    return _call("ACKNOWLEDGE", framework_id, body)


def acknowledge_operation_status(
    framework_id: IdLike,
    agent_id: IdLike,
    operation_id: IdLike,
    uuid: bytes,
    *,
    resource_provider_id: IdLike | None = None,
) -> JsonDict:
    """ACKNOWLEDGE_OPERATION_STATUS: confirm an operation status update (its ``status.uuid``)."""
    body: JsonDict = {
        "agent_id": _fields.mesos_id("agent_id", agent_id),
        "operation_id": _fields.mesos_id("operation_id", operation_id),
        "uuid": _fields.uuid_bytes("uuid", uuid),
    }
    _fields.put(body, "resource_provider_id", _fields.mesos_id, resource_provider_id)
    return _call("ACKNOWLEDGE_OPERATION_STATUS", framework_id, body)


def reconcile(framework_id: IdLike, tasks: Iterable[tuple[IdLike, IdLike | None]] = ()) -> JsonDict:
    """RECONCILE: ask for the latest status of ``(task_id, agent_id)`` pairs (agent may be None).

    With no tasks this is implicit reconciliation: the master sends the status of every task it
    knows for the framework.
    """
    entries: list[JsonDict] = []
    for index, item in enumerate(validation.sequence("tasks", tasks)):
        task_id, agent_id = _pair(f"tasks[{index}]", item, 2)
        entry = {"task_id": _fields.mesos_id(f"tasks[{index}].task_id", task_id)}
        _fields.put(entry, "agent_id", _fields.mesos_id, agent_id, f"tasks[{index}].agent_id")
        entries.append(entry)
    return _call("RECONCILE", framework_id, {"tasks": entries})


def reconcile_operations(framework_id: IdLike, operations: Iterable[OperationRef] = ()) -> JsonDict:
    """RECONCILE_OPERATIONS: ask for the latest status of operations (all of them when empty)."""
    entries: list[JsonDict] = []
    for index, item in enumerate(validation.sequence("operations", operations)):
        where = f"operations[{index}]"
        operation_id, agent_id, *provider = _pair(where, item, 2, 3)
        entry = {"operation_id": _fields.mesos_id(f"{where}.operation_id", operation_id)}
        _fields.put(entry, "agent_id", _fields.mesos_id, agent_id, f"{where}.agent_id")
        _fields.put(
            entry,
            "resource_provider_id",
            _fields.mesos_id,
            provider[0] if provider else None,
            f"{where}.resource_provider_id",
        )
        entries.append(entry)
    return _call("RECONCILE_OPERATIONS", framework_id, {"operations": entries})


def message(framework_id: IdLike, agent_id: IdLike, executor_id: IdLike, data: bytes) -> JsonDict:
    """MESSAGE: send bytes to an executor (no delivery guarantee)."""
    body = {
        "agent_id": _fields.mesos_id("agent_id", agent_id),
        "executor_id": _fields.mesos_id("executor_id", executor_id),
        "data": _fields.base64_bytes("data", data),
    }
    return _call("MESSAGE", framework_id, body)


def request(
    framework_id: IdLike, requests: Iterable[tuple[IdLike | None, Iterable[ResourceLike]]]
) -> JsonDict:
    """REQUEST: ask the allocator for resources, as ``(agent_id or None, resources)`` pairs (the
    built-in allocator ignores it)."""
    entries: list[JsonDict] = []
    for index, item in enumerate(validation.sequence("requests", requests)):
        agent_id, resources = _pair(f"requests[{index}]", item, 2)
        entry: JsonDict = {}
        _fields.put(entry, "agent_id", _fields.mesos_id, agent_id, f"requests[{index}].agent_id")
        entry["resources"] = _fields.resources(f"requests[{index}].resources", resources)
        entries.append(entry)
    return _call("REQUEST", framework_id, {"requests": entries})


def _inverse_offers(
    call_type: str,
    framework_id: IdLike,
    inverse_offer_ids: Iterable[IdLike],
    refuse_seconds: float | None,
) -> JsonDict:
    body: JsonDict = {"inverse_offer_ids": _offer_ids("inverse_offer_ids", inverse_offer_ids)}
    _fields.put(body, "filters", _filters, refuse_seconds, "refuse_seconds")
    return _call(call_type, framework_id, body)


def _call(call_type: str, framework_id: IdLike, body: JsonDict | None = None) -> JsonDict:
    call: JsonDict = {
        "type": call_type,
        "framework_id": _fields.mesos_id("framework_id", framework_id),
    }
    if body is not None:
        call[call_type.lower()] = body
    return call


def _framework_update(
    field: str,
    framework_info: Mapping[str, Any],
    suppressed_roles: Iterable[str],
    offer_constraints: Mapping[str, Any] | None,
) -> JsonDict:
    """The body shared by SUBSCRIBE and UPDATE_FRAMEWORK."""
    info = _fields.mapping(field, framework_info)
    validation.text(f"{field}.user", info.get("user"))
    validation.text(f"{field}.name", info.get("name"))
    body: JsonDict = {"framework_info": info}
    suppressed = _fields.roles("suppressed_roles", suppressed_roles)
    framework_roles = set(info.get("roles") or [info.get("role", "*")])
    unknown = [role for role in suppressed if role not in framework_roles]
    if unknown:
        raise ValueError(f"suppressed_roles {unknown} are not roles of the framework")
    if suppressed:
        body["suppressed_roles"] = suppressed
    _fields.put(body, "offer_constraints", _fields.mapping, offer_constraints)
    return body


def _filters(field: str, refuse_seconds: float) -> JsonDict:
    return {"refuse_seconds": validation.number(field, refuse_seconds)}


def _offer_ids(field: str, offer_ids: Iterable[IdLike]) -> list[JsonDict]:
    return _fields.non_empty(field, _fields.ids(field, offer_ids))


def _roles_body(field: str, roles: Iterable[str]) -> JsonDict:
    checked = _fields.roles(field, roles)
    return {"roles": checked} if checked else {}


def _pair(field: str, item: object, *sizes: int) -> tuple[Any, ...]:
    """Unpack a tuple argument of one of the accepted ``sizes``."""
    if not isinstance(item, tuple) or len(item) not in sizes:
        raise TypeError(
            f"{field} must be a tuple of {' or '.join(map(str, sizes))} items, got {item!r}"
        )
    return item
