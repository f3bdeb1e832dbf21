"""What the scheduler's connection to the master is built on: POST with bounded 307s, retries,
typed errors, and event streams, over a :class:`~.exchange.Transport`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from types import TracebackType
from typing import TypeVar
from urllib.parse import urljoin

from frameworkkit.loops import time_limit
from frameworkkit.protocol.recordio import RecordIODecoder

from .backoff import Backoff
from .errors import (
    EXCERPT_BYTES,
    ConnectionFailed,
    RedirectLoop,
    RequestRejected,
    RetriesExhausted,
    RetryableError,
    SubscriptionEnded,
    TemporarilyUnavailable,
    excerpt,
)
from .exchange import HttpAnswer, HttpRequest, Transport
from .http1 import HttpError
from .http1_async import HttpTransport
from .options import TransportOptions
from .stream import Subscription

__all__ = ["JSON_HEADERS", "ApiClient", "resolve_options", "with_retries"]

log = logging.getLogger("frameworkkit.transport")

JSON_HEADERS: Mapping[str, str] = {
    "Content-Type": "application/json",
    "Accept": "application/json",
}

T = TypeVar("T")


def resolve_options(options: TransportOptions | None) -> TransportOptions:
    """`options`, or the defaults when None; anything else is refused."""
    if options is None:
        return TransportOptions()
    if not isinstance(options, TransportOptions):
        raise TypeError(f"options: expected TransportOptions, got {type(options).__name__}")
    return options


async def with_retries(
    action: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    backoff: Backoff,
    max_attempts: int | None,
) -> T:
    """Run `attempt` until it succeeds, sleeping a backoff delay after each retryable failure.

    Raises `RetriesExhausted` after `max_attempts` failures (never, if None); other errors
    pass through at once.
    """
    failures = 0
    while True:
        try:
            return await attempt()
        except RetryableError as exc:
            failures += 1
            if max_attempts is not None and failures >= max_attempts:
                log.error("%s failed %d times; giving up: %s", action, failures, exc)
                raise RetriesExhausted(action, failures, exc) from exc
            delay = backoff.next_delay()
            log.warning("%s failed: %s; next retry in %.1f s", action, exc, delay)
            await backoff.policy.sleep(delay)


_Client = TypeVar("_Client", bound="ApiClient")


class ApiClient:
    """Base of the master client: a transport (the network unless one is given), and the
    headers every request carries (JSON, and the options' basic auth)."""

    def __init__(self, options: TransportOptions | None, *, transport: Transport | None) -> None:
        if transport is not None and not isinstance(transport, Transport):
            raise TypeError(
                f"transport: expected a frameworkkit.transport.Transport, "
                f"got {type(transport).__name__}"
            )
        self.options = resolve_options(options)
        self._transport = transport or HttpTransport(
            tls=self.options.ssl_context,
            connect_timeout=self.options.connect_timeout,
            answer_timeout=self.options.request_timeout,
        )
        authorization = self.options.authorization()
        self._headers: Mapping[str, str] = (
            JSON_HEADERS
            if authorization is None
            else {**JSON_HEADERS, "Authorization": authorization.reveal()}
        )
        self._subscribe_backoff = self.options.backoff.start()
        self._subscription: Subscription | None = None

    async def aclose(self) -> None:
        """Close the open subscription, if any, and every connection of this client."""
        if self._subscription is not None:
            await self._subscription.aclose()
        await self._transport.aclose()

    async def __aenter__(self: _Client) -> _Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _open_stream(
        self, action: str, attempt: Callable[[], Awaitable[Subscription]]
    ) -> Subscription:
        """Run a subscribe `attempt` with retries, replacing the open subscription.

        After a stream that ended by itself, wait a backoff delay first, so a master that
        keeps dropping streams is not hammered.
        """
        previous, self._subscription = self._subscription, None
        if previous is not None:
            await previous.aclose()
            if previous.ended is not None:
                self._stream_ended(previous.ended)
                delay = self._subscribe_backoff.next_delay()
                log.info("%s again in %.1f s", action, delay)
                await self.options.backoff.sleep(delay)
        self._subscription = await with_retries(
            action,
            attempt,
            backoff=self._subscribe_backoff,
            max_attempts=self.options.subscribe_attempts,
        )
        return self._subscription

    def _stream_ended(self, ended: SubscriptionEnded) -> None:
        """A subscription ended by itself (the next one is about to be opened)."""

    def _wrap_stream(
        self,
        answer: HttpAnswer,
        url: str,
        *,
        stream_id: str | None,
        leader_change: Awaitable[str] | None = None,
    ) -> Subscription:
        """Wrap a 200 answer to SUBSCRIBE; its first frame resets the subscribe backoff."""
        return Subscription(
            answer,
            url=url,
            stream_id=stream_id,
            decoder=RecordIODecoder(self.options.max_frame_bytes),
            first_frame_timeout=self.options.request_timeout,
            on_first_frame=self._subscribe_backoff.reset,
            leader_change=leader_change,
        )

    async def _call(self, url: str, body: bytes, headers: Mapping[str, str]) -> bytes:
        """POST a call expecting 202 Accepted or 200 OK, with retries; return the answer body."""

        async def attempt() -> bytes:
            answer, _ = await self._post(url, body, headers=headers, ok=(200, 202))
            return answer.content

        return await with_retries(
            f"call to {url}",
            attempt,
            backoff=self.options.backoff.start(),
            max_attempts=self.options.call_attempts,
        )

    async def _post(
        self,
        url: str,
        body: bytes,
        *,
        headers: Mapping[str, str],
        ok: Collection[int],
        streaming: bool = False,
    ) -> tuple[HttpAnswer, str]:
        """POST `body` to `url`; return the answer whose status is in `ok`, and its URL.

        A streamed answer comes back open once its head arrived (the subscription watches its
        body); otherwise the body is read. Each attempt, redirects apart, must be answered
        within the request timeout. Raises `ConnectionFailed`, `TemporarilyUnavailable`,
        `RedirectLoop` (all retryable) or `RequestRejected`.
        """
        chain = [url]
        while True:
            request = HttpRequest("POST", url, headers, body, streaming)
            try:
                # the answer's head must come in time, even when its body is a stream: a frozen
                # master that accepted the connection must not hold the subscriber forever
                async with time_limit(self.options.request_timeout):
                    answer = await self._transport.handle(request)
                    if answer.status in ok:
                        if not streaming and answer.stream is not None:
                            await answer.read()
                        return answer, url
                    quoted = await _read_excerpt(answer)
            except HttpError as exc:
                raise ConnectionFailed(url, exc) from exc
            except (TimeoutError, asyncio.TimeoutError):  # one class from Python 3.11
                silent = TimeoutError(f"no answer within {self.options.request_timeout:g} s")
                raise ConnectionFailed(url, silent) from None
            if answer.status == 503:
                raise TemporarilyUnavailable(url, quoted)
            location = answer.headers.get("location")
            if answer.status != 307 or not location:
                raise RequestRejected(url, answer.status, quoted)
            target = urljoin(url, location)
            chain.append(target)
            if len(chain) > self.options.max_redirects + 1:
                raise RedirectLoop(chain)
            log.info("%s redirected to %s", url, target)
            url = target


async def _read_excerpt(answer: HttpAnswer) -> str:
    """The start of an unwanted answer's body, for the error message; closes the answer."""
    collected = answer.content
    if answer.stream is not None:
        try:
            async for chunk in answer.stream.chunks():
                collected += chunk
                if len(collected) >= EXCERPT_BYTES:
                    break
        except HttpError:
            pass
        finally:
            answer.close()
    return excerpt(collected)
