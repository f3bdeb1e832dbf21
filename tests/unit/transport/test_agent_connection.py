from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.transport import (
    AgentConnection,
    BackoffPolicy,
    EndReason,
    SubscriptionEnded,
    TransportOptions,
    executor_endpoint,
)

from .conftest import SleepRecorder
from .fake_master import FakeMaster, event, framed, stream

AGENT_PID = "slave(1)@127.0.0.1:5051"
EXECUTOR_SUBSCRIBE = json.dumps(
    {
        "type": "SUBSCRIBE",
        "executor_id": {"value": "ex-1"},
        "framework_id": {"value": "fw-1"},
        "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []},
    }
).encode()
EXECUTOR_MESSAGE = json.dumps({"type": "MESSAGE", "message": {"data": "aGk="}}).encode()
EXECUTOR_SUBSCRIBED = event("SUBSCRIBED", subscribed={"executor_info": {}, "framework_info": {}})


@given(
    number=st.integers(min_value=1, max_value=10_000),
    octets=st.tuples(*[st.integers(min_value=0, max_value=255)] * 3),
    port=st.integers(min_value=1, max_value=65535),
)
def test_endpoint_comes_from_the_slave_pid(
    number: int, octets: tuple[int, int, int], port: int
) -> None:
    address = "127." + ".".join(map(str, octets)) + f":{port}"
    endpoint = executor_endpoint(f"slave({number})@{address}")
    assert endpoint == f"http://{address}/slave({number})/api/v1/executor"
    assert httpx.URL(endpoint).path == f"/slave({number})/api/v1/executor"


@pytest.mark.parametrize(
    "pid", ["127.0.0.1:5051", "slave(1)@", "slave(1)@127.0.0.1", "@127.0.0.1:5051", "slave(1)@h:x"]
)
def test_bad_slave_pid_names_the_argument(pid: str) -> None:
    with pytest.raises(ValueError, match="slave_pid"):
        executor_endpoint(pid)


def test_from_environment_needs_the_slave_pid() -> None:
    with pytest.raises(ValueError, match="MESOS_SLAVE_PID"):
        AgentConnection.from_environment({})


async def test_subscribe_and_calls_reach_the_agent_process_without_stream_id(
    backoff_policy: BackoffPolicy,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["type"] == "SUBSCRIBE":
            return stream([framed(EXECUTOR_SUBSCRIBED)], stream_id=None)
        return httpx.Response(202)

    agent = FakeMaster(handler)
    environ = {"MESOS_SLAVE_PID": AGENT_PID, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN": "tok-123"}
    options = TransportOptions(backoff=backoff_policy)
    conn = AgentConnection.from_environment(environ, options=options, transport=agent)
    async with conn, await conn.subscribe(EXECUTOR_SUBSCRIBE) as subscription:
        assert await anext(subscription) == EXECUTOR_SUBSCRIBED
        assert subscription.stream_id is None
        await conn.call(EXECUTOR_MESSAGE)
    assert "tok-123" not in repr(conn)
    for request in agent.requests:
        assert str(request.url) == "http://127.0.0.1:5051/slave(1)/api/v1/executor"
        assert "Mesos-Stream-Id" not in request.headers
        assert request.headers["Authorization"] == "Bearer tok-123"
        assert request.headers["Content-Type"] == "application/json"


async def test_restarting_agent_is_retried_and_a_cut_stream_is_typed(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    answers = iter([httpx.Response(503)])

    def handler(request: httpx.Request) -> httpx.Response:
        cut = framed(EXECUTOR_SUBSCRIBED) + b"40\n{"
        return next(answers, None) or stream([cut], then="break", stream_id=None)

    endpoint = executor_endpoint(AGENT_PID)
    options = TransportOptions(backoff=backoff_policy)
    async with AgentConnection(endpoint, options=options, transport=FakeMaster(handler)) as conn:
        subscription = await conn.subscribe(EXECUTOR_SUBSCRIBE)
        assert await anext(subscription) == EXECUTOR_SUBSCRIBED
        with pytest.raises(SubscriptionEnded) as caught:
            await anext(subscription)
    assert caught.value.reason is EndReason.CUT_MID_FRAME
    assert len(sleeps.delays) == 1


def test_bad_endpoint_and_token_are_refused() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        AgentConnection("127.0.0.1:5051")
    with pytest.raises(TypeError, match="auth_token"):
        AgentConnection(executor_endpoint(AGENT_PID), auth_token="plain")  # type: ignore[arg-type]
