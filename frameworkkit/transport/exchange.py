"""What the scheduler's connection exchanges with a transport: requests, answers, streamed bodies.

A :class:`Transport` turns an :class:`HttpRequest` into an :class:`HttpAnswer`. The real one is
:class:`~frameworkkit.transport.http1_async.HttpTransport` (HTTP/1.1 on asyncio); pass your own
(``Framework(transport=...)``, ``MesosConnection(transport=...)``) to put an in-process peer in
place of the network in tests, or subclass ``HttpTransport`` to watch the calls that leave. A
transport raises :class:`~frameworkkit.transport.http1.HttpError` when a peer cannot be reached
or breaks the connection; the connection above it turns that into its typed errors.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

from .http1 import HttpError

__all__ = ["HttpAnswer", "HttpRequest", "StreamBody", "Transport"]


@dataclass(frozen=True)
class HttpRequest:
    """One request: ``stream`` asks for the answer as soon as its head arrived, its body then
    read from :attr:`HttpAnswer.stream` as it comes (a SUBSCRIBE)."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    stream: bool = False


class StreamBody:
    """The body of a streamed answer as it arrives: the producer (a connection, or a test's
    script) feeds it; the reader takes what came and waits for more.

    ``on_close`` runs once when the reader closes it (the connection is then dropped).
    """

    def __init__(self, on_close: Callable[[], None] | None = None) -> None:
        self._parts: list[bytes] = []
        self._ended = False
        self._error: HttpError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._on_close = on_close
        self.closed = False

    # the producer's side

    def feed(self, data: bytes) -> None:
        """More of the body arrived."""
        if data and not self._ended:
            self._parts.append(data)
            self.wake()

    def finish(self, error: HttpError | None = None) -> None:
        """The body ended: completely, or broken off with ``error``."""
        if not self._ended:
            self._ended, self._error = True, error
            self.wake()

    # the reader's side

    def take(self) -> bytes | None:
        """What arrived since the last call (``b""``: nothing yet); None once the body ended
        and everything was taken. Raises the :class:`HttpError` that broke the body off."""
        if self._parts:
            parts, self._parts = self._parts, []
            return parts[0] if len(parts) == 1 else b"".join(parts)
        if not self._ended:
            return b""
        if self._error is not None:
            raise self._error
        return None

    async def wait(self) -> None:
        """Until there is something to take (data, the end) or :meth:`wake` is called."""
        if self._parts or self._ended:
            return
        waiter = self._waiter
        if waiter is None or waiter.done():
            waiter = self._waiter = asyncio.get_running_loop().create_future()
        await waiter

    def wake(self) -> None:
        """Make a waiting :meth:`wait` return (the reader then looks at what changed)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def chunks(self) -> AsyncIterator[bytes]:
        """Everything to the end, as it arrives."""
        while (data := self.take()) is not None:
            if data:
                yield data
            else:
                await self.wait()

    def close(self) -> None:
        """Stop reading: what is left is dropped, and so is the connection."""
        if not self.closed:
            self.closed = True
            self._parts = []
            self.finish()
            if self._on_close is not None:
                self._on_close()


@dataclass
class HttpAnswer:
    """An answer: its status, headers (names in lower case) and body, whole in ``content`` or,
    for a streamed request, arriving in ``stream``."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    stream: StreamBody | None = None

    def __post_init__(self) -> None:
        self.headers = {name.lower(): value for name, value in self.headers.items()}

    async def read(self) -> bytes:
        """The whole body (a streamed one is read to its end and closed)."""
        stream = self.stream
        if stream is not None:
            try:
                self.content = b"".join([chunk async for chunk in stream.chunks()])
            finally:
                stream.close()
            self.stream = None
        return self.content

    def close(self) -> None:
        """Drop what is left of a streamed body, and its connection."""
        if self.stream is not None:
            self.stream.close()


class Transport(abc.ABC):
    """Sends requests: the seam between the scheduler's connection and the network."""

    @abc.abstractmethod
    async def handle(self, request: HttpRequest) -> HttpAnswer:
        """Send ``request`` and return the answer once its head arrived (and, unless the
        request streams, its whole body); raise :class:`HttpError` if that fails."""

    def handle_soon(self, request: HttpRequest) -> asyncio.Future[HttpAnswer]:
        """Send ``request`` without waiting: a future of what :meth:`handle` returns or raises.

        Call on the event loop. This default runs :meth:`handle` in a task; a transport that
        can send without one (:class:`~.http1_async.HttpTransport`) does."""
        return asyncio.ensure_future(self.handle(request))

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Close every connection the transport holds."""
