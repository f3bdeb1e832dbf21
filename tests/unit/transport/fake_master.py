"""A unit-test seam for transport edge cases a real master cannot be made to produce.

`FakeMaster` is an httpx transport handed to the clients in place of the network: each test
scripts the answers (a cut frame, a 307 loop, a 503 storm, a silent stream) with a handler and
reads back the requests it received. Real Mesos behaviour is covered by the integration tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Literal

import httpx

from frameworkkit.protocol.recordio import encode_record

Handler = Callable[[httpx.Request], httpx.Response]
Ending = Literal["end", "hang", "break"]


def event(kind: str, **fields: object) -> bytes:
    """A scheduler or executor event as the JSON a Mesos peer streams."""
    return json.dumps({"type": kind, **fields}).encode()


SUBSCRIBED = event(
    "SUBSCRIBED",
    subscribed={"framework_id": {"value": "fw-1"}, "heartbeat_interval_seconds": 15.0},
)
HEARTBEAT = event("HEARTBEAT")
SUBSCRIBE_CALL = json.dumps(
    {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "root", "name": "crunch"}}}
).encode()


class ScriptedBody(httpx.AsyncByteStream):
    """A response body sent in the given chunks, then ended, broken, or held open.

    An `asyncio.Event` among the chunks holds the rest back until the test sets it.
    """

    def __init__(self, chunks: Sequence[bytes | asyncio.Event], *, then: Ending) -> None:
        self.chunks = list(chunks)
        self.then = then
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            if isinstance(chunk, asyncio.Event):
                await chunk.wait()
                continue
            await asyncio.sleep(0)
            yield chunk
        if self.then == "hang":
            await asyncio.Event().wait()
        elif self.then == "break":
            raise httpx.ReadError("connection reset by peer")

    async def aclose(self) -> None:
        self.closed = True


def stream(
    chunks: Sequence[bytes | asyncio.Event],
    *,
    then: Ending = "hang",
    stream_id: str | None = "stream-1",
) -> httpx.Response:
    """A 200 answer to SUBSCRIBE streaming `chunks` (already framed or deliberately broken)."""
    headers = {"Content-Type": "application/json"}
    if stream_id is not None:
        headers["Mesos-Stream-Id"] = stream_id
    return httpx.Response(200, headers=headers, stream=ScriptedBody(chunks, then=then))


def framed(*payloads: bytes) -> bytes:
    """Payloads in RecordIO framing, back to back."""
    return b"".join(encode_record(payload) for payload in payloads)


def redirect(location: str) -> httpx.Response:
    """A 307 Temporary Redirect, as a non-leading master sends."""
    return httpx.Response(307, headers={"Location": location})


class FakeMaster(httpx.AsyncBaseTransport):
    """Answers every request with `handler(request)` and keeps the requests for inspection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return self.handler(request)

    def hosts(self) -> list[str]:
        """``host:port`` of each request, in order."""
        return [f"{request.url.host}:{request.url.port}" for request in self.requests]
