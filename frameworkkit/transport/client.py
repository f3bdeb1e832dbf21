"""What the master and agent clients share: POST with bounded 307s, retries, event streams."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from types import TracebackType
from typing import TypeVar

import httpx

from frameworkkit.loops import time_limit
from frameworkkit.protocol.recordio import RecordIODecoder

from .backoff import Backoff
from .errors import (
    ConnectionFailed,
    RedirectLoop,
    RequestRejected,
    RetriesExhausted,
    RetryableError,
    SubscriptionEnded,
    TemporarilyUnavailable,
)
from .options import TransportOptions
from .stream import Subscription

__all__ = ["JSON_HEADERS", "ApiClient", "resolve_options", "with_retries"]

log = logging.getLogger("frameworkkit.transport")

JSON_HEADERS: Mapping[str, str] = {
    "Content-Type": "application/json",
    "Accept": "application/json",
}
_EXCERPT_BYTES = 300

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
    """Base of the master and agent clients: one HTTP client with the options' auth and TLS."""

    def __init__(
        self,
        options: TransportOptions | None,
        *,
        auth: httpx.Auth | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                f"transport: expected httpx.AsyncBaseTransport, got {type(transport).__name__}"
            )
        self.options = resolve_options(options)
        self._http = httpx.AsyncClient(
            auth=auth,
            verify=self.options.ssl_context(),
            timeout=self.options.timeout(),
            transport=transport,
            follow_redirects=False,
        )
        self._subscribe_backoff = self.options.backoff.start()
        self._subscription: Subscription | None = None

    async def aclose(self) -> None:
        """Close the open subscription, if any, and every connection of this client."""
        if self._subscription is not None:
            await self._subscription.aclose()
        await self._http.aclose()

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
        response: httpx.Response,
        url: str,
        *,
        stream_id: str | None,
        leader_change: Awaitable[str] | None = None,
    ) -> Subscription:
        """Wrap a 200 answer to SUBSCRIBE; its first frame resets the subscribe backoff."""
        return Subscription(
            response,
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
            response, _ = await self._post(url, body, headers=headers, ok=(200, 202))
            return response.content

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
    ) -> tuple[httpx.Response, str]:
        """POST `body` to `url`; return the response whose status is in `ok`, and its URL.

        A streaming response comes back open and without a read timeout (the subscription
        watches it); otherwise the body is read. Raises `ConnectionFailed`,
        `TemporarilyUnavailable`, `RedirectLoop` (all retryable) or `RequestRejected`.
        """
        timeout = (
            httpx.Timeout(None, connect=self.options.connect_timeout)
            if streaming
            else self.options.timeout()
        )
        chain = [url]
        while True:
            request = self._http.build_request(
                "POST", url, content=body, headers=headers, timeout=timeout
            )
            try:
                # the answer's head must come in time, even when its body is a stream: a frozen
                # master that accepted the connection must not hold the subscriber forever
                async with time_limit(self.options.request_timeout):
                    response = await self._http.send(request, stream=True)
                if response.status_code in ok:
                    if not streaming:
                        await response.aread()
                    return response, url
            except httpx.TransportError as exc:
                raise ConnectionFailed(url, exc) from exc
            except (TimeoutError, asyncio.TimeoutError):  # one class from Python 3.11
                silent = TimeoutError(f"no answer within {self.options.request_timeout:g} s")
                raise ConnectionFailed(url, silent) from None
            excerpt = await _read_excerpt(response)
            if response.status_code == 503:
                raise TemporarilyUnavailable(url, excerpt)
            location = response.headers.get("Location")
            if response.status_code != 307 or not location:
                raise RequestRejected(url, response.status_code, excerpt)
            target = str(httpx.URL(url).join(location))
            chain.append(target)
            if len(chain) > self.options.max_redirects + 1:
                raise RedirectLoop(chain)
            log.info("%s redirected to %s", url, target)
            url = target


async def _read_excerpt(response: httpx.Response) -> str:
    """Read the start of an unwanted answer's body for the error message, then close it."""
    collected = b""
    try:
        async for chunk in response.aiter_bytes():
            collected += chunk
            if len(collected) >= _EXCERPT_BYTES:
                break
    except (httpx.HTTPError, httpx.StreamError):
        pass
    finally:
        await response.aclose()
    return collected[:_EXCERPT_BYTES].decode("utf-8", errors="replace")
