"""The executor's connection to its agent (v1 executor API)."""

from __future__ import annotations

import logging
import os
from collections.abc import Generator, Mapping
from functools import partial

import httpx

from frameworkkit.validation import binary

from .client import JSON_HEADERS, ApiClient, resolve_options
from .options import TransportOptions
from .secret import Secret
from .stream import Subscription

__all__ = ["EXECUTOR_API_PATH", "AgentConnection", "executor_endpoint"]

log = logging.getLogger("frameworkkit.transport")

EXECUTOR_API_PATH = "/api/v1/executor"


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


class _BearerAuth(httpx.Auth):
    """Sends the executor authentication token the agent handed out."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request


class AgentConnection(ApiClient):
    """Talks to the agent running this executor: one SUBSCRIBE stream, then calls.

    Executor calls carry no stream id. Build it with `from_environment()` inside an executor
    the agent launched, or from an `executor_endpoint()` URL.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        auth_token: Secret | None = None,
        options: TransportOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint: expected an http(s) URL, got {endpoint!r}")
        if auth_token is not None and not isinstance(auth_token, Secret):
            raise TypeError("auth_token: wrap the value in Secret(...) so it stays out of logs")
        auth = None if auth_token is None else _BearerAuth(auth_token)
        super().__init__(options, auth=auth, transport=transport)
        self.endpoint = endpoint

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        options: TransportOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AgentConnection:
        """Connect as the agent told this process: `MESOS_SLAVE_PID` names the agent and
        `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`, when set, authenticates the executor."""
        env = os.environ if environ is None else environ
        slave_pid = env.get("MESOS_SLAVE_PID")
        if not slave_pid:
            raise ValueError(
                "MESOS_SLAVE_PID: not set; an agent sets it for the executors it starts"
            )
        scheme = resolve_options(options).scheme
        token = env.get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
        return cls(
            executor_endpoint(slave_pid, scheme=scheme),
            auth_token=Secret(token) if token else None,
            options=options,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"AgentConnection({self.endpoint!r})"

    async def subscribe(self, body: bytes) -> Subscription:
        """POST a SUBSCRIBE call and return the event stream of raw RecordIO frames.

        Retries 503s and an unreachable agent (e.g. one restarting) through the backoff
        (`options.subscribe_attempts` times, forever if None, then `RetriesExhausted`).
        Called again after a stream ended, it waits one backoff delay first.
        """
        binary("body", body)
        return await self._open_stream("SUBSCRIBE", partial(self._subscribe_once, body))

    async def call(self, body: bytes) -> bytes:
        """POST a call other than SUBSCRIBE (UPDATE, MESSAGE); returns the answer body."""
        binary("body", body)
        return await self._call(self.endpoint, body, JSON_HEADERS)

    async def _subscribe_once(self, body: bytes) -> Subscription:
        log.info("subscribing to agent %s", self.endpoint)
        response, url = await self._post(
            self.endpoint, body, headers=JSON_HEADERS, ok=(200,), streaming=True
        )
        log.info("subscribed to agent %s", url)
        return self._wrap_stream(response, url, stream_id=None)
