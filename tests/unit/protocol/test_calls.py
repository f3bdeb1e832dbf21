from __future__ import annotations

import base64
import json
import math
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.protocol import calls, infos, messages, offer_constraints, operations, resources
from frameworkkit.protocol.codec import decode_scheduler_event, encode_call
from tests.unit.protocol import events_json as ev
from tests.unit.protocol.proto_schema import ENUMS, SchemaError, check_message

FID = "f-1"
UUID_BYTES = uuid.UUID("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a").bytes
INFO = infos.framework_info(
    "root",
    "crunch",
    framework_id=FID,
    roles=["batch", "analytics"],
    capabilities=["MULTI_ROLE"],
    failover_timeout=604800.0,
)


def check_call(call: dict[str, Any]) -> dict[str, Any]:
    """The call is valid ``scheduler.Call`` JSON with the body its type names, and encodes."""
    check_message("scheduler.Call", call)
    bodies = set(call) - {"type", "framework_id"}
    assert bodies <= {call["type"].lower()}, bodies
    assert json.loads(encode_call(call)) == call
    return call


def body(call: dict[str, Any]) -> Any:
    return check_call(call)[call["type"].lower()]


EVERY_CALL: dict[str, Callable[[], dict[str, Any]]] = {
    "SUBSCRIBE": lambda: calls.subscribe(INFO),
    "TEARDOWN": lambda: calls.teardown(FID),
    "ACCEPT": lambda: calls.accept(FID, ["o-1"], [], refuse_seconds=1.0),
    "DECLINE": lambda: calls.decline(FID, ["o-1"]),
    "ACCEPT_INVERSE_OFFERS": lambda: calls.accept_inverse_offers(FID, ["io-1"]),
    "DECLINE_INVERSE_OFFERS": lambda: calls.decline_inverse_offers(FID, ["io-1"]),
    "REVIVE": lambda: calls.revive(FID),
    "KILL": lambda: calls.kill(FID, "t-1"),
    "SHUTDOWN": lambda: calls.shutdown(FID, "e-1", "a-1"),
    "ACKNOWLEDGE": lambda: calls.acknowledge(FID, "a-1", "t-1", UUID_BYTES),
    "ACKNOWLEDGE_OPERATION_STATUS": lambda: calls.acknowledge_operation_status(
        FID, "a-1", "op-1", UUID_BYTES
    ),
    "RECONCILE": lambda: calls.reconcile(FID),
    "RECONCILE_OPERATIONS": lambda: calls.reconcile_operations(FID),
    "MESSAGE": lambda: calls.message(FID, "a-1", "e-1", b"hi"),
    "REQUEST": lambda: calls.request(FID, []),
    "SUPPRESS": lambda: calls.suppress(FID),
    "UPDATE_FRAMEWORK": lambda: calls.update_framework(INFO),
}


def test_there_is_a_builder_for_every_mesos_1_11_scheduler_call() -> None:
    assert set(EVERY_CALL) == ENUMS["scheduler.Call.Type"] - {"UNKNOWN"}


@pytest.mark.parametrize("call_type", sorted(EVERY_CALL))
def test_every_call_is_valid_scheduler_call_json(call_type: str) -> None:
    call = check_call(EVERY_CALL[call_type]())
    assert call["type"] == call_type
    if call_type != "SUBSCRIBE":
        assert call["framework_id"] == {"value": FID}


def test_the_schema_checker_refuses_what_mesos_would() -> None:
    with pytest.raises(SchemaError, match="no field 'bogus'"):
        check_message("scheduler.Call", {"type": "TEARDOWN", "bogus": 1})
    with pytest.raises(SchemaError, match="lacks required"):
        check_message("scheduler.Call.Kill", {})
    with pytest.raises(SchemaError, match=r"not a scheduler\.Call\.Type"):
        check_message("scheduler.Call", {"type": "TEAR_DOWN"})
    with pytest.raises(SchemaError, match="base64"):
        check_message(
            "scheduler.Call.Message",
            {"agent_id": {"value": "a"}, "executor_id": {"value": "e"}, "data": "%%"},
        )


