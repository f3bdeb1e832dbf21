"""HTTP/1.1 on asyncio for the scheduler's calls: :class:`HttpTransport`, the real transport.

A scheduler sends a few calls per task (an ACCEPT, three ACKNOWLEDGEs, DECLINEs), often many at
once, to one master. So calls to an origin share one kept-alive connection and are pipelined:
each is written as soon as it is made, without waiting for the answers before it, and the
answers, which HTTP/1.1 returns in order, are matched to them first in, first out. A request
that streams (SUBSCRIBE) gets a connection of its own, and its body is handed out as it arrives
(chunked transfer coding included). A call whose kept connection closed
before any byte of its answer came is sent once more on a new connection, transparently.

The answers are parsed as they arrive (:class:`asyncio.Protocol`, no reader task), the heads
with the blocking client's rules (:mod:`.http1`). Redirects are not followed here; failures
raise :class:`~.http1.HttpError` (:class:`~.http1.HttpTimeout` for a connect timeout).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from functools import partial

from frameworkkit.validation import number

from .exchange import HttpAnswer, HttpRequest, StreamBody, Transport
from .http1 import HttpError, HttpTimeout, connect_host, encode_request, parse_head, split_url

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl

__all__ = ["HttpTransport"]

MAX_HEAD_BYTES = 65536
"""The longest answer head (or chunk-size line) accepted."""
_NO_BODY_STATUSES = frozenset({204, 304})
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_TARGET_CACHE = 64

# where the parser is in the answer at the front of a connection's queue
_HEAD, _SIZED, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE = range(7)
_WHERE = {_HEAD: "the answer's head", _SIZED: "the body", _CHUNK_DATA: "a chunk"}


class _Dropped(HttpError):
    """The connection closed before any byte of the answer came: the request may be sent again."""


class _Exchange:
    """A request written on a connection, waiting for (the rest of) its answer."""

    __slots__ = ("body", "first", "future", "head", "method", "parts", "started", "stream")

    def __init__(
        self, future: asyncio.Future[HttpAnswer], method: str, stream: bool, first: bool
    ) -> None:
        self.future = future
        self.method = method
        self.stream = stream
        self.first = first  # the connection's first request: a drop is the peer's answer
        self.started = False  # a byte of the answer arrived
        self.head: tuple[int, dict[str, str]] = (0, {})
        self.parts: list[bytes] = []
        self.body: StreamBody | None = None


class _Connection(asyncio.Protocol):
    """One connection: requests written in order, answers parsed in order as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop, answer_timeout: float | None) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.usable = True  # takes further requests
        self._answer_timeout = answer_timeout
        self._watchdog: asyncio.TimerHandle | None = None
        self._progress = 0.0  # when the answers last moved (or the first request was queued)
        self._served = 0
        self._exchanges: deque[_Exchange] = deque()
        self._outgoing: list[bytes] = []  # requests not written yet
        self._buffer = bytearray()
        self._state = _HEAD
        self._remaining = 0

    def send(self, data: bytes, method: str, stream: bool) -> asyncio.Future[HttpAnswer]:
        """Queue a request; the future gets its answer. The requests queued in one turn of
        the event loop leave together, in one write."""
        future: asyncio.Future[HttpAnswer] = self.loop.create_future()
        first = not self._served and not self._exchanges
        if not self._exchanges:
            self._progress = self.loop.time()
        if self._answer_timeout is not None and self._watchdog is None:
            self._watchdog = self.loop.call_later(self._answer_timeout, self._watch)
        self._exchanges.append(_Exchange(future, method, stream, first))
        if not self._outgoing:
            self.loop.call_soon(self._write)
        self._outgoing.append(data)
        return future

    def _write(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(outgoing))

    def close(self) -> None:
        self.usable = False
        if self.transport is not None:
            self.transport.close()

    def _watch(self) -> None:
        """Close the connection if its oldest request went unanswered for the answer timeout:
        its requests fail with :class:`~.http1.HttpTimeout`, and later ones get a new one."""
        self._watchdog = None
        assert self._answer_timeout is not None  # armed only with one
        if not self._exchanges:
            return
        waited = self.loop.time() - self._progress
        if waited < self._answer_timeout:
            self._watchdog = self.loop.call_later(self._answer_timeout - waited, self._watch)
            return
        self._fail_all(HttpTimeout(f"no answer within {self._answer_timeout:g} s"))
        self.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._progress = self.loop.time()
        self._buffer += data
        try:
            self._parse()
        except HttpError as exc:
            self._fail_all(exc)
            self.close()

    def eof_received(self) -> bool:
        return False  # close: connection_lost ends what is open

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        self.transport = None
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        exchanges, self._exchanges = self._exchanges, deque()
        if exchanges and exchanges[0].started:
            front = exchanges.popleft()
            if self._state == _UNTIL_CLOSE:
                self._exchanges.append(front)
                self._complete()
            else:
                where = _WHERE.get(self._state, "the chunked body")
                _fail(front, HttpError(f"the connection closed inside {where}"))
        for exchange in exchanges:
            kind = HttpError if exchange.first else _Dropped
            _fail(exchange, kind("the connection closed before an answer"))

    # the parser

    def _parse(self) -> None:
        buffer = self._buffer
        while buffer:
            if not self._exchanges:
                raise HttpError("the peer sent an answer no request asked for")
            self._exchanges[0].started = True
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD_BYTES:
                        raise HttpError(f"an answer's head is longer than {MAX_HEAD_BYTES} bytes")
                    return
                lines = bytes(buffer[:end]).split(b"\r\n")
                del buffer[: end + 4]
                self._start(*parse_head(lines))
            elif state in (_SIZED, _CHUNK_DATA):
                size = min(self._remaining, len(buffer))
                self._deliver(bytes(buffer[:size]))
                del buffer[:size]
                self._remaining -= size
                if not self._remaining:
                    if state == _SIZED:
                        self._complete()
                    else:
                        self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buffer) < 2:
                    return
                if buffer[:2] != b"\r\n":
                    raise HttpError("a chunk did not end with CRLF")
                del buffer[:2]
                self._state = _CHUNK_SIZE
            elif state in (_CHUNK_SIZE, _TRAILER):
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD_BYTES:
                        raise HttpError("a chunk-size or trailer line is too long")
                    return
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                if state == _CHUNK_SIZE:
                    self._chunk_size(line)
                elif not line:
                    self._complete()
            else:  # _UNTIL_CLOSE
                self._deliver(bytes(buffer))
                buffer.clear()

    def _start(self, status: int, reason: str, headers: dict[str, str]) -> None:
        """An answer's head arrived: how is its body framed?"""
        exchange = self._exchanges[0]
        if 100 <= status < 200:
            return  # informational: the real answer follows
        if "close" in headers.get("connection", "").lower():
            self.usable = False
        length = headers.get("content-length")
        if exchange.method == "HEAD" or status in _NO_BODY_STATUSES:
            self._state, self._remaining = _SIZED, 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = _CHUNK_SIZE
        elif length is not None:
            if not length.isascii() or not length.isdigit():
                raise HttpError(f"bad Content-Length: {length!r}")
            self._state, self._remaining = _SIZED, int(length)
        else:
            self._state, self.usable = _UNTIL_CLOSE, False
        if exchange.stream:
            exchange.body = StreamBody(on_close=self.close)
            if not exchange.future.done():
                exchange.future.set_result(HttpAnswer(status, headers, stream=exchange.body))
        else:
            exchange.head = (status, headers)
        if self._state == _SIZED and not self._remaining:
            self._complete()

    def _chunk_size(self, line: bytes) -> None:
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or not _HEX_DIGITS.issuperset(size_text):
            raise HttpError(f"bad chunk size line: {size_text[:40]!r}")
        self._remaining = int(size_text, 16)
        self._state = _CHUNK_DATA if self._remaining else _TRAILER

    def _deliver(self, data: bytes) -> None:
        exchange = self._exchanges[0]
        if exchange.body is not None:
            exchange.body.feed(data)
        else:
            exchange.parts.append(data)

    def _complete(self) -> None:
        exchange = self._exchanges.popleft()
        self._state = _HEAD
        self._served += 1
        if exchange.body is not None:
            exchange.body.finish()
        elif not exchange.future.done():
            status, headers = exchange.head
            content = b"".join(exchange.parts)
            exchange.future.set_result(HttpAnswer(status, headers, content))
        if not self.usable:
            self.close()

    def _fail_all(self, error: HttpError) -> None:
        exchanges, self._exchanges = self._exchanges, deque()
        for exchange in exchanges:
            _fail(exchange, error)


