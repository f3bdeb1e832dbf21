"""The scheduler's connection to the leading master (v1 scheduler API)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial

from frameworkkit.validation import binary

from .client import ApiClient, resolve_options
from .detector import MasterDetector, detector_for
from .errors import (
    ConnectionFailed,
    EndReason,
    RequestRejected,
    RetryableError,
    SubscriptionEnded,
    TransportError,
    excerpt,
)
from .exchange import HttpAnswer, HttpRequest, Transport
from .http1 import HttpError
from .options import TransportOptions
from .stream import Subscription

__all__ = ["SCHEDULER_API_PATH", "STREAM_ID_HEADER", "MesosConnection"]

log = logging.getLogger("frameworkkit.transport")

SCHEDULER_API_PATH = "/api/v1/scheduler"
STREAM_ID_HEADER = "Mesos-Stream-Id"


class MesosConnection(ApiClient):
    """Talks to the leading Mesos master: one SUBSCRIBE stream, then calls on that stream.

    `master` is a detector, a ``zk://`` URL, or master addresses (``host:port`` or URLs, a list
    or comma-separated). Calls go out through `transport` (default: an
    :class:`~.http1_async.HttpTransport`, the network); pass another to run against an
    in-process peer in tests.
    """

    def __init__(
        self,
        master: str | Sequence[str] | MasterDetector,
        *,
        options: TransportOptions | None = None,
        transport: Transport | None = None,
    ) -> None:
        options = resolve_options(options)
        if isinstance(master, MasterDetector):
            self._detector, self._owns_detector = master, False
        else:
            self._detector, self._owns_detector = detector_for(master, tls=options.tls), True
        super().__init__(options, transport=transport)
        self._endpoint: str | None = None
        self._stream_id: str | None = None
        self._call_headers = self._headers

    def __repr__(self) -> str:
        return f"MesosConnection({self._detector!r})"

    @property
    def detector(self) -> MasterDetector:
        """How the leading master is found."""
        return self._detector

    @property
    def master(self) -> str | None:
        """Base URL of the master holding the current subscription."""
        return None if self._endpoint is None else self._endpoint.removesuffix(SCHEDULER_API_PATH)

    @property
    def stream_id(self) -> str | None:
        """The current subscription's `Mesos-Stream-Id`; later calls carry it."""
        return self._stream_id

    async def subscribe(self, body: bytes) -> Subscription:
        """POST a SUBSCRIBE call and return the event stream of raw RecordIO frames.

        Follows 307s to the leader; retries 503s, unreachable masters and redirect loops
        through the backoff (`options.subscribe_attempts` times, forever if None, then
        `RetriesExhausted`); raises `RequestRejected` for other statuses. Called again after
        a stream ended, it waits one backoff delay first.
        """
        binary("body", body)
        self._endpoint = self._stream_id = None
        subscription = await self._open_stream("SUBSCRIBE", partial(self._subscribe_once, body))
        self._endpoint, self._stream_id = subscription.url, subscription.stream_id
        self._call_headers = {**self._headers, STREAM_ID_HEADER: subscription.stream_id or ""}
        return subscription

    async def call(self, body: bytes) -> bytes:
        """POST a call other than SUBSCRIBE to the subscribed master, with its stream id.

        Returns the answer's body (empty for 202 Accepted). Retries like `subscribe()` up to
        `options.call_attempts` times; raises `RequestRejected` (e.g. 400 for a bad call).
        """
        binary("body", body)
        return await self._call(self._subscribed_endpoint(), body, self._call_headers)

    def call_soon(
        self, body: bytes, on_failure: Callable[[TransportError], None]
    ) -> asyncio.Future[HttpAnswer] | None:
        """POST a call once, without waiting for its answer and without retries: for calls
        whose loss Mesos repairs by itself, like ACKNOWLEDGE (an update not acknowledged is
        sent again). ``on_failure`` hears of an error, or of an answer other than 200/202,
        on the event loop. Returns the answer's future (None when there is no subscription to
        send it on). Call on the event loop."""
        binary("body", body)
        try:
            url = self._subscribed_endpoint()
        except TransportError as exc:
            on_failure(exc)
            return None
        answer = self._transport.handle_soon(HttpRequest("POST", url, self._call_headers, body))
        answer.add_done_callback(partial(_report_failure, url, on_failure))
        return answer

    def _subscribed_endpoint(self) -> str:
        """Where calls go: the URL of the current subscription."""
        if self._endpoint is None or self._stream_id is None:
            raise TransportError("call: no subscription yet; subscribe() first")
        return self._endpoint

    async def aclose(self) -> None:
        await super().aclose()
        if self._owns_detector:
            await self._detector.aclose()

    def _stream_ended(self, ended: SubscriptionEnded) -> None:
        """A master that stopped sending (missed heartbeats) may be frozen: try another."""
        if ended.reason is EndReason.HEARTBEAT_MISSED:
            self._detector.report_failure(ended.url.removesuffix(SCHEDULER_API_PATH))

    async def _subscribe_once(self, body: bytes) -> Subscription:
        master = await self._detector.leader()
        log.info("subscribing to master %s", master)
        try:
            answer, url = await self._post(
                master + SCHEDULER_API_PATH, body, headers=self._headers, ok=(200,), streaming=True
            )
        except RetryableError:
            self._detector.report_failure(master)
            raise
        stream_id = answer.headers.get(STREAM_ID_HEADER.lower())
        if not stream_id:
            answer.close()
            raise RequestRejected(url, answer.status, f"no {STREAM_ID_HEADER} header")
        log.info("subscribed to %s (%s %s)", url, STREAM_ID_HEADER, stream_id)
        return self._wrap_stream(
            answer,
            url,
            stream_id=stream_id,
            leader_change=self._detector.wait_for_change(master),
        )


def _report_failure(
    url: str, on_failure: Callable[[TransportError], None], answer: asyncio.Future[HttpAnswer]
) -> None:
    """Tell ``on_failure`` what went wrong with a call sent by ``call_soon``, if anything."""
    if answer.cancelled():
        return
    error = answer.exception()
    if isinstance(error, HttpError):
        on_failure(ConnectionFailed(url, error))
    elif error is not None:
        raise error
    elif answer.result().status not in (200, 202):
        result = answer.result()
        result.close()
        on_failure(RequestRejected(url, result.status, excerpt(result.content)))