# SUBSCRIBE / UPDATE_FRAMEWORK


def test_subscribe_copies_the_framework_id_to_the_call() -> None:
    call = calls.subscribe(INFO, suppressed_roles=["analytics"])

    assert call["framework_id"] == {"value": FID}
    assert body(call) == {"framework_info": INFO, "suppressed_roles": ["analytics"]}


def test_a_first_subscribe_has_no_framework_id() -> None:
    call = calls.subscribe(infos.framework_info("root", "crunch"))
    assert "framework_id" not in check_call(call)


def test_subscribe_takes_offer_constraints() -> None:
    constraints = offer_constraints.offer_constraints(
        {
            "batch": [
                [
                    offer_constraints.attribute_constraint(attribute="rack", equals="r1"),
                    offer_constraints.attribute_constraint(pseudoattribute="ZONE", exists=True),
                ],
                [offer_constraints.attribute_constraint(attribute="ssd", matches="tr.*")],
            ]
        }
    )
    call = calls.subscribe(INFO, offer_constraints=constraints)
    assert body(call)["offer_constraints"]["role_constraints"]["batch"]["groups"][1] == {
        "attribute_constraints": [
            {
                "selector": {"attribute_name": "ssd"},
                "predicate": {"text_matches": {"regex": "tr.*"}},
            }
        ]
    }


def test_suppressed_roles_must_be_roles_of_the_framework() -> None:
    with pytest.raises(ValueError, match=r"suppressed_roles \['ops'\]"):
        calls.subscribe(INFO, suppressed_roles=["ops"])
    single_role = infos.framework_info("root", "crunch")
    assert body(calls.subscribe(single_role, suppressed_roles=["*"]))["suppressed_roles"] == ["*"]


def test_update_framework_needs_the_framework_id() -> None:
    assert body(calls.update_framework(INFO, suppressed_roles=["batch"]))["framework_info"] == INFO
    with pytest.raises(ValueError, match=r"framework_info\.id"):
        calls.update_framework(infos.framework_info("root", "crunch"))


@pytest.mark.parametrize("missing", ["user", "name"])
def test_subscribe_checks_the_framework_info(missing: str) -> None:
    info = {key: value for key, value in INFO.items() if key != missing}
    with pytest.raises(ValueError, match=f"framework_info.{missing}"):
        calls.subscribe(info)


# Offers


def test_accept_with_every_operation_type_is_valid() -> None:
    cpus = resources.scalar_resource("cpus", 1, allocation_role="batch")
    reserved = resources.scalar_resource(
        "disk",
        512,
        allocation_role="batch",
        reservations=[resources.reservation("batch", principal="ops")],
    )
    volume = resources.scalar_resource(
        "disk",
        512,
        allocation_role="batch",
        reservations=[resources.reservation("batch", principal="ops")],
        disk=resources.persistent_volume_disk("pg", "data", principal="ops"),
    )
    raw_disk = {
        "name": "disk",
        "type": "SCALAR",
        "scalar": {"value": 100.0},
        "disk": {"source": {"type": "RAW", "id": "vol-0", "profile": "fast"}},
    }
    task = infos.task_info("web", "t-1", "a-1", [cpus], command=infos.command_info("sleep 1"))
    group_executor = infos.executor_info("e-1", executor_type="DEFAULT", resources=[cpus])
    group_task = infos.task_info("side", "t-2", "a-1", [cpus], command=infos.command_info("true"))
    steps = [
        operations.launch([task]),
        operations.launch_group(group_executor, [group_task]),
        operations.reserve([reserved], operation_id="op-1"),
        operations.unreserve([reserved]),
        operations.create([volume]),
        operations.destroy([volume]),
        operations.grow_volume(volume, reserved),
        operations.shrink_volume(volume, 128),
        operations.create_disk(raw_disk, "MOUNT", target_profile="fast"),
        operations.destroy_disk(raw_disk),
    ]

    accept = body(calls.accept(FID, ["o-1", "o-2"], steps, refuse_seconds=0))

    sent_types = [step["type"] for step in accept["operations"]]
    assert sorted(sent_types) == sorted(ENUMS["Offer.Operation.Type"] - {"UNKNOWN"})
    assert accept["offer_ids"] == [{"value": "o-1"}, {"value": "o-2"}]
    assert accept["filters"] == {"refuse_seconds": 0.0}


