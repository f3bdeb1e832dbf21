"""An open subscription: raw RecordIO frames out, a typed reason when the stream ends."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, NoReturn

import httpx

from frameworkkit.protocol.recordio import RecordIODecoder, RecordIOError
from frameworkkit.validation import number

from .errors import EndReason, SubscriptionEnded

__all__ = ["MISSED_HEARTBEATS_ALLOWED", "Subscription"]

log = logging.getLogger("frameworkkit.transport")

MISSED_HEARTBEATS_ALLOWED = 5


class Subscription:
    """An event stream from a master or agent; iterate it for raw frames, one event each.

    Iteration never just stops: however the stream ends, the next read raises
    `SubscriptionEnded` with the reason, and the caller subscribes again. Call
    `set_heartbeat_interval()` once SUBSCRIBED names the interval to arm the watchdog; until the
    first frame, `first_frame_timeout` bounds the wait. Leave early with `async with` or
    `aclose()` so the connection is released.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        url: str,
        stream_id: str | None,
        decoder: RecordIODecoder,
        first_frame_timeout: float,
        on_first_frame: Callable[[], None] | None = None,
        leader_change: Awaitable[str] | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._response = response
        self._chunks = response.aiter_bytes()
        self._decoder = decoder
        self._frames: deque[bytes] = deque()
        self._url = url
        self._stream_id = stream_id
        self._first_frame_timeout = first_frame_timeout
        self._on_first_frame = on_first_frame
        self._leader_change = (
            None if leader_change is None else asyncio.ensure_future(leader_change)
        )
        self._opened_at = self._loop.time()
        self._last_activity = self._opened_at
        self._seen_frame = False
        self._heartbeat_interval: float | None = None
        self._read_task: asyncio.Future[bytes | None] | None = None
        self._ended: SubscriptionEnded | None = None
        self._closed = False

    @property
    def url(self) -> str:
        """The endpoint streaming the events (after any redirect)."""
        return self._url

    @property
    def stream_id(self) -> str | None:
        """The `Mesos-Stream-Id` the master gave this stream (None for agent streams)."""
        return self._stream_id

    @property
    def ended(self) -> SubscriptionEnded | None:
        """Why the stream ended, once it has."""
        return self._ended

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Arm the watchdog: the stream ends after 5 intervals without a frame."""
        self._heartbeat_interval = number("seconds", seconds, above=True)
        self._last_activity = self._loop.time()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        while not self._frames:
            if self._ended is not None:
                raise self._ended
            if self._closed:
                raise StopAsyncIteration
            chunk = await self._next_chunk()
            try:
                frames = self._decoder.feed(chunk)
            except RecordIOError as exc:
                await self._end(EndReason.BAD_FRAME, str(exc))
            if frames:
                self._frames.extend(frames)
                self._last_activity = self._loop.time()
                if not self._seen_frame:
                    self._seen_frame = True
                    if self._on_first_frame is not None:
                        self._on_first_frame()
        return self._frames.popleft()

    async def aclose(self) -> None:
        """Stop reading and release the connection; later reads end the iteration."""
        self._closed = True
        await self._release()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _deadline(self) -> tuple[float, str] | None:
        """When the watchdog fires, and what it will say; None while it is not armed."""
        if self._heartbeat_interval is not None:
            grace = self._heartbeat_interval * MISSED_HEARTBEATS_ALLOWED
            return (
                self._last_activity + grace,
                f"no frame for {grace:.1f} s, {MISSED_HEARTBEATS_ALLOWED} heartbeat intervals",
            )
        if not self._seen_frame:
            return (
                self._opened_at + self._first_frame_timeout,
                f"no first frame within {self._first_frame_timeout:.1f} s",
            )
        return None

    async def _read(self) -> bytes | None:
        try:
            return await anext(self._chunks)
        except StopAsyncIteration:
            return None

    async def _next_chunk(self) -> bytes:
        """The next chunk of the body; a read outlives a cancelled caller for the next call."""
        if self._read_task is None:
            self._read_task = asyncio.ensure_future(self._read())
        read = self._read_task
        waiting: set[asyncio.Future[Any]] = {read}
        if self._leader_change is not None:
            waiting.add(self._leader_change)
        deadline = self._deadline()
        timeout = None if deadline is None else max(0.0, deadline[0] - self._loop.time())
        await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if read.done():
            self._read_task = None
            return await self._chunk_or_end(read)
        if deadline is None or (self._leader_change is not None and self._leader_change.done()):
            await self._end(EndReason.LEADER_CHANGED, self._leader_change_detail())
        await self._end(EndReason.HEARTBEAT_MISSED, deadline[1])

    async def _chunk_or_end(self, read: asyncio.Future[bytes | None]) -> bytes:
        pending = self._decoder.has_partial_frame
        error = read.exception()
        if error is None:
            chunk = read.result()
            if chunk is not None:
                return chunk
            if pending:
                await self._end(EndReason.CUT_MID_FRAME, "end of stream")
            await self._end(EndReason.CLOSED_BY_PEER)
        if isinstance(error, (httpx.HTTPError, httpx.StreamError)):
            reason = EndReason.CUT_MID_FRAME if pending else EndReason.CONNECTION_LOST
            await self._end(reason, f"{type(error).__name__}: {error}")
        raise error

    async def _end(self, reason: EndReason, detail: str = "") -> NoReturn:
        error = SubscriptionEnded(reason, self._url, detail)
        log.debug("%s", error)  # the subscriber decides whether the end is news
        self._ended = error
        await self._release()
        raise error

    def _leader_change_detail(self) -> str:
        change = self._leader_change
        if change is None or change.cancelled():
            return ""
        error = change.exception()
        if error is not None:
            return f"leader detection failed: {error}"
        return f"new leader {change.result()}"

    async def _release(self) -> None:
        for task in (self._read_task, self._leader_change):
            if task is None:
                continue
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
            elif not task.cancelled():
                task.exception()  # retrieved, so asyncio does not report it as lost
        self._read_task = None
        await self._response.aclose()
