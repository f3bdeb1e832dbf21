from __future__ import annotations

import copy
import gc
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit._collector import CollectorPaused
from frameworkkit.protocol import messages
from frameworkkit.protocol.codec import (
    EXCERPT_BYTES,
    DecodeError,
    decode_executor_event,
    decode_scheduler_event,
    encode_call,
)
from frameworkkit.protocol.events import ExecutorEvent, Failure, SchedulerEvent
from frameworkkit.protocol.recordio import RecordIODecoder, encode_record
from tests.unit.protocol import events_json as ev
from tests.unit.protocol.events_json import frame


def resource_matches(decoded: messages.Resource, source: dict[str, Any]) -> None:
    assert decoded.name == source["name"]
    assert decoded.type == source["type"]
    if "scalar" in source:
        assert decoded.scalar is not None
        assert decoded.scalar.value == source["scalar"]["value"]
    if "ranges" in source:
        assert decoded.ranges is not None
        pairs = [(r.begin, r.end) for r in decoded.ranges.range]
        assert pairs == [(r["begin"], r["end"]) for r in source["ranges"]["range"]]
    if "set" in source:
        assert decoded.set is not None
        assert decoded.set.item == source["set"]["item"]
    assert (decoded.allocation_info and decoded.allocation_info.role) == (
        source.get("allocation_info", {}).get("role")
    )
    assert [(r.type, r.role, r.principal) for r in decoded.reservations] == [
        (r.get("type"), r.get("role"), r.get("principal")) for r in source.get("reservations", [])
    ]


def offer_matches(decoded: messages.Offer, source: dict[str, Any]) -> None:
    assert decoded.id.value == source["id"]["value"]
    assert decoded.framework_id.value == source["framework_id"]["value"]
    assert decoded.agent_id.value == source["agent_id"]["value"]
    assert decoded.hostname == source["hostname"]
    assert len(decoded.resources) == len(source["resources"])
    for resource, source_resource in zip(decoded.resources, source["resources"], strict=True):
        resource_matches(resource, source_resource)
    assert [(a.name, a.type) for a in decoded.attributes] == [
        (a["name"], a["type"]) for a in source.get("attributes", [])
    ]
    assert [e.value for e in decoded.executor_ids] == [
        e["value"] for e in source.get("executor_ids", [])
    ]


# Scheduler events


def test_subscribed_from_mesos_1_11() -> None:
    event = decode_scheduler_event(frame(ev.SUBSCRIBED))

    assert event.type == "SUBSCRIBED"
    assert event.subscribed is not None
    assert event.subscribed.framework_id.value == ev.FRAMEWORK_ID
    assert event.subscribed.heartbeat_interval_seconds == 15.0
    master = event.subscribed.master_info
    assert master is not None
    assert (master.ip, master.port, master.pid, master.version) == (
        16777343,
        5050,
        "master@127.0.0.1:5050",
        "1.11.0",
    )
    assert master.address == messages.Address(port=5050, hostname="localhost", ip="127.0.0.1")


def test_offers_decode_into_the_typed_offer_model() -> None:
    event = decode_scheduler_event(frame(ev.OFFERS))

    assert event.offers is not None
    offers = event.offers.offers
    assert all(isinstance(offer, messages.Offer) for offer in offers)
    for decoded, source in zip(offers, ev.OFFERS["offers"]["offers"], strict=True):
        offer_matches(decoded, source)
    first = offers[0]
    volume = first.resources[4]
    assert volume.disk is not None and volume.disk.persistence is not None
    assert volume.disk.persistence.id == "pg-data"
    labels = first.resources[3].reservations[0].labels
    assert labels == messages.Labels([messages.Label("owner", "etl")])
    assert first.attributes[0].text == messages.Text("r1")
    assert first.attributes[3].set == messages.ValueSet(["k80", "p100"])
    assert first.domain is not None and first.domain.fault_domain is not None
    assert first.domain.fault_domain.zone.name == "eu-west-1"
    assert offers[1].allocation_info == messages.AllocationInfo("analytics")


names = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)
scalar_resources = st.builds(
    lambda name, value, role: {
        "name": name,
        "type": "SCALAR",
        "scalar": {"value": value},
        "allocation_info": {"role": role},
    },
    names,
    st.floats(0, 1e9, allow_nan=False),
    names,
)
range_resources = st.builds(
    lambda name, bounds: {
        "name": name,
        "type": "RANGES",
        "ranges": {"range": [{"begin": lo, "end": lo + span} for lo, span in bounds]},
    },
    names,
    st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 1000)), max_size=4),
)
reserved_resources = st.builds(
    lambda resource, role, principal: {
        **resource,
        "reservations": [{"type": "DYNAMIC", "role": role, "principal": principal}],
    },
    scalar_resources,
    names,
    names,
)
attributes = st.builds(
    lambda name, text: {"name": name, "type": "TEXT", "text": {"value": text}}, names, st.text()
)
offers = st.fixed_dictionaries(
    {
        "id": st.builds(lambda v: {"value": v}, names),
        "framework_id": st.builds(lambda v: {"value": v}, names),
        "agent_id": st.builds(lambda v: {"value": v}, names),
        "hostname": st.text(min_size=1),
        "resources": st.lists(
            st.one_of(scalar_resources, range_resources, reserved_resources), max_size=8
        ),
        "attributes": st.lists(attributes, max_size=4),
    },
    optional={
        "executor_ids": st.lists(st.builds(lambda v: {"value": v}, names), max_size=2),
        "url": st.just({"scheme": "http", "address": {"port": 5051}}),
        "some_future_field": st.integers(),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.lists(offers, max_size=5))
def test_generated_offers_round_trip_through_a_recordio_stream(
    source_offers: list[dict[str, Any]],
) -> None:
    stream = encode_record(frame({"type": "OFFERS", "offers": {"offers": source_offers}}))
    (received,) = RecordIODecoder().feed(stream)

    event = decode_scheduler_event(received)

    assert event.offers is not None
    assert len(event.offers.offers) == len(source_offers)
    for decoded, source in zip(event.offers.offers, source_offers, strict=True):
        offer_matches(decoded, source)
    assert event.raw_view().offers.offers == source_offers


def test_inverse_offers_are_kept_as_raw_json() -> None:
    event = decode_scheduler_event(frame(ev.INVERSE_OFFERS))

    assert event.inverse_offers is not None
    (raw,) = event.inverse_offers.inverse_offers
    assert isinstance(raw, msgspec.Raw)
    assert msgspec.json.decode(raw) == ev.INVERSE_OFFERS["inverse_offers"]["inverse_offers"][0]


def test_update_carries_the_full_task_status() -> None:
    event = decode_scheduler_event(frame(ev.UPDATE))

    assert event.update is not None
    status = event.update.status
    assert status.task_id.value == "web-1"
    assert status.state == "TASK_RUNNING"
    assert status.reason == "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
    assert status.source == "SOURCE_EXECUTOR"
    assert status.message == "started"
    assert status.uuid == ev.STATUS_UUID  # base64 in JSON, raw bytes here
    assert status.data == b"payload"
    assert status.healthy is True
    assert status.timestamp == 1700000000.25
    assert status.agent_id == messages.ID(ev.AGENT_ID)
    assert status.executor_id == messages.ID("web-1")
    assert status.labels == messages.Labels([messages.Label("tier", "front")])
    container = status.container_status
    assert container is not None and container.container_id is not None
    assert container.container_id.parent == messages.ContainerID("c-parent")
    assert container.executor_pid == 4242


def test_every_scheduler_event_type_decodes_with_its_body() -> None:
    for event_type, source in ev.SCHEDULER_EVENTS.items():
        event = decode_scheduler_event(frame(source))
        assert event.type == event_type
        body = event_type.lower()
        if body in source:
            assert getattr(event, body) is not None, event_type

    message = decode_scheduler_event(frame(ev.SCHEDULER_EVENTS["MESSAGE"])).message
    assert message is not None and message.data == b"\x00\x01hi"
    failure = decode_scheduler_event(frame(ev.SCHEDULER_EVENTS["FAILURE"])).failure
    assert failure == Failure(messages.ID(ev.AGENT_ID), messages.ID("e"), 9)
    operation = decode_scheduler_event(frame(ev.UPDATE_OPERATION_STATUS)).update_operation_status
    assert operation is not None
    assert operation.status.state == "OPERATION_FINISHED"
    assert operation.status.uuid == messages.UUID(ev.STATUS_UUID)
    assert operation.status.converted_resources[0].name == "cpus"


def test_unknown_fields_are_ignored_at_every_level() -> None:
    source = copy.deepcopy(ev.OFFERS)
    source["new_top_level"] = {"x": 1}
    source["offers"]["new_in_body"] = [1, 2]
    first = source["offers"]["offers"][0]
    first["new_in_offer"] = "yes"
    first["resources"][0]["new_in_resource"] = {"deep": [None]}

    event = decode_scheduler_event(frame(source))

    assert event.offers is not None
    offer_matches(event.offers.offers[0], first)
    assert event.raw_view().offers.offers[0].resources[0].new_in_resource.deep == [None]


def test_an_unknown_event_type_decodes_with_its_type_and_raw_body() -> None:
    source = {"type": "AGENT_DRAINED", "agent_drained": {"agent_id": {"value": "a"}}}

    event = decode_scheduler_event(frame(source))

    assert event.type == "AGENT_DRAINED"
    assert all(getattr(event, name) is None for name in event.__struct_fields__ if name != "type")
    assert event.raw_view().agent_drained.agent_id.value == "a"


def test_an_event_without_type_is_unknown() -> None:
    assert decode_scheduler_event(b"{}").type == "UNKNOWN"
    assert decode_executor_event(b"{}").type == "UNKNOWN"


@pytest.mark.parametrize(
    ("frame_bytes", "detail"),
    [
        (b"not json", "malformed"),
        (b'{"type":"OFFERS","offers":{"offers":[', "truncated"),
        (b"[1,2]", "Expected `object`"),
        (b'{"type":"OFFERS"}', "OFFERS event without 'offers'"),
        (b'{"type":"RESCIND","rescind":{"offer_id":{"value":7}}}', "$.rescind.offer_id.value"),
        (b'{"type":"RESCIND","rescind":{}}', "missing required field `offer_id`"),
        (
            b'{"type":"MESSAGE","message":{"agent_id":{"value":"a"},'
            b'"executor_id":{"value":"e"},"data":"***"}}',
            "base64",
        ),
    ],
)
def test_a_bad_frame_raises_decode_error_with_an_excerpt(frame_bytes: bytes, detail: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_scheduler_event(frame_bytes)
    error = caught.value
    assert isinstance(error, ValueError)
    assert not isinstance(error, msgspec.MsgspecError)
    assert detail.lower() in str(error).lower()
    assert error.excerpt == frame_bytes[:EXCERPT_BYTES]
    assert repr(error.excerpt) in str(error)


def test_the_excerpt_of_a_large_bad_frame_is_short() -> None:
    big = b'{"type":"OFFERS","offers":{"offers":[' + b"{}," * 10_000 + b"]}}"
    with pytest.raises(DecodeError) as caught:
        decode_scheduler_event(big)
    assert len(caught.value.excerpt) == EXCERPT_BYTES
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize("enabled", [True, False])
def test_decoding_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    try:
        with CollectorPaused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
        decode_scheduler_event(frame(ev.SCHEDULER_EVENTS["OFFERS"]))
        assert gc.isenabled() is enabled
        with pytest.raises(DecodeError):
            decode_scheduler_event(b"not json")
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_executor_event_errors_are_decode_errors_too() -> None:
    with pytest.raises(DecodeError, match="executor event"):
        decode_executor_event(b'{"type":"LAUNCH","launch":{"task":{}}}')


def test_typed_events_survive_an_encode_decode_round_trip() -> None:
    for source in ev.SCHEDULER_EVENTS.values():
        event = decode_scheduler_event(frame(source))
        assert decode_scheduler_event(msgspec.json.encode(event)) == event
    for source in ev.EXECUTOR_EVENTS.values():
        executor_event = decode_executor_event(frame(source))
        assert decode_executor_event(msgspec.json.encode(executor_event)) == executor_event


# Executor events


def test_executor_subscribed() -> None:
    event = decode_executor_event(frame(ev.EXECUTOR_EVENTS["SUBSCRIBED"]))

    assert isinstance(event, ExecutorEvent)
    assert event.subscribed is not None
    subscribed = event.subscribed
    assert subscribed.executor_info.executor_id.value == "web-1"
    assert subscribed.executor_info.command is not None
    assert subscribed.framework_info.id == messages.ID(ev.FRAMEWORK_ID)
    assert subscribed.framework_info.roles == ["batch"]
    assert subscribed.framework_info.capabilities == [messages.Capability("MULTI_ROLE")]
    assert subscribed.agent_info.hostname == "localhost"
    assert subscribed.agent_info.attributes[0].name == "rack"
    assert subscribed.container_id == messages.ContainerID("9c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f")


def test_executor_launch_carries_the_task_info() -> None:
    event = decode_executor_event(frame(ev.EXECUTOR_EVENTS["LAUNCH"]))

    assert event.launch is not None
    task = event.launch.task
    assert (task.name, task.task_id.value, task.agent_id.value) == ("web", "web-1", ev.AGENT_ID)
    assert task.command is not None
    assert task.command.value == "./serve"
    assert task.command.uris[0].extract is True
    assert task.command.environment is not None
    assert task.command.environment.variables[0].value == "31000"
    assert task.kill_policy == messages.KillPolicy(messages.TimeInfo(5_000_000_000))
    assert task.data == b"task-data"
    assert task.container == {"type": "MESOS", "mesos": {"image": {"type": "DOCKER"}}}
    assert task.limits == {"cpus": messages.Scalar(1.0)}
    assert task.resources[0].scalar == messages.Scalar(0.5)


def test_every_executor_event_type_decodes() -> None:
    for event_type, source in ev.EXECUTOR_EVENTS.items():
        event = decode_executor_event(frame(source))
        assert event.type == event_type
        body = event_type.lower()
        if body in source:
            assert getattr(event, body) is not None, event_type

    group = decode_executor_event(frame(ev.EXECUTOR_EVENTS["LAUNCH_GROUP"])).launch_group
    assert group is not None and [t.name for t in group.task_group.tasks] == ["web", "side"]
    kill = decode_executor_event(frame(ev.EXECUTOR_EVENTS["KILL"])).kill
    assert kill is not None and kill.kill_policy is not None
    assert kill.kill_policy.grace_period == messages.TimeInfo(3_000_000_000)
    acknowledged = decode_executor_event(frame(ev.EXECUTOR_EVENTS["ACKNOWLEDGED"])).acknowledged
    assert acknowledged is not None and acknowledged.uuid == ev.STATUS_UUID
    message = decode_executor_event(frame(ev.EXECUTOR_EVENTS["MESSAGE"])).message
    assert message is not None and message.data == b"ping"


def test_an_unknown_executor_event_type_decodes() -> None:
    event = decode_executor_event(b'{"type":"PAUSE","pause":{"seconds":3}}')
    assert event.type == "PAUSE"
    assert event.raw_view().pause.seconds == 3


# Calls


def test_encode_call_writes_compact_json() -> None:
    call = {"type": "TEARDOWN", "framework_id": {"value": "f"}}
    encoded = encode_call(call)
    assert json.loads(encoded) == call
    assert b" " not in encoded


def test_encode_call_accepts_a_struct() -> None:
    class Teardown(msgspec.Struct):
        type: str
        framework_id: messages.ID

    assert json.loads(encode_call(Teardown("TEARDOWN", messages.ID("f")))) == {
        "type": "TEARDOWN",
        "framework_id": {"value": "f"},
    }


def test_encode_call_refuses_what_is_not_a_call() -> None:
    with pytest.raises(TypeError, match=r"mapping or a msgspec\.Struct"):
        encode_call(["TEARDOWN"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"call\.type"):
        encode_call({"framework_id": {"value": "f"}})
    with pytest.raises(TypeError, match="KILL call holds a value JSON cannot carry"):
        encode_call({"type": "KILL", "kill": {"task_id": object()}})


def test_an_event_built_in_code_encodes_itself_as_raw() -> None:
    event = SchedulerEvent(type="HEARTBEAT")
    assert json.loads(event.raw) == {"type": "HEARTBEAT"}
    assert decode_scheduler_event(event.raw) == event