def test_offer_ids_may_be_decoded_ids() -> None:
    event = decode_scheduler_event(ev.frame(ev.OFFERS))
    assert event.offers is not None
    offer_ids = [offer.id for offer in event.offers.offers]
    assert body(calls.decline(FID, offer_ids))["offer_ids"] == [
        {"value": offer.id.value} for offer in event.offers.offers
    ]


def test_offered_resources_can_be_passed_back_as_decoded() -> None:
    event = decode_scheduler_event(ev.frame(ev.OFFERS))
    assert event.offers is not None
    offer = event.offers.offers[0]
    task = infos.task_info(
        "web", "t-1", offer.agent_id, offer.resources[:4], command=infos.command_info("true")
    )
    launch = operations.launch([task])

    sent = body(calls.accept(FID, [offer.id], [launch]))["operations"][0]["launch"]["task_infos"][0]

    assert sent["resources"] == ev.OFFERS["offers"]["offers"][0]["resources"][:4]


@given(refuse=st.floats(allow_nan=False, allow_infinity=False, min_value=0))
def test_refuse_seconds_is_sent_as_filters(refuse: float) -> None:
    assert body(calls.decline(FID, ["o"], refuse_seconds=refuse))["filters"] == {
        "refuse_seconds": refuse
    }


@given(refuse=st.one_of(st.floats(max_value=-1e-9), st.just(math.nan), st.just(math.inf)))
def test_refuse_seconds_must_be_finite_and_not_negative(refuse: float) -> None:
    with pytest.raises(ValueError, match="refuse_seconds"):
        calls.decline(FID, ["o"], refuse_seconds=refuse)
    with pytest.raises(ValueError, match="refuse_seconds"):
        calls.accept(FID, ["o"], [], refuse_seconds=refuse)


def test_decline_without_refuse_seconds_leaves_the_mesos_default() -> None:
    assert "filters" not in body(calls.decline(FID, ["o"]))


# IDs

valid_ids = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="/\\"),
    min_size=1,
    max_size=60,
).filter(lambda value: value not in (".", ".."))


@given(framework_id=valid_ids, task_id=valid_ids)
def test_any_id_mesos_accepts_is_accepted(framework_id: str, task_id: str) -> None:
    call = calls.kill(framework_id, task_id)
    assert call["framework_id"] == {"value": framework_id}
    assert body(call)["task_id"] == {"value": task_id}


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "a\\b", "tab\there", "x" * 256])
def test_ids_mesos_refuses_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(ValueError, match="framework_id"):
        calls.teardown(bad)
    with pytest.raises(ValueError, match="task_id"):
        calls.kill(FID, bad)


def test_ids_must_be_strings() -> None:
    with pytest.raises(TypeError, match="agent_id"):
        calls.shutdown(FID, "e", 7)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="offer_ids"):
        calls.decline(FID, "o-1")  # a str, not a list of IDs


# Other calls


def test_kill_with_agent_and_kill_policy() -> None:
    kill = body(calls.kill(FID, "t", agent_id="a", kill_policy=infos.kill_policy(2.5)))
    assert kill == {
        "task_id": {"value": "t"},
        "agent_id": {"value": "a"},
        "kill_policy": {"grace_period": {"nanoseconds": 2_500_000_000}},
    }


