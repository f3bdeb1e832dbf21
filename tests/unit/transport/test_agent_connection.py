"""The executor's blocking agent connection against a loopback peer standing in for an agent."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.transport import (
    AgentConnection,
    ConnectionFailed,
    EndReason,
    RequestRejected,
    SubscriptionEnded,
    TemporarilyUnavailable,
    executor_endpoint,
)

from .loopback_peer import (
    LAST_CHUNK,
    Request,
    chunk,
    chunked_head,
    closed_port,
    loopback_peer,
    record_chunk,
    response,
)

pytestmark = pytest.mark.timeout(30)

EXECUTOR_SUBSCRIBE = json.dumps(
    {
        "type": "SUBSCRIBE",
        "executor_id": {"value": "ex-1"},
        "framework_id": {"value": "fw-1"},
        "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []},
    }
).encode()
EXECUTOR_MESSAGE = json.dumps({"type": "MESSAGE", "message": {"data": "aGk="}}).encode()
SUBSCRIBED = json.dumps({"type": "SUBSCRIBED", "subscribed": {}}).encode()
HEARTBEAT = json.dumps({"type": "HEARTBEAT"}).encode()


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
    assert urlsplit(endpoint).path == f"/slave({number})/api/v1/executor"


@pytest.mark.parametrize(
    "pid", ["127.0.0.1:5051", "slave(1)@", "slave(1)@127.0.0.1", "@127.0.0.1:5051", "slave(1)@h:x"]
)
def test_bad_slave_pid_names_the_argument(pid: str) -> None:
    with pytest.raises(ValueError, match="slave_pid"):
        executor_endpoint(pid)


def test_from_environment_needs_the_slave_pid() -> None:
    with pytest.raises(ValueError, match="MESOS_SLAVE_PID"):
        AgentConnection.from_environment({})


def agent_answer(request: Request, sock: socket.socket) -> bool:
    """An agent: SUBSCRIBE gets a stream (SUBSCRIBED, a heartbeat, then the end), calls 202."""
    if json.loads(request.body)["type"] == "SUBSCRIBE":
        sock.sendall(chunked_head() + record_chunk(SUBSCRIBED) + record_chunk(HEARTBEAT))
        sock.sendall(LAST_CHUNK)
    else:
        sock.sendall(response(202))
    return True


def test_subscribe_and_calls_reach_the_agent_process_with_the_token() -> None:
    with loopback_peer(agent_answer) as agent:
        environ = {
            "MESOS_SLAVE_PID": f"slave(3)@127.0.0.1:{agent.port}",
            "MESOS_EXECUTOR_AUTHENTICATION_TOKEN": "tok-123",
        }
        connection = AgentConnection.from_environment(environ)
        stream = connection.subscribe(EXECUTOR_SUBSCRIBE)
        frames = iter(stream)
        assert next(frames) == SUBSCRIBED
        assert next(frames) == HEARTBEAT
        assert connection.call(EXECUTOR_MESSAGE) == b""
        with pytest.raises(SubscriptionEnded) as ended:
            next(frames)
        connection.close()
    assert ended.value.reason is EndReason.CLOSED_BY_PEER
    assert "tok-123" not in repr(connection)
    assert [json.loads(r.body)["type"] for r in agent.requests] == ["SUBSCRIBE", "MESSAGE"]
    for request in agent.requests:
        assert request.target == "/slave(3)/api/v1/executor"
        assert request.headers["authorization"] == "Bearer tok-123"
        assert request.headers["content-type"] == "application/json"
        assert "mesos-stream-id" not in request.headers


@pytest.mark.parametrize(
    ("raw", "error", "match"),
    [
        (response(503, b"agent recovering"), TemporarilyUnavailable, "agent recovering"),
        (response(400, b"Failed to validate"), RequestRejected, "HTTP 400.*Failed to validate"),
    ],
)
def test_refusals_are_typed(raw: bytes, error: type[Exception], match: str) -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(raw)
        return True

    with loopback_peer(answer) as agent:
        connection = AgentConnection(f"{agent.origin}/slave(1)/api/v1/executor")
        with pytest.raises(error, match=match):
            connection.subscribe(EXECUTOR_SUBSCRIBE)
        with pytest.raises(error, match=match):
            connection.call(EXECUTOR_MESSAGE)


def test_an_unreachable_agent_is_a_connection_failure() -> None:
    connection = AgentConnection(f"http://127.0.0.1:{closed_port()}/slave(1)/api/v1/executor")
    with pytest.raises(ConnectionFailed, match="cannot reach"):
        connection.call(EXECUTOR_MESSAGE)


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (chunk(b"40\n{"), EndReason.CUT_MID_FRAME),
        (b"", EndReason.CONNECTION_LOST),
        (chunk(b"99999999999\n"), EndReason.BAD_FRAME),
    ],
)
def test_how_a_stream_ends_is_typed(tail: bytes, reason: EndReason) -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + record_chunk(SUBSCRIBED) + tail)
        return False  # then close

    with loopback_peer(answer) as agent:
        connection = AgentConnection(f"{agent.origin}/slave(1)/api/v1/executor")
        frames = iter(connection.subscribe(EXECUTOR_SUBSCRIBE))
        assert next(frames) == SUBSCRIBED
        with pytest.raises(SubscriptionEnded) as ended:
            next(frames)
    assert ended.value.reason is reason


def test_no_first_frame_in_time_ends_the_stream() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head())
        time.sleep(5)
        return False

    with loopback_peer(answer) as agent:
        connection = AgentConnection(
            f"{agent.origin}/slave(1)/api/v1/executor", request_timeout=0.2
        )
        with pytest.raises(SubscriptionEnded, match="no first frame") as ended:
            next(iter(connection.subscribe(EXECUTOR_SUBSCRIBE)))
    assert ended.value.reason is EndReason.HEARTBEAT_MISSED


def test_a_stream_closed_from_another_thread_just_stops() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + record_chunk(SUBSCRIBED))
        time.sleep(10)
        return False

    with loopback_peer(answer) as agent:
        stream = AgentConnection(f"{agent.origin}/slave(1)/api/v1/executor").subscribe(
            EXECUTOR_SUBSCRIBE
        )
        frames = iter(stream)
        assert next(frames) == SUBSCRIBED  # after it, reads wait as long as it takes
        threading.Timer(0.1, stream.close).start()
        assert list(frames) == []


def test_bad_endpoint_and_token_are_refused() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        AgentConnection("127.0.0.1:5051")
    with pytest.raises(ValueError, match="endpoint"):
        AgentConnection("http://127.0.0.1:5051")
    endpoint = executor_endpoint("slave(1)@127.0.0.1:5051")
    with pytest.raises(TypeError, match="auth_token"):
        AgentConnection(endpoint, auth_token="plain")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="request_timeout"):
        AgentConnection(endpoint, request_timeout=0)
    with pytest.raises(TypeError, match="body"):
        AgentConnection(endpoint).call("text")  # type: ignore[arg-type]
