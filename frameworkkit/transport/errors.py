"""Typed failures of the transport: what went wrong, where, and whether a retry can help."""

from __future__ import annotations

import enum
from collections.abc import Sequence

EXCERPT_BYTES = 300
"""How much of an unwanted answer's body an error message quotes."""


def excerpt(body: bytes) -> str:
    """The start of an unwanted answer's body, as text for an error message."""
    return body[:EXCERPT_BYTES].decode("utf-8", errors="replace")


__all__ = [
    "ConnectionFailed",
    "EndReason",
    "RedirectLoop",
    "RequestRejected",
    "RetriesExhausted",
    "RetryableError",
    "SubscriptionEnded",
    "TemporarilyUnavailable",
    "TransportError",
]


class TransportError(Exception):
    """Base class of every error the transport raises."""


class RetryableError(TransportError):
    """A failure that a later attempt, after a backoff delay, may not meet again."""


class ConnectionFailed(RetryableError):
    """The peer could not be reached, or the connection broke before an answer."""

    def __init__(self, url: str, cause: BaseException) -> None:
        super().__init__(f"cannot reach {url}: {type(cause).__name__}: {cause}")
        self.url = url


class TemporarilyUnavailable(RetryableError):
    """The peer answered 503 Service Unavailable (e.g. a master still starting or electing)."""

    def __init__(self, url: str, body_excerpt: str) -> None:
        super().__init__(_answered(url, "503 Service Unavailable", body_excerpt))
        self.url = url
        self.body_excerpt = body_excerpt


class RedirectLoop(RetryableError):
    """307 redirects went on longer than allowed (e.g. masters pointing at each other)."""

    def __init__(self, chain: Sequence[str]) -> None:
        super().__init__(
            f"{len(chain) - 1} redirects without reaching a leader: {' -> '.join(chain)}"
        )
        self.chain = tuple(chain)


class RequestRejected(TransportError):
    """The peer refused the request with a status a retry will not change (4xx, 5xx but 503)."""

    def __init__(self, url: str, status: int, body_excerpt: str) -> None:
        super().__init__(_answered(url, f"HTTP {status}", body_excerpt))
        self.url = url
        self.status = status
        self.body_excerpt = body_excerpt


class RetriesExhausted(TransportError):
    """Every allowed attempt failed; `last_error` (also `__cause__`) says how the last one did."""

    def __init__(self, action: str, attempts: int, last_error: RetryableError) -> None:
        super().__init__(f"{action} failed {attempts} times; last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


class EndReason(enum.Enum):
    """Why a subscription stream ended. Every reason means: subscribe again."""

    CLOSED_BY_PEER = "the peer closed the stream"
    CUT_MID_FRAME = "the stream ended inside a RecordIO frame"
    BAD_FRAME = "the stream sent a bad or oversized RecordIO frame"
    CONNECTION_LOST = "the connection broke"
    HEARTBEAT_MISSED = "no frame arrived in time"
    LEADER_CHANGED = "another master became the leader"


class SubscriptionEnded(TransportError):
    """The event stream is over; the caller should subscribe again (through the backoff)."""

    def __init__(self, reason: EndReason, url: str, detail: str = "") -> None:
        message = f"subscription to {url} ended: {reason.value}"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.reason = reason
        self.url = url
        self.detail = detail


def _answered(url: str, status: str, body_excerpt: str) -> str:
    message = f"{url} answered {status}"
    return f"{message}: {body_excerpt!r}" if body_excerpt else message