def test_acknowledge_sends_the_uuid_as_base64() -> None:
    event = decode_scheduler_event(ev.frame(ev.UPDATE))
    assert event.update is not None
    status = event.update.status
    assert status.agent_id is not None and status.uuid is not None

    acknowledge = body(calls.acknowledge(FID, status.agent_id, status.task_id, status.uuid))

    assert acknowledge["uuid"] == ev.TASK_STATUS["uuid"]
    assert base64.b64decode(acknowledge["uuid"]) == ev.STATUS_UUID


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (b"\x00" * 15, "16 bytes"),
        (b"\x00" * 16, "version 1 to 5"),
        ("6f1c2b8e-4d3a-4e5f-9a7b-1c2d3e4f5a6b", "bytes"),
    ],
)
def test_acknowledge_refuses_what_is_not_a_uuid(bad: Any, error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=f"uuid.*{error}|uuid must be {error}"):
        calls.acknowledge(FID, "a", "t", bad)
    with pytest.raises((TypeError, ValueError), match="uuid"):
        calls.acknowledge_operation_status(FID, "a", "op", bad)


def test_acknowledge_operation_status_with_a_resource_provider() -> None:
    acknowledge = body(
        calls.acknowledge_operation_status(FID, "a", "op", UUID_BYTES, resource_provider_id="rp")
    )
    assert acknowledge["resource_provider_id"] == {"value": "rp"}
    assert acknowledge["operation_id"] == {"value": "op"}


def test_reconcile_without_tasks_is_implicit() -> None:
    assert body(calls.reconcile(FID)) == {"tasks": []}


def test_reconcile_named_tasks() -> None:
    reconcile = body(calls.reconcile(FID, [("t-1", "a-1"), (messages.ID("t-2"), None)]))
    assert reconcile == {
        "tasks": [
            {"task_id": {"value": "t-1"}, "agent_id": {"value": "a-1"}},
            {"task_id": {"value": "t-2"}},
        ]
    }
    with pytest.raises(TypeError, match=r"tasks\[0\] must be a tuple of 2 items"):
        calls.reconcile(FID, ["t-1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"tasks\[0\].agent_id"):
        calls.reconcile(FID, [("t-1", "")])


def test_reconcile_operations() -> None:
    operations_body = body(calls.reconcile_operations(FID, [("op-1", "a-1"), ("op-2", None, "rp")]))
    assert operations_body == {
        "operations": [
            {"operation_id": {"value": "op-1"}, "agent_id": {"value": "a-1"}},
            {"operation_id": {"value": "op-2"}, "resource_provider_id": {"value": "rp"}},
        ]
    }


@given(data=st.binary(max_size=100))
def test_message_data_is_base64(data: bytes) -> None:
    assert base64.b64decode(body(calls.message(FID, "a", "e", data))["data"]) == data


def test_message_data_must_be_bytes() -> None:
    with pytest.raises(TypeError, match="data"):
        calls.message(FID, "a", "e", "text")  # type: ignore[arg-type]


def test_request_resources() -> None:
    request = body(calls.request(FID, [("a-1", [resources.scalar_resource("cpus", 2)])]))
    assert request == {
        "requests": [
            {
                "agent_id": {"value": "a-1"},
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 2.0}}],
            }
        ]
    }


@pytest.mark.parametrize("builder", [calls.revive, calls.suppress])
def test_revive_and_suppress_take_roles(builder: Callable[..., dict[str, Any]]) -> None:
    assert body(builder(FID, ["batch", "ml/gpu"])) == {"roles": ["batch", "ml/gpu"]}
    assert body(builder(FID)) == {}
    with pytest.raises(ValueError, match=r"roles\[0\]"):
        builder(FID, ["/batch"])
    with pytest.raises(ValueError, match="repeat"):
        builder(FID, ["batch", "batch"])
    with pytest.raises(TypeError, match="roles"):
        builder(FID, "batch")


def test_accept_checks_operations() -> None:
    with pytest.raises(TypeError, match=r"operations\[0\]"):
        calls.accept(FID, ["o"], ["LAUNCH"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"operations\[0\].type: is required"):
        calls.accept(FID, ["o"], [{"launch": {}}])
    with pytest.raises(ValueError, match="offer_ids: must not be empty"):
        calls.accept(FID, [], [])
