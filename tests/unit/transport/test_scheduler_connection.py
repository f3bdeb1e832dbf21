from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frameworkkit.transport import (
    BackoffPolicy,
    ConnectionFailed,
    EndReason,
    HttpAnswer,
    HttpRequest,
    MesosConnection,
    RedirectLoop,
    RequestRejected,
    RetriesExhausted,
    Secret,
    StaticDetector,
    SubscriptionEnded,
    TemporarilyUnavailable,
    TransportError,
    TransportOptions,
    ZooKeeperDetector,
)
from frameworkkit.transport.http1 import HttpError

from .conftest import SleepRecorder
from .fake_master import (
    HEARTBEAT,
    SUBSCRIBE_CALL,
    SUBSCRIBED,
    FakeMaster,
    ScriptedBody,
    call_type,
    event,
    framed,
    host_of,
    redirect,
    stream,
)
from .test_backoff import TopOfWindow

LEADER = "127.0.0.2:5050"
FOLLOWER = "127.0.0.1:5050"
DECLINE_CALL = json.dumps(
    {"type": "DECLINE", "decline": {"offer_ids": [{"value": "o-1"}]}}
).encode()


def leader_only(*chunks: bytes) -> FakeMaster:
    """A single master that streams `chunks` to SUBSCRIBE and accepts every other call."""

    def handler(request: HttpRequest) -> HttpAnswer:
        if call_type(request) == "SUBSCRIBE":
            return stream(list(chunks))
        return HttpAnswer(202)

    return FakeMaster(handler)


async def test_subscribe_streams_frames_and_only_later_calls_carry_the_stream_id(
    backoff_policy: BackoffPolicy,
) -> None:
    frames = [SUBSCRIBED, HEARTBEAT, event("OFFERS", offers={"offers": []})]
    master = leader_only(framed(*frames))
    options = TransportOptions(backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        assert [await anext(subscription) for _ in frames] == frames
        assert conn.stream_id == subscription.stream_id == "stream-1"
        assert await conn.call(DECLINE_CALL) == b""
    subscribe_request, decline_request = master.requests
    assert "Mesos-Stream-Id" not in subscribe_request.headers
    assert decline_request.headers["Mesos-Stream-Id"] == "stream-1"
    for request in master.requests:
        assert urlsplit(request.url).path == "/api/v1/scheduler"
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Accept"] == "application/json"
        assert "Authorization" not in request.headers
    assert subscribe_request.body == SUBSCRIBE_CALL


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    payloads=st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=12),
)
def test_frames_survive_any_chunking(payloads: list[bytes], cuts: list[int]) -> None:
    wire = framed(*payloads)
    bounds = sorted({0, len(wire), *(cut for cut in cuts if cut < len(wire))})
    chunks = [wire[start:end] for start, end in itertools.pairwise(bounds)]

    async def scenario() -> list[bytes]:
        async with (
            MesosConnection(FOLLOWER, transport=leader_only(*chunks)) as conn,
            await conn.subscribe(SUBSCRIBE_CALL) as subscription,
        ):
            return [await anext(subscription) for _ in payloads]

    assert asyncio.run(scenario()) == payloads


async def test_resubscribe_sends_no_stream_id_and_backs_off_from_the_shortest_delay(
    sleeps: SleepRecorder,
) -> None:
    answers = iter([HttpAnswer(503), HttpAnswer(503)])

    def handler(request: HttpRequest) -> HttpAnswer:
        return next(answers, None) or stream([framed(SUBSCRIBED)], then="end")

    policy = BackoffPolicy(base=0.5, rng=TopOfWindow(), sleep=sleeps)
    master = FakeMaster(handler)
    async with MesosConnection(
        FOLLOWER, options=TransportOptions(backoff=policy), transport=master
    ) as conn:
        first = await conn.subscribe(SUBSCRIBE_CALL)
        assert await anext(first) == SUBSCRIBED
        with pytest.raises(SubscriptionEnded) as ended:
            await anext(first)
        assert ended.value.reason is EndReason.CLOSED_BY_PEER
        second = await conn.subscribe(SUBSCRIBE_CALL)
        await second.aclose()
    assert sleeps.delays == [policy.base, policy.base * 2, policy.base]
    assert all("Mesos-Stream-Id" not in request.headers for request in master.requests)


