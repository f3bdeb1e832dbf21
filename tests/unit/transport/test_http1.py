"""The blocking HTTP/1.1 client against a loopback peer: framing, keep-alive, auth, TLS, errors."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from frameworkkit.transport import Secret
from frameworkkit.transport.http1 import (
    HttpClient,
    HttpError,
    HttpTimeout,
    basic_auth,
    bearer_auth,
)

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


def test_a_request_gets_its_answer_and_the_connection_is_kept() -> None:
    with loopback_peer(answer_with(response(202, b"accepted"))) as peer:
        client = HttpClient(peer.origin)
        first = client.request("POST", "/api/v1/executor", b'{"type":"UPDATE"}')
        second = client.request("POST", "/api/v1/executor", b"{}", {"Accept": "a/b"})
        client.close()
    assert (first.status, first.read()) == (202, b"accepted")
    assert second.read() == b"accepted"
    assert peer.connections == 1  # kept alive and reused
    request = peer.requests[0]
    assert (request.method, request.target, request.body) == (
        "POST",
        "/api/v1/executor",
        b'{"type":"UPDATE"}',
    )
    assert request.headers["host"] == f"127.0.0.1:{peer.port}"
    assert peer.requests[1].headers["accept"] == "a/b"


def test_a_chunked_stream_arrives_chunk_by_chunk() -> None:
    second_wanted = threading.Event()

    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + chunk(b"first"))
        second_wanted.wait(10)
        sock.sendall(chunk(b"second") + LAST_CHUNK)
        return True

    with loopback_peer(answer) as peer:
        client = HttpClient(peer.origin)
        stream = client.stream("POST", "/subscribe", b"{}")
        chunks = stream.chunks()
        assert next(chunks) == b"first"  # before the peer sent the rest
        second_wanted.set()
        assert list(chunks) == [b"second"]
        assert client.request("GET", "/again").read() == b"firstsecond"
    assert stream.status == 200
    assert peer.connections == 1  # the stream's connection served the next request


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",  # read to the close
        b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nuntil the end",  # 1.0: no keep-alive
    ],
)
def test_a_connection_the_answer_does_not_keep_is_dropped(raw: bytes) -> None:
    with loopback_peer(answer_with(raw, keep=False)) as peer:
        client = HttpClient(peer.origin)
        assert client.request("GET", "/").read() == b"until the end"
        assert client.request("GET", "/").read() == b"until the end"
    assert peer.connections == 2


def test_informational_answers_are_skipped() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, b"done")
    with loopback_peer(answer_with(raw)) as peer:
        assert HttpClient(peer.origin).request("POST", "/", b"x").read() == b"done"


def test_a_kept_connection_the_peer_closed_is_replaced_once() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(response(200, request.target.encode()))
        return False  # closes after each answer, without saying so

    with loopback_peer(answer) as peer:
        client = HttpClient(peer.origin)
        assert client.request("GET", "/one").read() == b"/one"
        time.sleep(0.05)  # let the close reach the client's side
        assert client.request("GET", "/two").read() == b"/two"
    assert peer.connections == 2


def test_authorization_rides_on_every_request_and_stays_out_of_reprs() -> None:
    with loopback_peer(answer_with(response(200))) as peer:
        basic = HttpClient(peer.origin, authorization=basic_auth("principal", Secret("pw")))
        basic.request("GET", "/")
        bearer = HttpClient(peer.origin, authorization=bearer_auth(Secret("tok-1")))
        bearer.request("GET", "/")
    assert peer.requests[0].headers["authorization"] == "Basic cHJpbmNpcGFsOnB3"
    assert peer.requests[1].headers["authorization"] == "Bearer tok-1"
    assert "tok-1" not in repr(bearer) and "pw" not in repr(basic_auth("p", Secret("pw")))


def test_a_silent_peer_times_out() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        time.sleep(5)
        return False

    with loopback_peer(answer) as peer:
        client = HttpClient(peer.origin, timeout=0.2)
        with pytest.raises(HttpTimeout, match="timed out"):
            client.request("GET", "/")


def test_a_stream_can_be_closed_from_another_thread() -> None:
    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(chunked_head() + chunk(b"only"))
        time.sleep(10)
        return False

    with loopback_peer(answer) as peer:
        stream = HttpClient(peer.origin).stream("POST", "/subscribe", b"{}")
        stream.set_timeout(None)
        chunks = stream.chunks()
        assert next(chunks) == b"only"
        threading.Timer(0.1, stream.close).start()
        started = time.monotonic()
        assert list(chunks) == []  # ends quietly once closed
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("raw", "match"), BROKEN_ANSWERS)
def test_a_broken_answer_raises_http_error(raw: bytes, match: str) -> None:
    with loopback_peer(answer_with(raw, keep=False)) as peer, pytest.raises(HttpError, match=match):
        HttpClient(peer.origin).request("GET", "/")


def test_an_unreachable_peer_raises_http_error() -> None:
    with pytest.raises(HttpError, match="connecting"):
        HttpClient(f"http://127.0.0.1:{closed_port()}", timeout=5).request("GET", "/")


def test_tls_comes_from_an_ssl_context(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with tls_peer(cert, key, response(200, b"over tls")) as port:
        client = HttpClient(
            f"https://127.0.0.1:{port}", ssl_context=ssl.create_default_context(cafile=cert)
        )
        try:
            assert client.request("GET", "/").read() == b"over tls"
        finally:
            client.close()


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="origin"):
        HttpClient("127.0.0.1:5051")
    with pytest.raises(ValueError, match="origin"):
        HttpClient("http://127.0.0.1:5051/path")
    with pytest.raises(TypeError, match="authorization"):
        HttpClient("http://127.0.0.1:1", authorization="Bearer x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        HttpClient("http://127.0.0.1:1", timeout=0)
    client = HttpClient("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="method"):
        client.request("post", "/")
    with pytest.raises(ValueError, match="target"):
        client.request("GET", "no-slash")
    with pytest.raises(ValueError, match="headers"):
        client.request("GET", "/", headers={"X-Evil": "a\r\nInjected: yes"})
    with pytest.raises(TypeError, match="password"):
        basic_auth("user", "pw")  # type: ignore[arg-type]
