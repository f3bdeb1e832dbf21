"""The executor's connection to its agent (v1 executor API), blocking, on the standard library.

An executor starts once per task, so this path stays light: :class:`AgentConnection` speaks
HTTP/1.1 through :mod:`.http1` and imports neither httpx nor asyncio. It makes one attempt per
call; the executor client (:mod:`frameworkkit.executor.client`) decides about retries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from frameworkkit._log import get_logger
from frameworkkit.protocol.recordio import DEFAULT_MAX_FRAME_BYTES, RecordIODecoder, RecordIOError
from frameworkkit.validation import binary, number, whole_number

from .errors import (
    EXCERPT_BYTES,
    ConnectionFailed,
    EndReason,
    RequestRejected,
    SubscriptionEnded,
    TemporarilyUnavailable,
    excerpt,
)
from .http1 import HttpClient, HttpError, HttpResponse, HttpTimeout, bearer_auth
from .secret import Secret

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    import ssl

__all__ = ["EXECUTOR_API_PATH", "AgentConnection", "AgentStream", "executor_endpoint"]

log = get_logger("frameworkkit.transport")

EXECUTOR_API_PATH = "/api/v1/executor"
JSON_HEADERS: Mapping[str, str] = {
    "Content-Type": "application/json",
    "Accept": "application/json",
}
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0


def executor_endpoint(slave_pid: str, *, scheme: str = "http") -> str:
    """The executor API URL of the agent process named by `MESOS_SLAVE_PID`.

    ``slave(1)@10.0.0.5:5051`` gives ``http://10.0.0.5:5051/slave(1)/api/v1/executor``: the
    prefixed path reaches the right agent even when several share one address.
    """
    if not isinstance(slave_pid, str):
        raise TypeError(f"slave_pid: expected str, got {type(slave_pid).__name__}")
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme: expected 'http' or 'https', got {scheme!r}")
    process_id, at, address = slave_pid.strip().partition("@")
    host, colon, port = address.rpartition(":")
    if not (process_id and at and host and colon and port.isascii() and port.isdigit()):
        raise ValueError(
            f"slave_pid: expected id@ip:port, e.g. slave(1)@10.0.0.5:5051, got {slave_pid!r}"
        )
    return f"{scheme}://{address}/{process_id}{EXECUTOR_API_PATH}"


class AgentStream:
    """The agent's event stream: iterate it for raw RecordIO frames, one event each.

    However the stream ends, the next read raises :class:`SubscriptionEnded` with the reason;
    after :meth:`close` (safe from any thread, it wakes a blocked read) iteration just stops.
    Until the first frame each read is bounded by ``first_frame_timeout``; after it, reads wait
    as long as the connection lives.
    """

    def __init__(
        self,
        response: HttpResponse,
        *,
        url: str,
        first_frame_timeout: float,
        max_frame_bytes: int,
    ) -> None:
        self.url = url
        self._response = response
        self._first_frame_timeout = first_frame_timeout
        self._decoder = RecordIODecoder(max_frame_bytes)
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        self._response.set_timeout(self._first_frame_timeout)
        seen_frame = False
        try:
            for chunk in self._response.chunks():
                frames = self._decoder.feed(chunk)
                if frames and not seen_frame:
                    seen_frame = True
                    self._response.set_timeout(None)
                yield from frames
        except HttpTimeout:
            self._end(EndReason.HEARTBEAT_MISSED, f"no first frame within {self._timeout_text}")
        except HttpError as exc:
            self._end(self._broken_reason(EndReason.CONNECTION_LOST), str(exc))
        except RecordIOError as exc:
            self._end(EndReason.BAD_FRAME, str(exc))
        self._end(self._broken_reason(EndReason.CLOSED_BY_PEER))

    def close(self) -> None:
        """Stop reading and drop the connection."""
        self._closed = True
        self._response.close()

    @property
    def _timeout_text(self) -> str:
        return f"{self._first_frame_timeout:.1f} s"

    def _broken_reason(self, otherwise: EndReason) -> EndReason:
        return EndReason.CUT_MID_FRAME if self._decoder.has_partial_frame else otherwise

    def _end(self, reason: EndReason, detail: str = "") -> None:
        """Raise why the stream ended, unless it was closed on purpose (then return)."""
        self._response.close()
        if self._closed:
            return
        error = SubscriptionEnded(reason, self.url, detail)
        log.warning("%s", error)
        raise error


class AgentConnection:
    """Talks to the agent running this executor: a SUBSCRIBE stream, and calls.

    Blocking and thread-safe: read the stream in one thread while another sends calls. Build it
    with :meth:`from_environment` inside an executor the agent launched, or from an
    :func:`executor_endpoint` URL. ``auth_token`` is sent as a bearer token; ``ssl_context``
    serves an https endpoint. Failures raise :class:`~.errors.TransportError` subclasses:
    ``ConnectionFailed`` and ``TemporarilyUnavailable`` (503) are worth retrying,
    ``RequestRejected`` is not.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        auth_token: Secret | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint: expected an http(s) URL, got {endpoint!r}")
        if auth_token is not None and not isinstance(auth_token, Secret):
            raise TypeError("auth_token: wrap the value in Secret(...) so it stays out of logs")
        scheme, _, rest = endpoint.partition("://")
        address, slash, path = rest.partition("/")
        if not slash:
            raise ValueError(f"endpoint: expected a path after the address, got {endpoint!r}")
        self.endpoint = endpoint
        self._path = "/" + path
        self._request_timeout = number("request_timeout", request_timeout, above=True)
        self._max_frame_bytes = whole_number("max_frame_bytes", max_frame_bytes, minimum=1)
        self._http = HttpClient(
            f"{scheme}://{address}",
            authorization=None if auth_token is None else bearer_auth(auth_token),
            ssl_context=ssl_context,
            timeout=self._request_timeout,
            connect_timeout=connect_timeout,
        )

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> AgentConnection:
        """Connect as the agent told this process: `MESOS_SLAVE_PID` names the agent and
        `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, when set, authenticates the executor; https
        when an ``ssl_context`` is given."""
        env = os.environ if environ is None else environ
        slave_pid = env.get("MESOS_SLAVE_PID")
        if not slave_pid:
            raise ValueError(
                "MESOS_SLAVE_PID: not set; an agent sets it for the executors it starts"
            )
        token = env.get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
        return cls(
            executor_endpoint(slave_pid, scheme="http" if ssl_context is None else "https"),
            auth_token=Secret(token) if token else None,
            ssl_context=ssl_context,
            connect_timeout=connect_timeout,
            request_timeout=request_timeout,
        )

    def __repr__(self) -> str:
        return f"AgentConnection({self.endpoint!r})"

    def subscribe(self, body: bytes, timeout: float | None = None) -> AgentStream:
        """POST a SUBSCRIBE call and return the event stream once the agent answered 200.

        ``timeout`` (default: the request timeout) also bounds the wait for the first frame.
        """
        binary("body", body)
        wait = self._request_timeout if timeout is None else min(timeout, self._request_timeout)
        log.info("subscribing to agent %s", self.endpoint)
        response = self._post(body, ok=(200,), stream=True)
        log.info("subscribed to agent %s", self.endpoint)
        return AgentStream(
            response,
            url=self.endpoint,
            first_frame_timeout=max(wait, 0.001),
            max_frame_bytes=self._max_frame_bytes,
        )

    def call(self, body: bytes) -> bytes:
        """POST a call other than SUBSCRIBE (UPDATE, MESSAGE); returns the answer's body."""
        binary("body", body)
        return self._post(body, ok=(200, 202), stream=False).read()

    def close(self) -> None:
        """Close the idle connections (a stream closes with its own ``close``)."""
        self._http.close()

    def _post(self, body: bytes, *, ok: tuple[int, ...], stream: bool) -> HttpResponse:
        try:
            if stream:
                response = self._http.stream("POST", self._path, body, JSON_HEADERS)
            else:
                response = self._http.request("POST", self._path, body, JSON_HEADERS)
        except HttpError as exc:
            raise ConnectionFailed(self.endpoint, exc) from exc
        if response.status in ok:
            return response
        quoted = _excerpt(response)
        if response.status == 503:
            raise TemporarilyUnavailable(self.endpoint, quoted)
        raise RequestRejected(self.endpoint, response.status, quoted)


def _excerpt(response: HttpResponse) -> str:
    """The start of an unwanted answer's body, for the error message; closes the answer."""
    collected = b""
    try:
        for chunk in response.chunks():
            collected += chunk
            if len(collected) >= EXCERPT_BYTES:
                break
    except HttpError:
        pass
    finally:
        response.close()
    return excerpt(collected)
