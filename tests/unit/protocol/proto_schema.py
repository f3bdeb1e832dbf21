"""The Mesos 1.11 v1 messages the builders write, as field tables, and a checker for JSON.

Each message maps field name -> (kind, label). A kind is a scalar (``string``, ``bool``,
``double``, ``int``, ``bytes``), ``enum:<Name>`` (names in ``ENUMS``), ``any`` (not checked
further) or another message's name. Labels: ``req``, ``opt``, ``rep`` and ``map`` (string keys).
``ONEOFS`` lists fields of which exactly one must be set.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

REQ, OPT, REP, MAP = "req", "opt", "rep", "map"

ID_MESSAGES = (
    "FrameworkID",
    "OfferID",
    "AgentID",
    "TaskID",
    "ExecutorID",
    "OperationID",
    "ResourceProviderID",
)

SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    **{name: {"value": ("string", REQ)} for name in ID_MESSAGES},
    # scheduler.proto
    "scheduler.Call": {
        "framework_id": ("FrameworkID", OPT),
        "type": ("enum:scheduler.Call.Type", OPT),
        "subscribe": ("scheduler.Call.Subscribe", OPT),
        "accept": ("scheduler.Call.Accept", OPT),
        "decline": ("scheduler.Call.Decline", OPT),
        "accept_inverse_offers": ("scheduler.Call.AcceptInverseOffers", OPT),
        "decline_inverse_offers": ("scheduler.Call.DeclineInverseOffers", OPT),
        "revive": ("scheduler.Call.Revive", OPT),
        "kill": ("scheduler.Call.Kill", OPT),
        "shutdown": ("scheduler.Call.Shutdown", OPT),
        "acknowledge": ("scheduler.Call.Acknowledge", OPT),
        "acknowledge_operation_status": ("scheduler.Call.AcknowledgeOperationStatus", OPT),
        "reconcile": ("scheduler.Call.Reconcile", OPT),
        "reconcile_operations": ("scheduler.Call.ReconcileOperations", OPT),
        "message": ("scheduler.Call.Message", OPT),
        "request": ("scheduler.Call.Request", OPT),
        "suppress": ("scheduler.Call.Suppress", OPT),
        "update_framework": ("scheduler.Call.UpdateFramework", OPT),
    },
    "scheduler.Call.Subscribe": {
        "framework_info": ("FrameworkInfo", REQ),
        "suppressed_roles": ("string", REP),
        "offer_constraints": ("scheduler.OfferConstraints", OPT),
    },
    "scheduler.Call.Accept": {
        "offer_ids": ("OfferID", REP),
        "operations": ("Offer.Operation", REP),
        "filters": ("Filters", OPT),
    },
    "scheduler.Call.Decline": {"offer_ids": ("OfferID", REP), "filters": ("Filters", OPT)},
    "scheduler.Call.AcceptInverseOffers": {
        "inverse_offer_ids": ("OfferID", REP),
        "filters": ("Filters", OPT),
    },
    "scheduler.Call.DeclineInverseOffers": {
        "inverse_offer_ids": ("OfferID", REP),
        "filters": ("Filters", OPT),
    },
    "scheduler.Call.Revive": {"roles": ("string", REP)},
    "scheduler.Call.Suppress": {"roles": ("string", REP)},
    "scheduler.Call.Kill": {
        "task_id": ("TaskID", REQ),
        "agent_id": ("AgentID", OPT),
        "kill_policy": ("KillPolicy", OPT),
    },
    "scheduler.Call.Shutdown": {"executor_id": ("ExecutorID", REQ), "agent_id": ("AgentID", REQ)},
    "scheduler.Call.Acknowledge": {
        "agent_id": ("AgentID", REQ),
        "task_id": ("TaskID", REQ),
        "uuid": ("bytes", REQ),
    },
    "scheduler.Call.AcknowledgeOperationStatus": {
        "agent_id": ("AgentID", OPT),
        "resource_provider_id": ("ResourceProviderID", OPT),
        "uuid": ("bytes", REQ),
        "operation_id": ("OperationID", REQ),
    },
    "scheduler.Call.Reconcile": {"tasks": ("scheduler.Call.Reconcile.Task", REP)},
    "scheduler.Call.Reconcile.Task": {"task_id": ("TaskID", REQ), "agent_id": ("AgentID", OPT)},
    "scheduler.Call.ReconcileOperations": {
        "operations": ("scheduler.Call.ReconcileOperations.Operation", REP)
    },
    "scheduler.Call.ReconcileOperations.Operation": {
        "operation_id": ("OperationID", REQ),
        "agent_id": ("AgentID", OPT),
        "resource_provider_id": ("ResourceProviderID", OPT),
    },
    "scheduler.Call.Message": {
        "agent_id": ("AgentID", REQ),
        "executor_id": ("ExecutorID", REQ),
        "data": ("bytes", REQ),
    },
    "scheduler.Call.Request": {"requests": ("Request", REP)},
    "scheduler.Call.UpdateFramework": {
        "framework_info": ("FrameworkInfo", REQ),
        "suppressed_roles": ("string", REP),
        "offer_constraints": ("scheduler.OfferConstraints", OPT),
    },
    "scheduler.OfferConstraints": {
        "role_constraints": ("scheduler.OfferConstraints.RoleConstraints", MAP)
    },
    "scheduler.OfferConstraints.RoleConstraints": {
        "groups": ("scheduler.OfferConstraints.RoleConstraints.Group", REP)
    },
    "scheduler.OfferConstraints.RoleConstraints.Group": {
        "attribute_constraints": ("scheduler.AttributeConstraint", REP)
    },
    "scheduler.AttributeConstraint": {
        "selector": ("scheduler.AttributeConstraint.Selector", REQ),
        "predicate": ("scheduler.AttributeConstraint.Predicate", REQ),
    },
    "scheduler.AttributeConstraint.Selector": {
        "pseudoattribute_type": ("enum:PseudoattributeType", OPT),
        "attribute_name": ("string", OPT),
    },
    "scheduler.AttributeConstraint.Predicate": {
        "exists": ("Empty", OPT),
        "not_exists": ("Empty", OPT),
        "text_equals": ("scheduler.Predicate.Text", OPT),
        "text_not_equals": ("scheduler.Predicate.Text", OPT),
        "text_matches": ("scheduler.Predicate.Regex", OPT),
        "text_not_matches": ("scheduler.Predicate.Regex", OPT),
    },
    "scheduler.Predicate.Text": {"value": ("string", REQ)},
    "scheduler.Predicate.Regex": {"regex": ("string", REQ)},
    "Empty": {},
    # executor.proto
    "executor.Call": {
        "executor_id": ("ExecutorID", REQ),
        "framework_id": ("FrameworkID", REQ),
        "type": ("enum:executor.Call.Type", OPT),
        "subscribe": ("executor.Call.Subscribe", OPT),
        "update": ("executor.Call.Update", OPT),
        "message": ("executor.Call.Message", OPT),
    },
    "executor.Call.Subscribe": {
        "unacknowledged_tasks": ("TaskInfo", REP),
        "unacknowledged_updates": ("executor.Call.Update", REP),
    },
    "executor.Call.Update": {"status": ("TaskStatus", REQ)},
    "executor.Call.Message": {"data": ("bytes", REQ)},
    # mesos.proto
    "FrameworkInfo": {
        "user": ("string", REQ),
        "name": ("string", REQ),
        "id": ("FrameworkID", OPT),
        "failover_timeout": ("double", OPT),
        "checkpoint": ("bool", OPT),
        "role": ("string", OPT),
        "roles": ("string", REP),
        "hostname": ("string", OPT),
        "principal": ("string", OPT),
        "webui_url": ("string", OPT),
        "capabilities": ("FrameworkInfo.Capability", REP),
        "labels": ("Labels", OPT),
        "offer_filters": ("OfferFilters", MAP),
    },
    "FrameworkInfo.Capability": {"type": ("enum:FrameworkInfo.Capability.Type", OPT)},
    "OfferFilters": {"min_allocatable_resources": ("OfferFilters.MinAllocatableResources", OPT)},
    "OfferFilters.MinAllocatableResources": {
        "quantities": ("OfferFilters.ResourceQuantities", REP)
    },
    "OfferFilters.ResourceQuantities": {"quantities": ("Value.Scalar", MAP)},
    "Labels": {"labels": ("Label", REP)},
    "Label": {"key": ("string", REQ), "value": ("string", OPT)},
    "Filters": {"refuse_seconds": ("double", OPT)},
    "Request": {"agent_id": ("AgentID", OPT), "resources": ("Resource", REP)},
    "Offer.Operation": {
        "type": ("enum:Offer.Operation.Type", OPT),
        "id": ("OperationID", OPT),
        "launch": ("Offer.Operation.Launch", OPT),
        "launch_group": ("Offer.Operation.LaunchGroup", OPT),
        "reserve": ("Offer.Operation.Reserve", OPT),
        "unreserve": ("Offer.Operation.Unreserve", OPT),
        "create": ("Offer.Operation.Create", OPT),
        "destroy": ("Offer.Operation.Destroy", OPT),
        "grow_volume": ("Offer.Operation.GrowVolume", OPT),
        "shrink_volume": ("Offer.Operation.ShrinkVolume", OPT),
        "create_disk": ("Offer.Operation.CreateDisk", OPT),
        "destroy_disk": ("Offer.Operation.DestroyDisk", OPT),
    },
    "Offer.Operation.Launch": {"task_infos": ("TaskInfo", REP)},
    "Offer.Operation.LaunchGroup": {
        "executor": ("ExecutorInfo", REQ),
        "task_group": ("TaskGroupInfo", REQ),
    },
    "Offer.Operation.Reserve": {"source": ("Resource", REP), "resources": ("Resource", REP)},
    "Offer.Operation.Unreserve": {"resources": ("Resource", REP)},
    "Offer.Operation.Create": {"volumes": ("Resource", REP)},
    "Offer.Operation.Destroy": {"volumes": ("Resource", REP)},
    "Offer.Operation.GrowVolume": {"volume": ("Resource", REQ), "addition": ("Resource", REQ)},
    "Offer.Operation.ShrinkVolume": {
        "volume": ("Resource", REQ),
        "subtract": ("Value.Scalar", REQ),
    },
    "Offer.Operation.CreateDisk": {
        "source": ("Resource", REQ),
        "target_type": ("enum:Resource.DiskInfo.Source.Type", REQ),
        "target_profile": ("string", OPT),
    },
    "Offer.Operation.DestroyDisk": {"source": ("Resource", REQ)},
    "TaskInfo": {
        "name": ("string", REQ),
        "task_id": ("TaskID", REQ),
        "agent_id": ("AgentID", REQ),
        "resources": ("Resource", REP),
        "executor": ("ExecutorInfo", OPT),
        "command": ("CommandInfo", OPT),
        "container": ("any", OPT),
        "health_check": ("HealthCheck", OPT),
        "check": ("any", OPT),
        "kill_policy": ("KillPolicy", OPT),
        "data": ("bytes", OPT),
        "labels": ("Labels", OPT),
        "discovery": ("any", OPT),
        "max_completion_time": ("DurationInfo", OPT),
        "limits": ("Value.Scalar", MAP),
    },
    "TaskGroupInfo": {"tasks": ("TaskInfo", REP)},
    "ExecutorInfo": {
        "type": ("enum:ExecutorInfo.Type", OPT),
        "executor_id": ("ExecutorID", REQ),
        "framework_id": ("FrameworkID", OPT),
        "command": ("CommandInfo", OPT),
        "container": ("any", OPT),
        "resources": ("Resource", REP),
        "name": ("string", OPT),
        "source": ("string", OPT),
        "data": ("bytes", OPT),
        "discovery": ("any", OPT),
        "shutdown_grace_period": ("DurationInfo", OPT),
        "labels": ("Labels", OPT),
    },
    "CommandInfo": {
        "uris": ("CommandInfo.URI", REP),
        "environment": ("Environment", OPT),
        "shell": ("bool", OPT),
        "value": ("string", OPT),
        "arguments": ("string", REP),
        "user": ("string", OPT),
    },
    "CommandInfo.URI": {
        "value": ("string", REQ),
        "executable": ("bool", OPT),
        "extract": ("bool", OPT),
        "cache": ("bool", OPT),
        "output_file": ("string", OPT),
    },
    "Environment": {"variables": ("Environment.Variable", REP)},
    "Environment.Variable": {
        "name": ("string", REQ),
        "type": ("enum:Environment.Variable.Type", OPT),
        "value": ("string", OPT),
        "secret": ("any", OPT),
    },
    "HealthCheck": {
        "delay_seconds": ("double", OPT),
        "interval_seconds": ("double", OPT),
        "timeout_seconds": ("double", OPT),
        "consecutive_failures": ("int", OPT),
        "grace_period_seconds": ("double", OPT),
        "type": ("enum:HealthCheck.Type", OPT),
        "command": ("CommandInfo", OPT),
        "http": ("HealthCheck.HTTPCheckInfo", OPT),
        "tcp": ("HealthCheck.TCPCheckInfo", OPT),
    },
    "HealthCheck.HTTPCheckInfo": {
        "protocol": ("enum:NetworkInfo.Protocol", OPT),
        "scheme": ("string", OPT),
        "port": ("int", REQ),
        "path": ("string", OPT),
        "statuses": ("int", REP),
    },
    "HealthCheck.TCPCheckInfo": {
        "protocol": ("enum:NetworkInfo.Protocol", OPT),
        "port": ("int", REQ),
    },
    "KillPolicy": {"grace_period": ("DurationInfo", OPT)},
    "DurationInfo": {"nanoseconds": ("int", REQ)},
    "Resource": {
        "provider_id": ("ResourceProviderID", OPT),
        "name": ("string", REQ),
        "type": ("enum:Value.Type", REQ),
        "scalar": ("Value.Scalar", OPT),
        "ranges": ("Value.Ranges", OPT),
        "set": ("Value.Set", OPT),
        "role": ("string", OPT),
        "allocation_info": ("Resource.AllocationInfo", OPT),
        "reservation": ("Resource.ReservationInfo", OPT),
        "reservations": ("Resource.ReservationInfo", REP),
        "disk": ("Resource.DiskInfo", OPT),
        "revocable": ("Empty", OPT),
        "shared": ("Empty", OPT),
    },
    "Value.Scalar": {"value": ("double", REQ)},
    "Value.Ranges": {"range": ("Value.Range", REP)},
    "Value.Range": {"begin": ("int", REQ), "end": ("int", REQ)},
    "Value.Set": {"item": ("string", REP)},
    "Resource.AllocationInfo": {"role": ("string", OPT)},
    "Resource.ReservationInfo": {
        "type": ("enum:Resource.ReservationInfo.Type", OPT),
        "role": ("string", OPT),
        "principal": ("string", OPT),
        "labels": ("Labels", OPT),
    },
    "Resource.DiskInfo": {
        "persistence": ("Resource.DiskInfo.Persistence", OPT),
        "volume": ("Volume", OPT),
        "source": ("any", OPT),
    },
    "Resource.DiskInfo.Persistence": {"id": ("string", REQ), "principal": ("string", OPT)},
    "Volume": {
        "mode": ("enum:Volume.Mode", REQ),
        "container_path": ("string", REQ),
        "host_path": ("string", OPT),
        "image": ("any", OPT),
        "source": ("any", OPT),
    },
    "TaskStatus": {
        "task_id": ("TaskID", REQ),
        "state": ("enum:TaskState", REQ),
        "message": ("string", OPT),
        "source": ("enum:TaskStatus.Source", OPT),
        "reason": ("enum:TaskStatus.Reason", OPT),
        "data": ("bytes", OPT),
        "agent_id": ("AgentID", OPT),
        "executor_id": ("ExecutorID", OPT),
        "timestamp": ("double", OPT),
        "uuid": ("bytes", OPT),
        "healthy": ("bool", OPT),
        "check_status": ("any", OPT),
        "labels": ("Labels", OPT),
        "container_status": ("any", OPT),
        "unreachable_time": ("any", OPT),
        "limitation": ("any", OPT),
    },
}

ONEOFS: dict[str, tuple[str, ...]] = {
    "scheduler.AttributeConstraint.Selector": ("pseudoattribute_type", "attribute_name"),
    "scheduler.AttributeConstraint.Predicate": (
        "exists",
        "not_exists",
        "text_equals",
        "text_not_equals",
        "text_matches",
        "text_not_matches",
    ),
}

ENUMS: dict[str, frozenset[str]] = {
    name: frozenset(values.split())
    for name, values in {
        "scheduler.Call.Type": "UNKNOWN SUBSCRIBE TEARDOWN ACCEPT DECLINE ACCEPT_INVERSE_OFFERS "
        "DECLINE_INVERSE_OFFERS REVIVE KILL SHUTDOWN ACKNOWLEDGE ACKNOWLEDGE_OPERATION_STATUS "
        "RECONCILE RECONCILE_OPERATIONS MESSAGE REQUEST SUPPRESS UPDATE_FRAMEWORK",
        "executor.Call.Type": "UNKNOWN SUBSCRIBE UPDATE MESSAGE HEARTBEAT",
        "PseudoattributeType": "UNKNOWN HOSTNAME REGION ZONE",
        "FrameworkInfo.Capability.Type": "UNKNOWN REVOCABLE_RESOURCES TASK_KILLING_STATE "
        "GPU_RESOURCES SHARED_RESOURCES PARTITION_AWARE MULTI_ROLE RESERVATION_REFINEMENT "
        "REGION_AWARE",
        "Offer.Operation.Type": "UNKNOWN LAUNCH LAUNCH_GROUP RESERVE UNRESERVE CREATE DESTROY "
        "GROW_VOLUME SHRINK_VOLUME CREATE_DISK DESTROY_DISK",
        "Resource.DiskInfo.Source.Type": "UNKNOWN PATH MOUNT BLOCK RAW",
        "ExecutorInfo.Type": "UNKNOWN DEFAULT CUSTOM",
        "Environment.Variable.Type": "UNKNOWN VALUE SECRET",
        "HealthCheck.Type": "UNKNOWN COMMAND HTTP TCP",
        "NetworkInfo.Protocol": "IPv4 IPv6",
        "Value.Type": "SCALAR RANGES SET TEXT",
        "Resource.ReservationInfo.Type": "UNKNOWN STATIC DYNAMIC",
        "Volume.Mode": "RW RO",
        "TaskState": "TASK_STAGING TASK_STARTING TASK_RUNNING TASK_KILLING TASK_FINISHED "
        "TASK_FAILED TASK_KILLED TASK_ERROR TASK_LOST TASK_DROPPED TASK_UNREACHABLE TASK_GONE "
        "TASK_GONE_BY_OPERATOR TASK_UNKNOWN",
        "TaskStatus.Source": "SOURCE_MASTER SOURCE_AGENT SOURCE_EXECUTOR",
        "TaskStatus.Reason": "REASON_COMMAND_EXECUTOR_FAILED REASON_CONTAINER_LAUNCH_FAILED "
        "REASON_CONTAINER_LIMITATION REASON_CONTAINER_LIMITATION_DISK "
        "REASON_CONTAINER_LIMITATION_MEMORY REASON_CONTAINER_PREEMPTED "
        "REASON_CONTAINER_UPDATE_FAILED REASON_MAX_COMPLETION_TIME_REACHED "
        "REASON_EXECUTOR_REGISTRATION_TIMEOUT REASON_EXECUTOR_REREGISTRATION_TIMEOUT "
        "REASON_EXECUTOR_TERMINATED REASON_EXECUTOR_UNREGISTERED REASON_FRAMEWORK_REMOVED "
        "REASON_GC_ERROR REASON_INVALID_FRAMEWORKID REASON_INVALID_OFFERS "
        "REASON_IO_SWITCHBOARD_EXITED REASON_MASTER_DISCONNECTED REASON_RECONCILIATION "
        "REASON_RESOURCES_UNKNOWN REASON_AGENT_DISCONNECTED REASON_AGENT_DRAINING "
        "REASON_AGENT_REMOVED REASON_AGENT_REMOVED_BY_OPERATOR REASON_AGENT_REREGISTERED "
        "REASON_AGENT_RESTARTED REASON_AGENT_UNKNOWN REASON_TASK_KILLED_DURING_LAUNCH "
        "REASON_TASK_CHECK_STATUS_UPDATED REASON_TASK_HEALTH_CHECK_STATUS_UPDATED "
        "REASON_TASK_GROUP_INVALID REASON_TASK_GROUP_UNAUTHORIZED REASON_TASK_INVALID "
        "REASON_TASK_UNAUTHORIZED REASON_TASK_UNKNOWN",
    }.items()
}


class SchemaError(AssertionError):
    """JSON that Mesos 1.11 would not parse into the named message."""


def check_message(message: str, value: Any, path: str = "$") -> None:
    """Raise :class:`SchemaError` unless ``value`` is valid JSON for ``message``."""
    if not isinstance(value, dict):
        raise SchemaError(f"{path}: {message} must be an object, got {value!r}")
    fields = SCHEMA[message]
    for key, item in value.items():
        if key not in fields:
            raise SchemaError(f"{path}: {message} has no field {key!r}")
        kind, label = fields[key]
        where = f"{path}.{key}"
        if label == REP:
            if not isinstance(item, list):
                raise SchemaError(f"{where}: repeated field must be a list, got {item!r}")
            for index, element in enumerate(item):
                _check_value(kind, element, f"{where}[{index}]")
        elif label == MAP:
            if not isinstance(item, dict):
                raise SchemaError(f"{where}: map field must be an object, got {item!r}")
            for map_key, element in item.items():
                if not isinstance(map_key, str):
                    raise SchemaError(f"{where}: map key {map_key!r} is not a string")
                _check_value(kind, element, f"{where}[{map_key!r}]")
        else:
            _check_value(kind, item, where)
    missing = [key for key, (_, label) in fields.items() if label == REQ and key not in value]
    if missing:
        raise SchemaError(f"{path}: {message} lacks required {missing}")
    if message in ONEOFS:
        chosen = [key for key in ONEOFS[message] if key in value]
        if len(chosen) != 1:
            raise SchemaError(f"{path}: {message} needs exactly one of {ONEOFS[message]}")


def _check_value(kind: str, value: Any, path: str) -> None:
    if kind == "any":
        if not isinstance(value, dict):
            raise SchemaError(f"{path}: must be an object, got {value!r}")
    elif kind == "string":
        if not isinstance(value, str):
            raise SchemaError(f"{path}: must be a string, got {value!r}")
    elif kind == "bool":
        if not isinstance(value, bool):
            raise SchemaError(f"{path}: must be a bool, got {value!r}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaError(f"{path}: must be an integer, got {value!r}")
    elif kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(f"{path}: must be a number, got {value!r}")
    elif kind == "bytes":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError) as error:
            raise SchemaError(f"{path}: must be base64 text, got {value!r}") from error
    elif kind.startswith("enum:"):
        if value not in ENUMS[kind[5:]]:
            raise SchemaError(f"{path}: {value!r} is not a {kind[5:]} value")
    else:
        check_message(kind, value, path)
