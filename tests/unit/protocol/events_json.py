"""Events in the JSON a Mesos 1.11 master or agent sends, for decoding tests."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

FRAMEWORK_ID = "b5f2c6d4-3b7e-4f0a-9d61-7c2a1e8f4b90-0000"
AGENT_ID = "0e3a5c71-8d24-4b6f-a1c9-5f7e2d3b6a80-S0"
STATUS_UUID = uuid.UUID("6f1c2b8e-4d3a-4e5f-9a7b-1c2d3e4f5a6b").bytes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def frame(event: dict[str, Any]) -> bytes:
    """Compact JSON, as Mesos writes it."""
    return json.dumps(event, separators=(",", ":")).encode()


SUBSCRIBED: dict[str, Any] = {
    "type": "SUBSCRIBED",
    "subscribed": {
        "framework_id": {"value": FRAMEWORK_ID},
        "heartbeat_interval_seconds": 15.0,
        "master_info": {
            "id": "6a1f0c8e-2b3d-4c5e-8f9a-0b1c2d3e4f5a",
            "ip": 16777343,
            "port": 5050,
            "pid": "master@127.0.0.1:5050",
            "hostname": "localhost",
            "version": "1.11.0",
            "address": {"hostname": "localhost", "ip": "127.0.0.1", "port": 5050},
        },
    },
}


def offer(index: int = 0, role: str = "batch") -> dict[str, Any]:
    """A realistic offer: unreserved and reserved resources, a volume, ports, attributes."""
    dynamic = [
        {
            "principal": "ops",
            "labels": {"labels": [{"key": "owner", "value": "etl"}]},
            "role": role,
            "type": "DYNAMIC",
        }
    ]
    return {
        "id": {"value": f"{FRAMEWORK_ID[:-5]}-O{index}"},
        "framework_id": {"value": FRAMEWORK_ID},
        "agent_id": {"value": AGENT_ID},
        "hostname": "localhost",
        "resources": [
            {
                "name": "cpus",
                "type": "SCALAR",
                "scalar": {"value": 8.0},
                "allocation_info": {"role": role},
            },
            {
                "name": "mem",
                "type": "SCALAR",
                "scalar": {"value": 15360.0},
                "allocation_info": {"role": role},
            },
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {
                    "range": [{"begin": 31000, "end": 31099}, {"begin": 31200, "end": 32000}]
                },
                "allocation_info": {"role": role},
            },
            {
                "name": "cpus",
                "type": "SCALAR",
                "scalar": {"value": 2.0},
                "allocation_info": {"role": role},
                "reservations": dynamic,
            },
            {
                "name": "disk",
                "type": "SCALAR",
                "scalar": {"value": 1024.0},
                "disk": {
                    "persistence": {"id": "pg-data", "principal": "ops"},
                    "volume": {"container_path": "data", "mode": "RW"},
                },
                "allocation_info": {"role": role},
                "reservations": dynamic,
            },
        ],
        "executor_ids": [{"value": "exec-1"}],
        "attributes": [
            {"name": "rack", "type": "TEXT", "text": {"value": "r1"}},
            {"name": "generation", "type": "SCALAR", "scalar": {"value": 3.0}},
            {"name": "slots", "type": "RANGES", "ranges": {"range": [{"begin": 0, "end": 3}]}},
            {"name": "gpus", "type": "SET", "set": {"item": ["k80", "p100"]}},
        ],
        "url": {
            "scheme": "http",
            "address": {"hostname": "localhost", "ip": "127.0.0.1", "port": 5051},
            "path": "/slave(1)",
        },
        "allocation_info": {"role": role},
        "domain": {"fault_domain": {"region": {"name": "eu-west"}, "zone": {"name": "eu-west-1"}}},
    }


OFFERS: dict[str, Any] = {"type": "OFFERS", "offers": {"offers": [offer(0), offer(1, "analytics")]}}

INVERSE_OFFERS: dict[str, Any] = {
    "type": "INVERSE_OFFERS",
    "inverse_offers": {
        "inverse_offers": [
            {
                "id": {"value": "io-1"},
                "framework_id": {"value": FRAMEWORK_ID},
                "agent_id": {"value": AGENT_ID},
                "unavailability": {"start": {"nanoseconds": 1700000000000000000}},
            }
        ]
    },
}

TASK_STATUS: dict[str, Any] = {
    "task_id": {"value": "web-1"},
    "state": "TASK_RUNNING",
    "message": "started",
    "source": "SOURCE_EXECUTOR",
    "reason": "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
    "data": b64(b"payload"),
    "agent_id": {"value": AGENT_ID},
    "executor_id": {"value": "web-1"},
    "timestamp": 1700000000.25,
    "uuid": b64(STATUS_UUID),
    "healthy": True,
    "labels": {"labels": [{"key": "tier", "value": "front"}]},
    "container_status": {
        "container_id": {"value": "c-child", "parent": {"value": "c-parent"}},
        "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": "127.0.0.1"}]}],
        "executor_pid": 4242,
    },
}

UPDATE: dict[str, Any] = {"type": "UPDATE", "update": {"status": TASK_STATUS}}

UPDATE_OPERATION_STATUS: dict[str, Any] = {
    "type": "UPDATE_OPERATION_STATUS",
    "update_operation_status": {
        "status": {
            "operation_id": {"value": "reserve-1"},
            "state": "OPERATION_FINISHED",
            "converted_resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}, "reservations": []}
            ],
            "uuid": {"value": b64(STATUS_UUID)},
            "agent_id": {"value": AGENT_ID},
        }
    },
}

SCHEDULER_EVENTS: dict[str, dict[str, Any]] = {
    "SUBSCRIBED": SUBSCRIBED,
    "OFFERS": OFFERS,
    "INVERSE_OFFERS": INVERSE_OFFERS,
    "RESCIND": {"type": "RESCIND", "rescind": {"offer_id": {"value": "o-1"}}},
    "RESCIND_INVERSE_OFFER": {
        "type": "RESCIND_INVERSE_OFFER",
        "rescind_inverse_offer": {"inverse_offer_id": {"value": "io-1"}},
    },
    "UPDATE": UPDATE,
    "UPDATE_OPERATION_STATUS": UPDATE_OPERATION_STATUS,
    "MESSAGE": {
        "type": "MESSAGE",
        "message": {
            "agent_id": {"value": AGENT_ID},
            "executor_id": {"value": "exec-1"},
            "data": b64(b"\x00\x01hi"),
        },
    },
    "FAILURE": {
        "type": "FAILURE",
        "failure": {"agent_id": {"value": AGENT_ID}, "executor_id": {"value": "e"}, "status": 9},
    },
    "ERROR": {"type": "ERROR", "error": {"message": "Framework failed over"}},
    "HEARTBEAT": {"type": "HEARTBEAT"},
}

TASK_INFO: dict[str, Any] = {
    "name": "web",
    "task_id": {"value": "web-1"},
    "agent_id": {"value": AGENT_ID},
    "resources": [
        {
            "name": "cpus",
            "type": "SCALAR",
            "scalar": {"value": 0.5},
            "allocation_info": {"role": "*"},
        }
    ],
    "command": {
        "uris": [{"value": "http://127.0.0.1/app.tgz", "extract": True}],
        "environment": {"variables": [{"name": "PORT", "type": "VALUE", "value": "31000"}]},
        "value": "./serve",
    },
    "kill_policy": {"grace_period": {"nanoseconds": 5000000000}},
    "data": b64(b"task-data"),
    "labels": {"labels": [{"key": "app", "value": "web"}]},
    "container": {"type": "MESOS", "mesos": {"image": {"type": "DOCKER"}}},
    "limits": {"cpus": {"value": 1.0}},
}

EXECUTOR_INFO: dict[str, Any] = {
    "type": "CUSTOM",
    "executor_id": {"value": "web-1"},
    "framework_id": {"value": FRAMEWORK_ID},
    "command": {"value": "python -m frameworkkit.executor", "shell": True},
    "name": "Command Executor (Task: web-1)",
}

EXECUTOR_EVENTS: dict[str, dict[str, Any]] = {
    "SUBSCRIBED": {
        "type": "SUBSCRIBED",
        "subscribed": {
            "executor_info": EXECUTOR_INFO,
            "framework_info": {
                "user": "root",
                "name": "crunch",
                "id": {"value": FRAMEWORK_ID},
                "failover_timeout": 604800.0,
                "checkpoint": True,
                "roles": ["batch"],
                "capabilities": [{"type": "MULTI_ROLE"}],
            },
            "agent_info": {
                "hostname": "localhost",
                "port": 5051,
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}}],
                "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}],
                "id": {"value": AGENT_ID},
            },
            "container_id": {"value": "9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f"},
        },
    },
    "LAUNCH": {"type": "LAUNCH", "launch": {"task": TASK_INFO}},
    "LAUNCH_GROUP": {
        "type": "LAUNCH_GROUP",
        "launch_group": {"task_group": {"tasks": [TASK_INFO, {**TASK_INFO, "name": "side"}]}},
    },
    "KILL": {
        "type": "KILL",
        "kill": {
            "task_id": {"value": "web-1"},
            "kill_policy": {"grace_period": {"nanoseconds": 3000000000}},
        },
    },
    "ACKNOWLEDGED": {
        "type": "ACKNOWLEDGED",
        "acknowledged": {"task_id": {"value": "web-1"}, "uuid": b64(STATUS_UUID)},
    },
    "MESSAGE": {"type": "MESSAGE", "message": {"data": b64(b"ping")}},
    "ERROR": {"type": "ERROR", "error": {"message": "bad call"}},
    "SHUTDOWN": {"type": "SHUTDOWN"},
    "HEARTBEAT": {"type": "HEARTBEAT"},
}
