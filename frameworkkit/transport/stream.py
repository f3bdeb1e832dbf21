"""An open subscription: raw RecordIO frames out, a typed reason when the stream ends."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import NoReturn

from frameworkkit.protocol.recordio import RecordIODecoder, RecordIOError
from frameworkkit.validation import number

from .errors import EndReason, SubscriptionEnded
from .exchange import HttpAnswer
from .http1 import HttpError

__all__ = ["MISSED_HEARTBEATS_ALLOWED", "Subscription"]

log = logging.getLogger("frameworkkit.transport")

MISSED_HEARTBEATS_ALLOWED = 5


class Subscription:
    """An event stream from a master; iterate it for raw frames, one event each.

    Iteration never just stops: however the stream ends, the next read raises
    `SubscriptionEnded` with the reason, and the caller subscribes again. Call
    `set_heartbeat_interval()` once SUBSCRIBED names the interval to arm the watchdog; until the
    first frame, `first_frame_timeout` bounds the wait. Leave early with `async with` or
    `aclose()` so the connection is released.
    """

    def __init__(
        self,
        answer: HttpAnswer,
        *,
        url: str,
        stream_id: str | None,
        decoder: RecordIODecoder,
        first_frame_timeout: float,
        on_first_frame: Callable[[], None] | None = None,
        leader_change: Awaitable[str] | None = None,
    ) -> None:
        if answer.stream is None:
            raise ValueError("answer: a streamed answer is needed for a subscription")
        self._loop = asyncio.get_running_loop()
        self._answer = answer
        self._body = answer.stream
        self._decoder = decoder
        self._frames: deque[bytes] = deque()
        self._url = url
        self._stream_id = stream_id
        self._first_frame_timeout = first_frame_timeout
        self._on_first_frame = on_first_frame
        self._leader_change = (
            None if leader_change is None else asyncio.ensure_future(leader_change)
        )
        if self._leader_change is not None:
            self._leader_change.add_done_callback(lambda _: self._body.wake())
        self._opened_at = self._loop.time()
        self._last_activity = self._opened_at
        self._seen_frame = False
        self._heartbeat_interval: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._ended: SubscriptionEnded | None = None
        self._closed = False
        self._arm_watchdog()

    @property
    def url(self) -> str:
        """The endpoint streaming the events (after any redirect)."""
        return self._url

    @property
    def stream_id(self) -> str | None:
        """The `Mesos-Stream-Id` the master gave this stream."""
        return self._stream_id

    @property
    def ended(self) -> SubscriptionEnded | None:
        """Why the stream ended, once it has."""
        return self._ended

    def set_heartbeat_interval(self, seconds: float) -> None:
        """Arm the watchdog: the stream ends after 5 intervals without a frame."""
        self._heartbeat_interval = number("seconds", seconds, above=True)
        self._last_activity = self._loop.time()
        self._arm_watchdog()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        while not self._frames:
            if self._ended is not None:
                raise self._ended
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

    def _deadline(self) -> float | None:
        """When the watchdog fires; None while it is not armed."""
        if self._heartbeat_interval is not None:
            return self._last_activity + self._heartbeat_interval * MISSED_HEARTBEATS_ALLOWED
        if not self._seen_frame:
            return self._opened_at + self._first_frame_timeout
        return None

    def _arm_watchdog(self) -> None:
        """Wake the reader at the deadline (a frame since then moves it: checked on waking)."""
        if self._watchdog is not None:
            self._watchdog.cancel()
        deadline = self._deadline()
        self._watchdog = None if deadline is None else self._loop.call_at(deadline, self._body.wake)

    def _overdue(self) -> str | None:
        """What the watchdog says if its deadline passed; else None (it is armed again)."""
        deadline = self._deadline()
        if deadline is None:
            return None
        if self._loop.time() < deadline:
            if self._watchdog is None or self._watchdog.when() != deadline:
                self._arm_watchdog()
            return None
        if self._heartbeat_interval is None:
            return f"no first frame within {self._first_frame_timeout:.1f} s"
        grace = self._heartbeat_interval * MISSED_HEARTBEATS_ALLOWED
        return f"no frame for {grace:.1f} s, {MISSED_HEARTBEATS_ALLOWED} heartbeat intervals"

    async def _next_chunk(self) -> bytes:
        """The next bytes of the body; ends the stream (raising why) when there are none."""
        body = self._body
        while True:
            if self._closed:
                raise StopAsyncIteration
            try:
                chunk = body.take()
            except HttpError as exc:
                reason = EndReason.CONNECTION_LOST
                if self._decoder.has_partial_frame:
                    reason = EndReason.CUT_MID_FRAME
                await self._end(reason, f"{type(exc).__name__}: {exc}")
            if chunk:
                return chunk
            if chunk is None:
                if self._decoder.has_partial_frame:
                    await self._end(EndReason.CUT_MID_FRAME, "end of stream")
                await self._end(EndReason.CLOSED_BY_PEER)
            if self._leader_change is not None and self._leader_change.done():
                await self._end(EndReason.LEADER_CHANGED, self._leader_change_detail())
            overdue = self._overdue()
            if overdue is not None:
                await self._end(EndReason.HEARTBEAT_MISSED, overdue)
            await body.wait()

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
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        change = self._leader_change
        if change is not None:
            if not change.done():
                change.cancel()
                await asyncio.wait({change})
            elif not change.cancelled():
                change.exception()  # retrieved, so asyncio does not report it as lost
        self._answer.close()