async def test_307_leads_to_the_leader_and_later_calls_go_there(
    backoff_policy: BackoffPolicy,
) -> None:
    def handler(request: HttpRequest) -> HttpAnswer:
        if host_of(request) == FOLLOWER:
            return redirect(f"//{LEADER}/api/v1/scheduler")
        if call_type(request) == "SUBSCRIBE":
            return stream([framed(SUBSCRIBED)])
        return HttpAnswer(202)

    master = FakeMaster(handler)
    options = TransportOptions(backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        assert await anext(subscription) == SUBSCRIBED
        assert conn.master == f"http://{LEADER}"
        await conn.call(DECLINE_CALL)
    assert master.hosts() == [FOLLOWER, LEADER, LEADER]
    assert [urlsplit(request.url).scheme for request in master.requests] == ["http"] * 3
    assert master.requests[1].body == SUBSCRIBE_CALL


async def test_307_loop_is_bounded_and_retried_through_the_backoff(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    def handler(request: HttpRequest) -> HttpAnswer:
        other = LEADER if host_of(request) == FOLLOWER else FOLLOWER
        return redirect(f"//{other}/api/v1/scheduler")

    master = FakeMaster(handler)
    attempts, redirects = 4, 3
    options = TransportOptions(
        backoff=backoff_policy, max_redirects=redirects, subscribe_attempts=attempts
    )
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        with pytest.raises(RetriesExhausted) as caught:
            await conn.subscribe(SUBSCRIBE_CALL)
    assert isinstance(caught.value.last_error, RedirectLoop)
    assert len(caught.value.last_error.chain) == redirects + 2
    assert len(master.requests) == attempts * (redirects + 1)
    assert len(sleeps.delays) == attempts - 1


async def test_307_loop_ends_once_a_leader_answers(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    loops_left = {"count": 6}

    def handler(request: HttpRequest) -> HttpAnswer:
        if loops_left["count"] > 0:
            loops_left["count"] -= 1
            other = LEADER if host_of(request) == FOLLOWER else FOLLOWER
            return redirect(f"//{other}/api/v1/scheduler")
        return stream([framed(SUBSCRIBED)])

    options = TransportOptions(backoff=backoff_policy, max_redirects=2)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=FakeMaster(handler)) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        assert await anext(subscription) == SUBSCRIBED
    assert len(sleeps.delays) == 2


async def test_503_storm_backs_off_with_growing_capped_delays(sleeps: SleepRecorder) -> None:
    storm = 9
    answers = iter([HttpAnswer(503, content=b"no leader yet")] * storm)

    def handler(request: HttpRequest) -> HttpAnswer:
        return next(answers, None) or stream([framed(SUBSCRIBED)])

    policy = BackoffPolicy(base=0.5, cap=15.0, rng=TopOfWindow(), sleep=sleeps)
    async with (
        MesosConnection(
            FOLLOWER, options=TransportOptions(backoff=policy), transport=FakeMaster(handler)
        ) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        assert await anext(subscription) == SUBSCRIBED
    expected = [min(policy.cap, policy.base * 2**n) for n in range(storm)]
    assert sleeps.delays == expected
    assert max(sleeps.delays) == policy.cap


async def test_503_storm_gives_up_after_the_allowed_attempts(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    master = FakeMaster(lambda request: HttpAnswer(503, content=b"no leader yet"))
    options = TransportOptions(backoff=backoff_policy, subscribe_attempts=5)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        with pytest.raises(RetriesExhausted) as caught:
            await conn.subscribe(SUBSCRIBE_CALL)
    assert isinstance(caught.value.last_error, TemporarilyUnavailable)
    assert "no leader yet" in str(caught.value)
    assert len(master.requests) == 5
    assert len(sleeps.delays) == 4


async def test_failing_masters_rotate_through_the_list(backoff_policy: BackoffPolicy) -> None:
    down = "127.0.0.3:5050"

    def handler(request: HttpRequest) -> HttpAnswer:
        if host_of(request) == down:
            raise HttpError("connection refused")
        if host_of(request) == FOLLOWER:
            return HttpAnswer(503)
        return stream([framed(SUBSCRIBED)])

    master = FakeMaster(handler)
    options = TransportOptions(backoff=backoff_policy)
    masters = [down, FOLLOWER, LEADER]
    async with (
        MesosConnection(masters, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL),
    ):
        assert conn.master == f"http://{LEADER}"
    assert master.hosts() == masters


class FrozenFirst(FakeMaster):
    """``frozen`` accepts connections and never answers; the other master streams."""

    def __init__(self, frozen: str) -> None:
        super().__init__(lambda request: stream([framed(SUBSCRIBED)], then="hang"))
        self.frozen = frozen

    async def handle(self, request: HttpRequest) -> HttpAnswer:
        if host_of(request) == self.frozen:
            self.requests.append(request)
            await asyncio.Event().wait()
        return await super().handle(request)


async def test_a_master_that_never_answers_subscribe_is_given_up_and_the_next_one_tried(
    backoff_policy: BackoffPolicy,
) -> None:
    master = FrozenFirst(FOLLOWER)
    options = TransportOptions(backoff=backoff_policy, request_timeout=0.2)
    async with (
        MesosConnection([FOLLOWER, LEADER], options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL),
    ):
        assert conn.master == f"http://{LEADER}"
    assert master.hosts() == [FOLLOWER, LEADER]


async def test_after_missed_heartbeats_the_next_subscribe_tries_another_master(
    backoff_policy: BackoffPolicy,
) -> None:
    master = FakeMaster(lambda request: stream([framed(SUBSCRIBED)], then="hang"))
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection([FOLLOWER, LEADER], options=options, transport=master) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        assert await anext(subscription) == SUBSCRIBED
        subscription.set_heartbeat_interval(0.01)
        with pytest.raises(SubscriptionEnded):
            await anext(subscription)
        async with await conn.subscribe(SUBSCRIBE_CALL):
            assert conn.master == f"http://{LEADER}"
    assert master.hosts() == [FOLLOWER, LEADER]


async def test_unreachable_master_exhausts_into_connection_failed(
    backoff_policy: BackoffPolicy,
) -> None:
    def refuse(request: HttpRequest) -> HttpAnswer:
        raise HttpError("connection refused")

    options = TransportOptions(backoff=backoff_policy, subscribe_attempts=2)
    async with MesosConnection(FOLLOWER, options=options, transport=FakeMaster(refuse)) as conn:
        with pytest.raises(RetriesExhausted) as caught:
            await conn.subscribe(SUBSCRIBE_CALL)
    assert isinstance(caught.value.last_error, ConnectionFailed)
    assert FOLLOWER in str(caught.value)


async def test_client_errors_raise_at_once_with_status_and_body(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    complaint = "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"
    master = FakeMaster(lambda request: HttpAnswer(400, content=complaint.encode()))
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        with pytest.raises(RequestRejected) as caught:
            await conn.subscribe(SUBSCRIBE_CALL)
    assert caught.value.status == 400
    assert complaint in str(caught.value)
    assert "400" in str(caught.value)
    assert len(master.requests) == 1
    assert sleeps.delays == []


async def test_subscribe_answer_without_stream_id_is_rejected(
    backoff_policy: BackoffPolicy,
) -> None:
    master = FakeMaster(lambda request: stream([framed(SUBSCRIBED)], stream_id=None))
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        with pytest.raises(RequestRejected, match="Mesos-Stream-Id"):
            await conn.subscribe(SUBSCRIBE_CALL)


@pytest.mark.parametrize(
    ("tail", "then", "reason"),
    [
        (b'120\n{"type":"OFF', "end", EndReason.CUT_MID_FRAME),
        (b"12", "end", EndReason.CUT_MID_FRAME),
        (b'120\n{"type":"OFF', "break", EndReason.CUT_MID_FRAME),
        (b"", "break", EndReason.CONNECTION_LOST),
        (b"", "end", EndReason.CLOSED_BY_PEER),
        (b"12x\n", "hang", EndReason.BAD_FRAME),
    ],
)
async def test_stream_end_is_typed(
    tail: bytes, then: str, reason: EndReason, backoff_policy: BackoffPolicy
) -> None:
    chunks = [framed(SUBSCRIBED, HEARTBEAT), tail] if tail else [framed(SUBSCRIBED, HEARTBEAT)]
    body = ScriptedBody(chunks, then=then)  # type: ignore[arg-type]
    master = FakeMaster(lambda request: HttpAnswer(200, {"Mesos-Stream-Id": "s"}, stream=body))
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        assert [await anext(subscription), await anext(subscription)] == [SUBSCRIBED, HEARTBEAT]
        with pytest.raises(SubscriptionEnded) as caught:
            await anext(subscription)
        assert caught.value.reason is reason
        assert subscription.ended is caught.value
        with pytest.raises(SubscriptionEnded):
            await anext(subscription)
    assert body.closed


async def test_oversized_frame_ends_the_subscription_before_buffering_it(
    backoff_policy: BackoffPolicy,
) -> None:
    limit = 1024
    oversized = f"{limit + 1}\n".encode() + b"x" * 10
    master = leader_only(framed(SUBSCRIBED), oversized)
    options = TransportOptions(backoff=backoff_policy, max_frame_bytes=limit)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        assert await anext(subscription) == SUBSCRIBED
        with pytest.raises(SubscriptionEnded) as caught:
            await anext(subscription)
    assert caught.value.reason is EndReason.BAD_FRAME
    assert str(limit) in str(caught.value)


async def test_missed_heartbeats_end_the_subscription(backoff_policy: BackoffPolicy) -> None:
    body = ScriptedBody([framed(SUBSCRIBED)], then="hang")
    master = FakeMaster(lambda request: HttpAnswer(200, {"Mesos-Stream-Id": "s"}, stream=body))
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        assert await anext(subscription) == SUBSCRIBED
        subscription.set_heartbeat_interval(0.01)
        with pytest.raises(SubscriptionEnded) as caught:
            await anext(subscription)
    assert caught.value.reason is EndReason.HEARTBEAT_MISSED
    assert body.closed
    assert "no frame for" in str(caught.value)


async def test_a_reader_giving_up_on_a_read_does_not_lose_the_stream(
    backoff_policy: BackoffPolicy,
) -> None:
    gate = asyncio.Event()
    master = FakeMaster(lambda request: stream([framed(SUBSCRIBED), gate, framed(HEARTBEAT)]))
    options = TransportOptions(backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        assert await anext(subscription) == SUBSCRIBED
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(anext(subscription), timeout=0.01)
        gate.set()
        assert await anext(subscription) == HEARTBEAT
        assert subscription.ended is None


async def test_silent_stream_ends_when_no_first_frame_arrives(
    backoff_policy: BackoffPolicy,
) -> None:
    master = leader_only()
    options = TransportOptions(backoff=backoff_policy, request_timeout=0.01)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        with pytest.raises(SubscriptionEnded, match="no first frame") as caught:
            await anext(subscription)
    assert caught.value.reason is EndReason.HEARTBEAT_MISSED


async def test_bad_heartbeat_interval_names_the_argument(backoff_policy: BackoffPolicy) -> None:
    options = TransportOptions(backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=leader_only()) as conn,
        await conn.subscribe(SUBSCRIBE_CALL) as subscription,
    ):
        with pytest.raises(ValueError, match="seconds"):
            subscription.set_heartbeat_interval(0)


async def test_leader_change_ends_the_subscription(backoff_policy: BackoffPolicy) -> None:
    detector = StaticDetector([FOLLOWER, LEADER])
    options = TransportOptions(backoff=backoff_policy)
    async with MesosConnection(
        detector, options=options, transport=leader_only(framed(SUBSCRIBED))
    ) as conn:
        subscription = await conn.subscribe(SUBSCRIBE_CALL)
        assert await anext(subscription) == SUBSCRIBED
        detector.report_failure(f"http://{FOLLOWER}")
        with pytest.raises(SubscriptionEnded) as caught:
            await anext(subscription)
    assert caught.value.reason is EndReason.LEADER_CHANGED
    assert LEADER in str(caught.value)


async def test_basic_auth_header_is_sent(backoff_policy: BackoffPolicy) -> None:
    master = leader_only(framed(SUBSCRIBED))
    options = TransportOptions(principal="crunch", secret=Secret("hunter2"), backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL),
    ):
        await conn.call(DECLINE_CALL)
    expected = "Basic " + base64.b64encode(b"crunch:hunter2").decode()
    assert [request.headers["Authorization"] for request in master.requests] == [expected] * 2


async def test_call_before_subscribe_is_refused() -> None:
    async with MesosConnection(FOLLOWER, transport=leader_only()) as conn:
        with pytest.raises(TransportError, match="subscribe"):
            await conn.call(DECLINE_CALL)


async def test_call_retries_503_up_to_call_attempts(
    sleeps: SleepRecorder, backoff_policy: BackoffPolicy
) -> None:
    def handler(request: HttpRequest) -> HttpAnswer:
        if call_type(request) == "SUBSCRIBE":
            return stream([framed(SUBSCRIBED)])
        return HttpAnswer(503)

    master = FakeMaster(handler)
    options = TransportOptions(backoff=backoff_policy, call_attempts=3)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=master) as conn,
        await conn.subscribe(SUBSCRIBE_CALL),
    ):
        with pytest.raises(RetriesExhausted):
            await conn.call(DECLINE_CALL)
    assert [call_type(request) for request in master.requests] == ["SUBSCRIBE"] + ["DECLINE"] * 3
    assert len(sleeps.delays) == 2


async def test_call_returns_the_body_of_a_200_answer(backoff_policy: BackoffPolicy) -> None:
    answer = json.dumps({"type": "RECONCILE_OPERATIONS"}).encode()

    def handler(request: HttpRequest) -> HttpAnswer:
        if call_type(request) == "SUBSCRIBE":
            return stream([framed(SUBSCRIBED)])
        return HttpAnswer(200, content=answer)

    options = TransportOptions(backoff=backoff_policy)
    async with (
        MesosConnection(FOLLOWER, options=options, transport=FakeMaster(handler)) as conn,
        await conn.subscribe(SUBSCRIBE_CALL),
    ):
        assert await conn.call(DECLINE_CALL) == answer


async def test_call_soon_sends_once_with_the_stream_id_and_reports_what_failed(
    backoff_policy: BackoffPolicy,
) -> None:
    def handler(request: HttpRequest) -> HttpAnswer:
        if call_type(request) == "SUBSCRIBE":
            return stream([framed(SUBSCRIBED)])
        if call_type(request) == "BAD":
            return HttpAnswer(400, content=b"Failed to validate scheduler::Call")
        if call_type(request) == "GONE":
            raise HttpError("the connection closed before an answer")
        return HttpAnswer(202)

    master = FakeMaster(handler)
    failures: list[TransportError] = []
    options = TransportOptions(backoff=backoff_policy, call_attempts=3)
    async with MesosConnection(FOLLOWER, options=options, transport=master) as conn:
        assert conn.call_soon(DECLINE_CALL, failures.append) is None
        assert "subscribe" in str(failures.pop())
        async with await conn.subscribe(SUBSCRIBE_CALL):
            answers = [
                conn.call_soon(body, failures.append)
                for body in (DECLINE_CALL, b'{"type": "BAD"}', b'{"type": "GONE"}')
            ]
            await asyncio.wait([answer for answer in answers if answer is not None])
    # each sent once, no retry, with the stream id
    assert [r.headers.get("Mesos-Stream-Id") for r in master.requests] == [None] + ["stream-1"] * 3
    rejected, unreachable = failures
    assert isinstance(rejected, RequestRejected) and rejected.status == 400
    assert "Failed to validate" in rejected.body_excerpt
    assert isinstance(unreachable, ConnectionFailed)


def test_zk_master_gets_a_zookeeper_detector_and_tls_gives_https() -> None:
    conn = MesosConnection("zk://127.0.0.1:2181/mesos", options=TransportOptions(tls=True))
    assert isinstance(conn.detector, ZooKeeperDetector)
    static = MesosConnection(f"{FOLLOWER},{LEADER}", options=TransportOptions(tls=True))
    assert isinstance(static.detector, StaticDetector)
    assert static.detector.urls == (f"https://{FOLLOWER}", f"https://{LEADER}")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"connect_timeout": 0}, "connect_timeout"),
        ({"max_redirects": -1}, "max_redirects"),
        ({"subscribe_attempts": 0}, "subscribe_attempts"),
        ({"call_attempts": 1.5}, "call_attempts"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle"),
        ({"principal": ""}, "principal"),
    ],
)
def test_bad_options_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises((ValueError, TypeError), match=field):
        TransportOptions(**kwargs)  # type: ignore[arg-type]


def test_bad_options_type_names_the_argument() -> None:
    with pytest.raises(TypeError, match="options"):
        MesosConnection(FOLLOWER, options={"tls": True})  # type: ignore[arg-type]


def test_repr_names_the_masters() -> None:
    assert f"http://{FOLLOWER}" in repr(MesosConnection(FOLLOWER))


async def test_bad_body_names_the_argument() -> None:
    async with MesosConnection(FOLLOWER, transport=leader_only()) as conn:
        with pytest.raises(TypeError, match="body"):
            await conn.subscribe("not bytes")  # type: ignore[arg-type]


def test_seeded_backoff_delays_are_reproducible_across_connections() -> None:
    first = BackoffPolicy(rng=random.Random(9)).start()
    second = BackoffPolicy(rng=random.Random(9)).start()
    assert [first.next_delay() for _ in range(5)] == [second.next_delay() for _ in range(5)]
