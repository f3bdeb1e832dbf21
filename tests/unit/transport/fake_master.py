"""A unit-test seam for transport edge cases a real master cannot be made to produce.

`FakeMaster` is a `Transport` handed to the clients in place of the network: each test scripts
the answers (a cut frame, a 307 loop, a 503 storm, a silent stream) with a handler and reads back
the requests it received. Real Mesos behaviour is covered by the integration tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Literal
from urllib.parse import urlsplit

from frameworkkit.protocol.recordio import encode_record
from frameworkkit.transport import HttpAnswer, HttpRequest, StreamBody, Transport
from frameworkkit.transport.http1 import HttpError

Handler = Callable[[HttpRequest], HttpAnswer]
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


class ScriptedBody(StreamBody):
    """A streamed body sent in the given chunks, then ended, broken, or held open.

    An `asyncio.Event` among the chunks holds the rest back until the test sets it. The script
    plays once `FakeMaster` hands the answer out.
    """

    def __init__(self, chunks: Sequence[bytes | asyncio.Event], *, then: Ending) -> None:
        super().__init__(on_close=self._stop)
        self.chunks = list(chunks)
        self.then = then
        self._player: asyncio.Task[None] | None = None

    def play(self) -> None:
        if self._player is None:
            self._player = asyncio.get_running_loop().create_task(self._play())

    async def _play(self) -> None:
        for chunk in self.chunks:
            if isinstance(chunk, asyncio.Event):
                await chunk.wait()
                continue
            await asyncio.sleep(0)
            self.feed(chunk)
        if self.then == "end":
            self.finish()
        elif self.then == "break":
            self.finish(HttpError("connection reset by peer"))

    def _stop(self) -> None:
        if self._player is not None:
            self._player.cancel()


def stream(
    chunks: Sequence[bytes | asyncio.Event],
    *,
    then: Ending = "hang",
    stream_id: str | None = "stream-1",
) -> HttpAnswer:
    """A 200 answer to SUBSCRIBE streaming `chunks` (already framed or deliberately broken)."""
    return streamed(ScriptedBody(chunks, then=then), stream_id=stream_id)


def streamed(body: StreamBody, *, stream_id: str | None = "stream-1") -> HttpAnswer:
    """A 200 answer to SUBSCRIBE whose events come through `body`."""
    headers = {"Content-Type": "application/json"}
    if stream_id is not None:
        headers["Mesos-Stream-Id"] = stream_id
    return HttpAnswer(200, headers, stream=body)


def framed(*payloads: bytes) -> bytes:
    """Payloads in RecordIO framing, back to back."""
    return b"".join(encode_record(payload) for payload in payloads)


def redirect(location: str) -> HttpAnswer:
    """A 307 Temporary Redirect, as a non-leading master sends."""
    return HttpAnswer(307, {"Location": location})


def host_of(request: HttpRequest) -> str:
    """``host:port`` the request went to."""
    return urlsplit(request.url).netloc


def call_type(request: HttpRequest) -> str:
    return str(json.loads(request.body)["type"])


class FakeMaster(Transport):
    """Answers every request with `handler(request)` and keeps the requests for inspection."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []

    async def handle(self, request: HttpRequest) -> HttpAnswer:
        self.requests.append(request)
        answer = self.handler(request)
        if isinstance(answer.stream, ScriptedBody):
            answer.stream.play()
        return answer

    def hosts(self) -> list[str]:
        """``host:port`` of each request, in order."""
        return [host_of(request) for request in self.requests]
