"""The scheduler's asyncio HTTP/1.1 transport against a loopback peer: pipelining, framing,
streams, dropped connections, TLS, errors."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from pathlib import Path

import pytest

from frameworkkit.transport import HttpAnswer, HttpRequest, HttpTransport, StreamBody
from frameworkkit.transport.http1 import HttpError, HttpTimeout

from .loopback_peer import (
    BROKEN_ANSWERS,
    LAST_CHUNK,
    Request,
    answer_with,
    chunk,
    chunked_head,
    closed_port,
    loopback_peer,
    response,
    tls_peer,
)

pytestmark = pytest.mark.timeout(30)


def echo(request: Request, sock: socket.socket) -> bool:
    """202 with the request's target and body as the answer's body."""
    sock.sendall(response(202, request.target.encode() + b" " + request.body))
    return True


def post(url: str, body: bytes = b"{}", *, stream: bool = False) -> HttpRequest:
    return HttpRequest("POST", url, {"Content-Type": "application/json"}, body, stream)


async def read_all(body: StreamBody) -> bytes:
    return b"".join([data async for data in body.chunks()])


async def test_calls_made_together_share_one_connection_and_get_their_own_answers() -> None:
    with loopback_peer(echo) as peer:
        transport = HttpTransport()
        answers = await asyncio.gather(
            *(transport.handle(post(f"{peer.origin}/call/{i}", b"%d" % i)) for i in range(50))
        )
        later = await transport.handle(post(f"{peer.origin}/later"))
        await transport.aclose()
    assert [answer.content for answer in answers] == [b"/call/%d %d" % (i, i) for i in range(50)]
    assert {answer.status for answer in answers} == {202}
    assert later.content == b"/later {}"
    assert peer.connections == 1
    first = peer.requests[0]
    assert first.headers["host"] == f"127.0.0.1:{peer.port}"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["content-length"] == "1"


async def test_a_streamed_answer_arrives_as_it_is_sent_and_ends() -> None:
    second_wanted = threading.Event()

    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + chunk(b"first"))
        second_wanted.wait(10)
        sock.sendall(chunk(b"second") + chunk(b"third") + LAST_CHUNK)
        return True

    with loopback_peer(answer) as peer:
        transport = HttpTransport()
        answer_ = await transport.handle(post(f"{peer.origin}/subscribe", stream=True))
        assert answer_.status == 200 and answer_.stream is not None
        body = answer_.stream
        while not (data := body.take()):
            await body.wait()
        assert data == b"first"  # before the peer sent the rest
        second_wanted.set()
        assert await read_all(body) == b"secondthird"
        assert body.take() is None
        await transport.aclose()


async def test_a_stream_closed_by_its_reader_drops_its_connection() -> None:
    closed = threading.Event()

    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + chunk(b"only"))
        if sock.recv(1) == b"":  # the client hung up
            closed.set()
        return False

    with loopback_peer(answer) as peer:
        transport = HttpTransport()
        answer_ = await transport.handle(post(f"{peer.origin}/subscribe", stream=True))
        assert answer_.stream is not None
        while not answer_.stream.take():
            await answer_.stream.wait()
        answer_.close()
        assert await asyncio.to_thread(closed.wait, 10)
        assert answer_.stream.take() is None
        await transport.aclose()


async def test_a_stream_given_up_before_its_answer_drops_its_connection() -> None:
    closed = threading.Event()

    def silent(request: Request, sock: socket.socket) -> bool:
        if sock.recv(1) == b"":
            closed.set()
        return False

    with loopback_peer(silent) as peer:
        transport = HttpTransport()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(
                transport.handle(post(f"{peer.origin}/subscribe", stream=True)), 0.1
            )
        assert await asyncio.to_thread(closed.wait, 10)
        await transport.aclose()


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",  # read to the close
        b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nuntil the end",  # 1.0: no keep-alive
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 13\r\n\r\nuntil the end",
    ],
)
async def test_a_connection_the_answer_does_not_keep_is_replaced(raw: bytes) -> None:
    with loopback_peer(answer_with(raw, keep=False)) as peer:
        transport = HttpTransport()
        first = await transport.handle(post(f"{peer.origin}/"))
        second = await transport.handle(post(f"{peer.origin}/"))
        await transport.aclose()
    assert first.content == second.content == b"until the end"
    assert peer.connections == 2


def close_after_the_first(request: Request, sock: socket.socket) -> bool:
    """Answers ``/0`` with ``Connection: close`` and closes; echoes anything else."""
    if request.target == "/0":
        sock.sendall(response(200, b"0", headers=["Connection: close"]))
        # a lingering close, as servers do: a close with requests unread would reset the
        # connection, and the answer could be lost before the client read it
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        return False
    return echo(request, sock)


@pytest.mark.parametrize("soon", [False, True], ids=["handle", "handle_soon"])
async def test_calls_behind_an_answer_that_closes_go_again_on_a_new_connection(
    soon: bool,
) -> None:
    with loopback_peer(close_after_the_first) as peer:
        transport = HttpTransport()
        if soon:  # handle_soon queues on the open connection: open it first
            await transport.handle(post(f"{peer.origin}/warm"))
        send = transport.handle_soon if soon else transport.handle
        answers = await asyncio.gather(*(send(post(f"{peer.origin}/{i}")) for i in range(5)))
        await transport.aclose()
    assert [answer.content for answer in answers] == [b"0"] + [b"/%d {}" % i for i in range(1, 5)]
    assert peer.connections == 2


async def test_handle_soon_queues_on_the_kept_connection_without_a_task() -> None:
    with loopback_peer(echo) as peer:
        transport = HttpTransport()
        first = transport.handle_soon(post(f"{peer.origin}/first"))  # no connection yet
        assert (await first).content == b"/first {}"
        tasks = len(asyncio.all_tasks())
        answers = [transport.handle_soon(post(f"{peer.origin}/{i}", b"%d" % i)) for i in range(20)]
        assert len(asyncio.all_tasks()) == tasks
        done = await asyncio.gather(*answers)
        await transport.aclose()
    assert [answer.content for answer in done] == [b"/%d %d" % (i, i) for i in range(20)]
    assert peer.connections == 1


async def test_a_kept_connection_left_unanswered_is_closed_and_replaced() -> None:
    def silent_until_later(request: Request, sock: socket.socket) -> bool:
        if request.target == "/later":
            return echo(request, sock)
        return True  # reads the request, never answers, keeps the connection

    with loopback_peer(silent_until_later) as peer:
        transport = HttpTransport(answer_timeout=0.3)
        began = asyncio.get_running_loop().time()
        waiting = [transport.handle_soon(post(f"{peer.origin}/{i}")) for i in range(3)]
        outcomes = await asyncio.gather(
            transport.handle(post(f"{peer.origin}/first")), *waiting, return_exceptions=True
        )
        waited = asyncio.get_running_loop().time() - began
        later = await transport.handle(post(f"{peer.origin}/later"))
        await transport.aclose()
    assert all(isinstance(outcome, HttpTimeout) for outcome in outcomes), outcomes
    assert 0.3 <= waited < 10
    assert later.content == b"/later {}" and peer.connections == 2


async def test_a_kept_connection_the_peer_closed_meanwhile_is_replaced() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(response(200, request.target.encode()))
        return False  # closes after each answer, without saying so

    with loopback_peer(answer) as peer:
        transport = HttpTransport()
        assert (await transport.handle(post(f"{peer.origin}/one"))).content == b"/one"
        await asyncio.sleep(0.05)  # let the close reach the client's side
        assert (await transport.handle(post(f"{peer.origin}/two"))).content == b"/two"
        await transport.aclose()
    assert peer.connections == 2


async def test_informational_answers_and_bodiless_statuses() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, b"done")
    with loopback_peer(answer_with(raw)) as peer:
        transport = HttpTransport()
        assert (await transport.handle(post(f"{peer.origin}/"))).content == b"done"
        await transport.aclose()
    with loopback_peer(answer_with(b"HTTP/1.1 204 No Content\r\n\r\n")) as peer:
        transport = HttpTransport()
        answers = await asyncio.gather(*(transport.handle(post(f"{peer.origin}/")) for _ in "ab"))
        await transport.aclose()
    assert [(answer.status, answer.content) for answer in answers] == [(204, b"")] * 2


async def test_a_chunked_answer_to_a_call_is_read_whole() -> None:
    raw = chunked_head(202) + chunk(b"two ") + chunk(b"parts") + b"0\r\nX-Trailer: t\r\n\r\n"
    with loopback_peer(answer_with(raw)) as peer:
        transport = HttpTransport()
        answers = await asyncio.gather(*(transport.handle(post(f"{peer.origin}/")) for _ in "ab"))
        await transport.aclose()
    assert [answer.content for answer in answers] == [b"two parts"] * 2
    assert peer.connections == 1


@pytest.mark.parametrize(
    ("raw", "match"), [*BROKEN_ANSWERS, (chunked_head() + b"2\r\nabXY", "CRLF")]
)
async def test_a_broken_answer_raises_http_error(raw: bytes, match: str) -> None:
    with loopback_peer(answer_with(raw, keep=False)) as peer:
        transport = HttpTransport()
        with pytest.raises(HttpError, match=match):
            await transport.handle(post(f"{peer.origin}/"))
        await transport.aclose()


async def test_a_broken_stream_ends_with_http_error() -> None:
    with loopback_peer(answer_with(chunked_head() + chunk(b"ok") + b"5\r\nab", keep=False)) as peer:
        transport = HttpTransport()
        answer = await transport.handle(post(f"{peer.origin}/subscribe", stream=True))
        assert answer.stream is not None
        with pytest.raises(HttpError, match="inside a chunk"):
            await read_all(answer.stream)
        await transport.aclose()


async def test_an_unreachable_peer_raises_http_error() -> None:
    transport = HttpTransport()
    with pytest.raises(HttpError, match="connecting"):
        await transport.handle(post(f"http://127.0.0.1:{closed_port()}/"))
    with pytest.raises(HttpError, match="connecting"):  # the failure is not kept
        await transport.handle(post(f"http://127.0.0.1:{closed_port()}/"))


async def test_tls_comes_from_the_factory(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    made: list[ssl.SSLContext] = []

    def context() -> ssl.SSLContext:
        made.append(ssl.create_default_context(cafile=cert))
        return made[-1]

    with tls_peer(cert, key, response(200, b"over tls"), connections=2) as port:
        transport = HttpTransport(tls=context)
        answer = await transport.handle(post(f"https://127.0.0.1:{port}/"))
        await transport.aclose()
        untrusted = HttpTransport()  # the system's CAs do not know this certificate
        with pytest.raises(HttpError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusted.handle(post(f"https://127.0.0.1:{port}/"))
    assert answer.content == b"over tls"
    assert len(made) == 1


async def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="connect_timeout"):
        HttpTransport(connect_timeout=0)
    with pytest.raises(ValueError, match="answer_timeout"):
        HttpTransport(answer_timeout=-1)
    transport = HttpTransport()
    with pytest.raises(ValueError, match="url"):
        await transport.handle(post("127.0.0.1:5050/api"))
    with pytest.raises(ValueError, match="headers"):
        await transport.handle(
            HttpRequest("POST", "http://127.0.0.1:1/", {"X-Evil": "a\r\nInjected: yes"})
        )


async def test_answers_seen_by_a_subclass_watching_the_calls() -> None:
    seen: list[tuple[str, int]] = []

    class Watching(HttpTransport):
        async def handle(self, request: HttpRequest) -> HttpAnswer:
            answer = await super().handle(request)
            seen.append((request.url, answer.status))
            return answer

    with loopback_peer(echo) as peer:
        transport = Watching()
        await transport.handle(post(f"{peer.origin}/watched"))
        await transport.handle_soon(post(f"{peer.origin}/soon"))  # its connection is open
        await transport.aclose()
    assert seen == [(f"{peer.origin}/watched", 202), (f"{peer.origin}/soon", 202)]
