"""LoopbackPeer: a unit-test seam, an HTTP/1.1 peer on 127.0.0.1 that answers as a test scripts.

It drives :mod:`frameworkkit.transport.http1` and the agent connection over real sockets through
edge cases a real agent cannot be made to produce (a cut chunk, a silent peer, an idle connection
closed between requests). Each request goes to the test's ``answer`` function with the socket to
write raw bytes to; it returns whether the connection stays open for another request.
"""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from frameworkkit.protocol.recordio import encode_record

HEAD_LIMIT = 65536


class Request:
    """One request as the peer read it: ``headers`` has lower-case names."""

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.target}>"


Answer = Callable[[Request, socket.socket], bool]
"""Writes the response to the socket; returns True to read another request on the connection."""


class LoopbackPeer:
    """Accepts connections on ``port`` and answers each request with ``answer``."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[Request] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="loopback-peer", daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        for sock in self._sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            self._sockets.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        reader = sock.makefile("rb")
        try:
            while (request := _read_request(reader)) is not None:
                self.requests.append(request)
                if not self.answer(request, sock):
                    break
        except OSError:
            pass  # the client went away
        finally:
            reader.close()
            sock.close()


def answer_with(raw: bytes, *, keep: bool = True) -> Answer:
    """An answer that writes ``raw`` to each request."""

    def answer(request: Request, sock: socket.socket) -> bool:
        sock.sendall(raw)
        return keep

    return answer


@contextmanager
def loopback_peer(answer: Answer) -> Iterator[LoopbackPeer]:
    peer = LoopbackPeer(answer)
    try:
        yield peer
    finally:
        peer.close()


def _read_request(reader: io.BufferedReader) -> Request | None:
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = reader.readline(HEAD_LIMIT)
        if not line:
            return None
        head += line
    request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
    method, target, _ = request_line.split(" ")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return Request(method, target, headers, body)


def response(status: int, body: bytes = b"", *, headers: Iterable[str] = ()) -> bytes:
    """A whole response with a Content-Length."""
    lines = [f"HTTP/1.1 {status} Status", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked_head(status: int = 200) -> bytes:
    return f"HTTP/1.1 {status} OK\r\nTransfer-Encoding: chunked\r\n\r\n".encode()


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def record_chunk(payload: bytes) -> bytes:
    """One RecordIO frame sent as one chunk."""
    return chunk(encode_record(payload))


LAST_CHUNK = b"0\r\n\r\n"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


BROKEN_ANSWERS = [
    (b"SPDY/3 200 OK\r\n\r\n", "status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
    (chunked_head() + b"zz\r\n", "chunk size"),
    (chunked_head() + b"5\r\nab", "inside a chunk"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "inside the body"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length"),
    (b"", "closed before an answer"),
]
"""Answers a client must refuse with an error, and what its message says."""


@contextmanager
def tls_peer(cert: Path, key: Path, raw: bytes, *, connections: int = 1) -> Iterator[int]:
    """A TLS peer on a loopback port (yielded) answering ``raw`` once on each of
    ``connections`` connections; a client that refuses its certificate ends that one."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        for _ in range(connections):
            plain, _ = listener.accept()
            with (
                plain,
                contextlib.suppress(OSError),
                context.wrap_socket(plain, server_side=True) as tls,
            ):
                tls.recv(65536)
                tls.sendall(raw)
                tls.recv(1)  # until the client closes

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
