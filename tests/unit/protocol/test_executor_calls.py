from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.protocol import executor_calls
from frameworkkit.protocol.codec import decode_executor_event, encode_call
from frameworkkit.states import EXECUTOR_STATES
from tests.unit.protocol import events_json as ev
from tests.unit.protocol.proto_schema import ENUMS, check_message

EID, FID = "web-1", ev.FRAMEWORK_ID


def check_call(call: dict[str, Any]) -> dict[str, Any]:
    """Valid ``executor.Call`` JSON with the body its type names, and it encodes."""
    check_message("executor.Call", call)
    assert set(call) - {"type", "executor_id", "framework_id"} <= {call["type"].lower()}
    assert call["executor_id"] == {"value": EID}
    assert call["framework_id"] == {"value": FID}
    assert json.loads(encode_call(call)) == call
    return call


def running() -> dict[str, Any]:
    return executor_calls.task_status("t-1", "TASK_RUNNING")


EVERY_CALL: dict[str, Callable[[], dict[str, Any]]] = {
    "SUBSCRIBE": lambda: executor_calls.subscribe(EID, FID),
    "UPDATE": lambda: executor_calls.update(EID, FID, running()),
    "MESSAGE": lambda: executor_calls.message(EID, FID, b"ping"),
    "HEARTBEAT": lambda: executor_calls.heartbeat(EID, FID),
}


def test_there_is_a_builder_for_every_mesos_1_11_executor_call() -> None:
    assert set(EVERY_CALL) == ENUMS["executor.Call.Type"] - {"UNKNOWN"}


@pytest.mark.parametrize("call_type", sorted(EVERY_CALL))
def test_every_call_is_valid_executor_call_json(call_type: str) -> None:
    assert check_call(EVERY_CALL[call_type]())["type"] == call_type


def test_a_status_from_the_executor() -> None:
    before = time.time()
    status = executor_calls.task_status(
        "t-1",
        "TASK_FAILED",
        message="exit 3",
        reason="REASON_COMMAND_EXECUTOR_FAILED",
        data=b"\x01",
        healthy=False,
        labels={"exit": "3"},
        executor_id=EID,
    )
    after = time.time()

    check_message("TaskStatus", status)
    assert status["source"] == "SOURCE_EXECUTOR"
    assert uuid.UUID(bytes=base64.b64decode(status["uuid"])).version == 4
    assert before <= status["timestamp"] <= after
    assert status["reason"] == "REASON_COMMAND_EXECUTOR_FAILED"
    assert base64.b64decode(status["data"]) == b"\x01"


def test_each_status_gets_its_own_uuid() -> None:
    assert running()["uuid"] != running()["uuid"]


def test_a_status_can_carry_a_given_uuid_and_timestamp() -> None:
    given_uuid = uuid.uuid4().bytes
    status = executor_calls.task_status("t", "TASK_RUNNING", uuid=given_uuid, timestamp=12.5)
    assert base64.b64decode(status["uuid"]) == given_uuid
    assert status["timestamp"] == 12.5


@given(state=st.sampled_from(EXECUTOR_STATES))
def test_every_state_but_staging_can_be_reported(state: str) -> None:
    status = executor_calls.task_status("t", state)
    check_call(executor_calls.update(EID, FID, status))


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"state": "TASK_STAGING"}, "state"),
        ({"state": "RUNNING"}, "state"),
        ({"task_id": ""}, "task_id"),
        ({"reason": "COMMAND_EXECUTOR_FAILED"}, "reason"),
        ({"uuid": b"short"}, "uuid"),
        ({"timestamp": -1.0}, "timestamp"),
        ({"executor_id": "a/b"}, "executor_id"),
    ],
)
def test_task_status_refuses_bad_values(options: dict[str, Any], field: str) -> None:
    arguments = {"task_id": "t", "state": "TASK_RUNNING", **options}
    with pytest.raises(ValueError, match=field):
        executor_calls.task_status(arguments.pop("task_id"), arguments.pop("state"), **arguments)


def test_update_refuses_a_status_the_agent_would_refuse() -> None:
    status = running()
    with pytest.raises(ValueError, match="source"):
        executor_calls.update(EID, FID, {**status, "source": "SOURCE_AGENT"})
    with pytest.raises(ValueError, match="uuid"):
        executor_calls.update(EID, FID, {k: v for k, v in status.items() if k != "uuid"})
    with pytest.raises(ValueError, match=r"status.state"):
        executor_calls.update(EID, FID, {**status, "state": "TASK_STAGING"})
    with pytest.raises(ValueError, match="executor_id differs"):
        executor_calls.update(EID, FID, {**status, "executor_id": {"value": "other"}})


def test_resubscribe_with_unacknowledged_tasks_and_updates() -> None:
    launch = decode_executor_event(ev.frame(ev.EXECUTOR_EVENTS["LAUNCH"])).launch
    assert launch is not None
    update = executor_calls.task_status("web-1", "TASK_RUNNING", executor_id=EID)

    call = check_call(
        executor_calls.subscribe(
            EID, FID, unacknowledged_tasks=[launch.task], unacknowledged_updates=[update]
        )
    )

    subscribe = call["subscribe"]
    assert subscribe["unacknowledged_tasks"] == [ev.TASK_INFO]  # the decoded task, as received
    assert subscribe["unacknowledged_updates"] == [{"status": update}]


def test_subscribe_checks_unacknowledged_updates() -> None:
    with pytest.raises(ValueError, match=r"unacknowledged_updates\[0\].source"):
        executor_calls.subscribe(EID, FID, unacknowledged_updates=[{**running(), "source": None}])
    with pytest.raises(TypeError, match="unacknowledged_tasks"):
        executor_calls.subscribe(EID, FID, unacknowledged_tasks=ev.TASK_INFO)  # type: ignore[arg-type]


def test_message_data_is_base64_bytes() -> None:
    call = executor_calls.message(EID, FID, b"\xffdata")
    assert base64.b64decode(call["message"]["data"]) == b"\xffdata"
    with pytest.raises(TypeError, match="data"):
        executor_calls.message(EID, FID, "text")  # type: ignore[arg-type]


def test_calls_need_the_executor_and_framework_ids() -> None:
    with pytest.raises(ValueError, match="executor_id"):
        executor_calls.heartbeat("", FID)
    with pytest.raises(ValueError, match="framework_id"):
        executor_calls.heartbeat(EID, "")
