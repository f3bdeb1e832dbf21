"""A scripted master for Framework unit tests: the test pushes events and reads the calls.

Built on the transport's unit-test seam (:class:`FakeMaster`); real Mesos behaviour is covered
by the integration tests.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from pathlib import Path
from typing import Any, TypeVar

from frameworkkit.protocol.recordio import encode_record
from frameworkkit.scheduler import Framework
from frameworkkit.transport import HttpAnswer, HttpRequest, StreamBody
from tests.unit.transport.fake_master import SUBSCRIBED, FakeMaster, event, streamed

F = TypeVar("F", bound=Framework)


class ScriptedMaster:
    """Answers SUBSCRIBE with events the test pushes; keeps every other call for the test."""

    def __init__(self) -> None:
        self.body = StreamBody()  # the events pushed go to the open subscription
        self.calls: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seen: list[str] = []
        self.transport = FakeMaster(self._handle)

    def _handle(self, request: HttpRequest) -> HttpAnswer:
        call = json.loads(request.body)
        if call["type"] == "SUBSCRIBE":
            if self.body.closed:
                self.body = StreamBody()
            return streamed(self.body, stream_id="s1")
        self.calls.put_nowait(call)
        return HttpAnswer(202)

    def framework(self, cls: type[F], state_dir: Path, **kwargs: Any) -> F:
        """A framework of class ``cls`` whose master this is."""
        return cls("http://127.0.0.1:5050", state_dir=state_dir, transport=self.transport, **kwargs)

    def push(self, *events: bytes) -> None:
        for item in events:
            self.body.feed(encode_record(item))

    def subscribe(self) -> None:
        self.push(SUBSCRIBED)

    async def next_call(self, kind: str) -> dict[str, Any]:
        """The next call of type ``kind`` (earlier calls of other types are kept in ``seen``)."""
        while True:
            call = await asyncio.wait_for(self.calls.get(), 10)
            self.seen.append(str(call["type"]))
            if call["type"] == kind:
                return call


def offer_body(
    offer_id: str,
    agent_id: str = "agent-1",
    *,
    cpus: float = 2.0,
    mem: float = 1024.0,
    ports: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One offer of unreserved resources, as Mesos sends it."""
    resources: list[dict[str, Any]] = [
        {"name": n, "type": "SCALAR", "scalar": {"value": v}, "role": "*"}
        for n, v in (("cpus", cpus), ("mem", mem))
    ]
    if ports is not None:
        ranges = {"range": [{"begin": ports[0], "end": ports[1]}]}
        resources.append({"name": "ports", "type": "RANGES", "ranges": ranges, "role": "*"})
    for resource in resources:
        resource["allocation_info"] = {"role": "*"}
    return {
        "id": {"value": offer_id},
        "framework_id": {"value": "fw-1"},
        "agent_id": {"value": agent_id},
        "hostname": "h1",
        "resources": resources,
        "allocation_info": {"role": "*"},
    }


def offers(*bodies: dict[str, Any]) -> bytes:
    return event("OFFERS", offers={"offers": list(bodies)})


def offer(offer_id: str) -> bytes:
    """One offer of agent-1: 2 cpus, 1024 MB, ports 31000-31009."""
    return offers(offer_body(offer_id, ports=(31000, 31009)))


def update(task_id: str, state: str, *, data: bytes | None = None) -> bytes:
    status: dict[str, Any] = {
        "task_id": {"value": task_id},
        "state": state,
        "agent_id": {"value": "agent-1"},
        "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
        "message": "boom",
    }
    if data is not None:
        status["data"] = base64.b64encode(data).decode()
    return event("UPDATE", update={"status": status})


def launched(accept: dict[str, Any]) -> list[dict[str, Any]]:
    """The TaskInfos an ACCEPT call launches."""
    infos: list[dict[str, Any]] = accept["accept"]["operations"][0]["launch"]["task_infos"]
    return infos
