"""Keeping a scheduler subscribed: subscribe, read events, resubscribe; send calls meanwhile.

:class:`SubscriptionLoop` is the short control loop under both :class:`~frameworkkit.Framework`
and the pymesos-compatible driver. It decodes each frame (a frame that does not decode is logged
and skipped), arms the heartbeat watchdog from SUBSCRIBED, remembers the framework id Mesos
gave, and hands every event to its handler; when the stream ends for any reason it tells the
handler and subscribes again through the transport's backoff. What an event means is the
handler's business, with one exception lifted here: a master that answers SUBSCRIBE with an
ERROR instead of SUBSCRIBED (an ACL that denies the framework's role, say) several times in a
row has refused the framework for good, and the loop ends with :class:`SubscriptionRefused`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from frameworkkit.protocol.codec import DecodeError, decode_scheduler_event, encode_call
from frameworkkit.protocol.events import SchedulerEvent
from frameworkkit.transport import MesosConnection, SubscriptionEnded, TransportError

log = logging.getLogger("frameworkkit.scheduler")


class EventHandler(Protocol):
    """What a :class:`SubscriptionLoop` tells its owner."""

    async def on_event(self, event: SchedulerEvent) -> None:
        """An event arrived (SUBSCRIBED first on every subscription)."""

    async def on_disconnected(self, ended: SubscriptionEnded) -> None:
        """The stream ended while subscribed; the loop subscribes again next."""


MAX_REFUSALS = 3
"""SUBSCRIBE calls answered by an ERROR in a row before the loop gives up."""


class SubscriptionTimeout(TransportError):
    """No master could be subscribed to within the time the loop was given."""


class SubscriptionRefused(TransportError):
    """The master answered SUBSCRIBE with an ERROR event each time (``message`` is its text)."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(f"the master refused the subscription {attempts} times: {message}")
        self.message = message


class SubscriptionLoop:
    """One scheduler's subscription to the leading master, kept up until :meth:`close`.

    ``subscribe_call`` builds the SUBSCRIBE call afresh for each attempt (so it carries the
    framework id once Mesos gave one). ``subscribe_timeout`` bounds each attempt to subscribe
    (None: the transport retries forever, as its options say).
    """

    def __init__(
        self,
        connection: MesosConnection,
        subscribe_call: Callable[[], dict[str, Any]],
        handler: EventHandler,
        *,
        subscribe_timeout: float | None = None,
    ) -> None:
        self.connection = connection
        self.framework_id: str | None = None
        self.subscribed = False
        self._subscribe_call = subscribe_call
        self._handler = handler
        self._timeout = subscribe_timeout
        self._closing = False
        self._refusals = 0
        self._refusal: str | None = None  # the ERROR of the current stream, before SUBSCRIBED

    async def run(self) -> None:
        """Subscribe and dispatch events until :meth:`close`; raise what makes subscribing
        impossible (refused credentials, exhausted retries, :class:`SubscriptionTimeout`)."""
        while not self._closing:
            subscription = await self._subscribe()
            self._refusal = None
            try:
                async for frame in subscription:
                    await self._dispatch(frame, subscription)
            except SubscriptionEnded as ended:
                was_subscribed, self.subscribed = self.subscribed, False
                if self._closing:
                    return
                if was_subscribed:
                    await self._handler.on_disconnected(ended)
            finally:
                self.subscribed = False
                await subscription.aclose()
            self._count_refusal()

    async def call(self, call: dict[str, Any]) -> None:
        """Send a call on the current subscription (raises TransportError when there is none)."""
        await self.connection.call(encode_call(call))

    def call_soon(
        self, call: dict[str, Any], on_failure: Callable[[TransportError], None]
    ) -> asyncio.Future[Any] | None:
        """Send a call whose loss Mesos repairs (ACKNOWLEDGE) once, without waiting; see
        :meth:`MesosConnection.call_soon`."""
        return self.connection.call_soon(encode_call(call), on_failure)

    def close(self) -> None:
        """Expect the stream to end: :meth:`run` returns instead of subscribing again."""
        self._closing = True

    def _count_refusal(self) -> None:
        if self._refusal is None or self._closing:
            return
        self._refusals += 1
        if self._refusals >= MAX_REFUSALS:
            raise SubscriptionRefused(self._refusal, self._refusals)
        log.warning(
            "the master refused the subscription (%d of %d): %s",
            self._refusals,
            MAX_REFUSALS,
            self._refusal,
        )

    async def _subscribe(self) -> Any:
        body = encode_call(self._subscribe_call())
        if self._timeout is None:
            return await self.connection.subscribe(body)
        try:
            return await asyncio.wait_for(self.connection.subscribe(body), self._timeout)
        except asyncio.TimeoutError:
            raise SubscriptionTimeout(
                f"no master could be subscribed to within {self._timeout:g} s"
            ) from None

    async def _dispatch(self, frame: bytes, subscription: Any) -> None:
        try:
            event = decode_scheduler_event(frame)
        except DecodeError as exc:
            log.warning("skipping an event that does not decode: %s", exc)
            return
        if event.type == "SUBSCRIBED" and event.subscribed is not None:
            if event.subscribed.heartbeat_interval_seconds:
                subscription.set_heartbeat_interval(event.subscribed.heartbeat_interval_seconds)
            self.framework_id = event.subscribed.framework_id.value
            self.subscribed = True
            self._refusals = 0
        elif event.type == "ERROR" and event.error is not None and not self.subscribed:
            self._refusal = event.error.message
        try:
            await self._handler.on_event(event)
        except TransportError as exc:
            log.warning("a call failed while handling %s: %s", event.type, exc)
        except Exception:
            log.exception("handling %s failed", event.type)