def _copy(target: asyncio.Future[HttpAnswer], source: asyncio.Future[HttpAnswer]) -> None:
    """Give ``target`` the outcome of ``source`` (done)."""
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())  # type: ignore[arg-type]
    else:
        target.set_result(source.result())


def _fail(exchange: _Exchange, error: HttpError) -> None:
    if exchange.body is not None:
        exchange.body.finish(error)
    elif not exchange.future.done():
        exchange.future.set_exception(error)


class HttpTransport(Transport):
    """The network: HTTP/1.1 to any ``http(s)://host:port`` (see the module doc).

    ``tls`` makes the TLS context for https origins when one is first needed (default:
    :func:`ssl.create_default_context`). ``connect_timeout`` bounds each connect, TLS included.
    With ``answer_timeout``, a kept connection whose oldest request goes that many seconds
    without a byte of its answer is closed, its requests failing with
    :class:`~.http1.HttpTimeout`: a peer that stopped answering holds no call for longer.
    Subclass it and override :meth:`handle` (calling ``super()``) to watch requests leave.
    """

    def __init__(
        self,
        *,
        tls: Callable[[], ssl.SSLContext] | None = None,
        connect_timeout: float = 10.0,
        answer_timeout: float | None = None,
    ) -> None:
        self._tls_factory = tls
        self._tls: ssl.SSLContext | None = None
        self._connect_timeout = number("connect_timeout", connect_timeout, above=True)
        self._answer_timeout = (
            None if answer_timeout is None else number("answer_timeout", answer_timeout, above=True)
        )
        self._kept: dict[str, asyncio.Future[_Connection]] = {}  # origin -> its connection
        self._streams: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._targets: dict[str, tuple[str, str, int, str]] = {}  # url -> split_url(url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    async def handle(self, request: HttpRequest) -> HttpAnswer:
        scheme, address, port, data = self._encode(request)
        if request.stream:  # a stream's answer may stay quiet: no answer timeout
            connection = await self._connect(scheme, address, port, answer_timeout=None)
            self._streams.add(connection)
            try:
                return await connection.send(data, request.method, stream=True)
            except BaseException:  # given up (a timeout) or failed: the connection goes too
                connection.close()
                raise
        try:
            connection = await self._kept_connection(scheme, address, port)
            return await connection.send(data, request.method, stream=False)
        except _Dropped:  # the kept connection was gone: once more, on a new one
            connection = await self._kept_connection(scheme, address, port)
            return await connection.send(data, request.method, stream=False)

    def handle_soon(self, request: HttpRequest) -> asyncio.Future[HttpAnswer]:
        """Without a task when the origin's kept connection is open: the request is queued on
        it at once (a drop of that connection sends it again, as :meth:`handle` does). In a
        subclass that overrides :meth:`handle`, through that :meth:`handle`."""
        if request.stream or type(self).handle is not HttpTransport.handle:
            return super().handle_soon(request)
        scheme, address, _, data = self._encode(request)
        connection = self._open_kept(f"{scheme}://{address}")
        if connection is None:
            return super().handle_soon(request)
        answer = connection.send(data, request.method, stream=False)
        result: asyncio.Future[HttpAnswer] = connection.loop.create_future()
        answer.add_done_callback(partial(self._settle, request, result))
        return result

    def _settle(
        self,
        request: HttpRequest,
        result: asyncio.Future[HttpAnswer],
        answer: asyncio.Future[HttpAnswer],
    ) -> None:
        """Hand ``answer`` on to ``result``; a dropped connection's request goes once more."""
        if result.done():
            return
        if not answer.cancelled() and isinstance(answer.exception(), _Dropped):
            again = asyncio.ensure_future(self.handle(request))
            again.add_done_callback(partial(_copy, result))
        else:
            _copy(result, answer)

    def _encode(self, request: HttpRequest) -> tuple[str, str, int, bytes]:
        """The request's scheme, host and port, and its bytes on the wire."""
        parts = self._targets.get(request.url)
        if parts is None:
            parts = split_url(request.url)
            if len(self._targets) >= _TARGET_CACHE:
                self._targets.clear()
            self._targets[request.url] = parts
        scheme, address, port, target = parts
        data = encode_request(request.method, target, address, request.headers, request.body)
        return scheme, address, port, data

    async def aclose(self) -> None:
        kept, self._kept = self._kept, {}
        for connecting in kept.values():
            if not connecting.done():
                connecting.cancel()
            elif not connecting.cancelled() and connecting.exception() is None:
                connecting.result().close()
        for connection in list(self._streams):
            connection.close()

    async def _kept_connection(self, scheme: str, address: str, port: int) -> _Connection:
        origin = f"{scheme}://{address}"
        connection = self._open_kept(origin)
        if connection is not None:
            return connection
        connecting = self._kept.get(origin)
        if connecting is None or connecting.done():
            connecting = asyncio.ensure_future(
                self._connect(scheme, address, port, answer_timeout=self._answer_timeout)
            )
            self._kept[origin] = connecting
        return await asyncio.shield(connecting)  # a cancelled caller leaves it to the others

    def _open_kept(self, origin: str) -> _Connection | None:
        """The origin's kept connection if it is open and takes requests."""
        connecting = self._kept.get(origin)
        if connecting is None or not connecting.done() or connecting.cancelled():
            return None
        if connecting.exception() is not None or not connecting.result().usable:
            return None
        return connecting.result()

    async def _connect(
        self, scheme: str, address: str, port: int, *, answer_timeout: float | None
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        host = connect_host(address)
        context = self._tls_context() if scheme == "https" else None
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop, answer_timeout),
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                ),
                self._connect_timeout,
            )
        except (TimeoutError, asyncio.TimeoutError):  # one class from Python 3.11
            raise HttpTimeout(f"timed out connecting to {scheme}://{address}") from None
        except OSError as exc:  # refused, unreachable, TLS failures
            detail = f"{type(exc).__name__}: {exc}"
            raise HttpError(f"connecting to {scheme}://{address}: {detail}") from exc
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            if self._tls_factory is not None:
                self._tls = self._tls_factory()
            else:
                import ssl

                self._tls = ssl.create_default_context()
        return self._tls
