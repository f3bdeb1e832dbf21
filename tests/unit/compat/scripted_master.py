"""A unit-test seam: an in-process stand-in for the master's v1 scheduler API.

`ScriptedMaster` is a `Transport` handed to the compat driver in place of the network. The
driver runs on a thread of its own; the test thread pushes events into the open subscription with
`send()`, ends streams, and waits for the calls the driver made. How a real master answers is
covered by ``tests/integration/test_compat.py``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from frameworkkit.protocol.recordio import encode_record
from frameworkkit.transport import HttpAnswer, HttpRequest, StreamBody, Transport

WAIT_SECONDS = 10.0
MASTER_INFO = {
    "id": "master-1",
    "ip": 16777343,
    "port": 5050,
    "hostname": "master.example",
    "version": "1.11.0",
}


def subscribed(framework_id: str = "fw-1") -> dict[str, Any]:
    return {
        "type": "SUBSCRIBED",
        "subscribed": {
            "framework_id": {"value": framework_id},
            "heartbeat_interval_seconds": 15.0,
            "master_info": MASTER_INFO,
        },
    }


def offer(offer_id: str, agent_id: str = "agent-1", cpus: float = 2.0) -> dict[str, Any]:
    return {
        "id": {"value": offer_id},
        "framework_id": {"value": "fw-1"},
        "agent_id": {"value": agent_id},
        "hostname": "agent.example",
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024.0}},
        ],
    }


def offers(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "OFFERS", "offers": {"offers": list(items)}}


def update(
    task_id: str, state: str, *, uuid: bytes | None = None, agent_id: str = "agent-1"
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "task_id": {"value": task_id},
        "state": state,
        "agent_id": {"value": agent_id},
        "source": "SOURCE_EXECUTOR",
    }
    if uuid is not None:
        status["uuid"] = base64.b64encode(uuid).decode()
    return {"type": "UPDATE", "update": {"status": status}}


class LiveBody(StreamBody):
    """A streamed body fed from another thread; `None` ends it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop

    def push(self, chunk: bytes | None) -> None:
        if chunk is None:
            self._loop.call_soon_threadsafe(self.finish)
        else:
            self._loop.call_soon_threadsafe(self.feed, chunk)


class ScriptedMaster(Transport):
    """Answers SUBSCRIBE with a live stream that starts with SUBSCRIBED, other calls with 202.

    `subscribe_status` other than 200 makes every SUBSCRIBE fail with that status.
    """

    def __init__(self, *, framework_id: str = "fw-1", subscribe_status: int = 200) -> None:
        self.framework_id = framework_id
        self.subscribe_status = subscribe_status
        self.requests: list[HttpRequest] = []
        self.bodies: list[dict[str, Any]] = []
        self._streams: list[LiveBody] = []
        self._changed = threading.Condition()

    async def handle(self, request: HttpRequest) -> HttpAnswer:
        body = json.loads(request.body)
        with self._changed:
            self.requests.append(request)
            self.bodies.append(body)
            self._changed.notify_all()
        if body["type"] != "SUBSCRIBE":
            return HttpAnswer(202)
        if self.subscribe_status != 200:
            return HttpAnswer(self.subscribe_status, content=b"scripted refusal")
        stream = LiveBody(asyncio.get_running_loop())
        stream.push(frame(subscribed(self.framework_id)))
        with self._changed:
            self._streams.append(stream)
            self._changed.notify_all()
        headers = {"Mesos-Stream-Id": f"stream-{len(self._streams)}"}
        return HttpAnswer(200, headers, stream=stream)

    def send(self, *events: dict[str, Any]) -> None:
        """Stream `events` on the latest subscription, all in one chunk."""
        self._latest().push(b"".join(frame(event) for event in events))

    def end_stream(self) -> None:
        """Close the latest subscription as a master going away would."""
        self._latest().push(None)

    def calls(self, call_type: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the calls received so far other than SUBSCRIBE (of one type if given)."""
        with self._changed:
            return [
                body
                for body in self.bodies
                if body["type"] != "SUBSCRIBE" and call_type in (None, body["type"])
            ]

    def subscribes(self) -> list[dict[str, Any]]:
        with self._changed:
            return [body for body in self.bodies if body["type"] == "SUBSCRIBE"]

    def wait_for_calls(self, call_type: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until `count` calls of `call_type` arrived; return them all."""
        self._wait(lambda: len(self.calls(call_type)) >= count, f"{count} {call_type} calls")
        return self.calls(call_type)

    def wait_for_subscribes(self, count: int) -> list[dict[str, Any]]:
        self._wait(lambda: len(self.subscribes()) >= count, f"{count} SUBSCRIBE calls")
        return self.subscribes()

    def _latest(self) -> LiveBody:
        self._wait(lambda: bool(self._streams), "a subscription")
        with self._changed:
            return self._streams[-1]

    def _wait(self, condition: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, WAIT_SECONDS):
                raise AssertionError(f"no {what} within {WAIT_SECONDS} s; got {self.bodies}")


def frame(event: dict[str, Any]) -> bytes:
    return encode_record(json.dumps(event).encode())
