"""FakeAgent: a unit-test seam standing in for a Mesos agent's v1 executor API, in process.

It implements :class:`frameworkkit.executor.AgentApi` (what the executor client needs from its
connection: blocking, called from the client's threads), records every call the executor makes,
and streams the events a test pushes. It exists only to drive executors without an agent;
integration tests use a real Mesos agent.
"""

from __future__ import annotations

import asyncio
import base64
import json
import queue
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from frameworkkit.transport.errors import (
    ConnectionFailed,
    EndReason,
    RequestRejected,
    SubscriptionEnded,
)

URL = "http://127.0.0.1:5051/slave(1)/api/v1/executor"
WAIT_LIMIT = 20.0  # seconds; bounds every wait so a broken executor fails the test, not hangs it
POLL_INTERVAL = 0.01

JsonDict = dict[str, Any]


class FakeStream:
    """The event stream of one subscription: frames pushed by the test, then an end."""

    def __init__(self) -> None:
        self._items: queue.SimpleQueue[bytes | BaseException | None] = queue.SimpleQueue()
        self.closed = False

    def push(self, event: JsonDict) -> None:
        self._items.put(json.dumps(event).encode())

    def end(self, reason: EndReason = EndReason.CONNECTION_LOST) -> None:
        self._items.put(SubscriptionEnded(reason, URL))

    def __iter__(self) -> Iterator[bytes]:
        while not self.closed:
            item = self._items.get()
            if item is None or self.closed:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self.closed = True
        self._items.put(None)


class FakeAgent:
    """Records SUBSCRIBE and other calls; pushes events; acknowledges updates if told to."""

    def __init__(
        self,
        *,
        auto_acknowledge: bool = True,
        capabilities: Iterable[str] = (),
    ) -> None:
        self.auto_acknowledge = auto_acknowledge
        self.capabilities = list(capabilities)
        self.subscribes: list[JsonDict] = []
        self.calls: list[JsonDict] = []
        self.reachable = True
        self.refuse_status: int | None = None  # answer SUBSCRIBE with this HTTP status
        self.stream: FakeStream | None = None
        self.closed = False

    # AgentApi (called from the executor client's threads)

    def subscribe(self, body: bytes, timeout: float | None = None) -> FakeStream:
        call = json.loads(body)
        assert call["type"] == "SUBSCRIBE"
        self.subscribes.append(call)
        if not self.reachable:
            raise ConnectionFailed(URL, ConnectionRefusedError("connection refused"))
        if self.refuse_status is not None:
            raise RequestRejected(URL, self.refuse_status, "refused")
        stream = FakeStream()
        stream.push(self._subscribed_event(call))
        if self.auto_acknowledge:
            for update in call["subscribe"].get("unacknowledged_updates", []):
                ack = {"task_id": update["status"]["task_id"], "uuid": update["status"]["uuid"]}
                stream.push({"type": "ACKNOWLEDGED", "acknowledged": ack})
        self.stream = stream
        return stream

    def call(self, body: bytes) -> bytes:
        call = json.loads(body)
        self.calls.append(call)
        if self.auto_acknowledge and call["type"] == "UPDATE":
            self.acknowledge(call["update"]["status"])
        return b""

    def close(self) -> None:
        self.closed = True

    # What a test makes the agent do.

    def launch(self, task: JsonDict) -> None:
        self._push({"type": "LAUNCH", "launch": {"task": task}})

    def launch_group(self, tasks: list[JsonDict]) -> None:
        self._push({"type": "LAUNCH_GROUP", "launch_group": {"task_group": {"tasks": tasks}}})

    def kill(self, task_id: str, grace_period: float | None = None) -> None:
        kill: JsonDict = {"task_id": {"value": task_id}}
        if grace_period is not None:
            kill["kill_policy"] = {"grace_period": {"nanoseconds": int(grace_period * 1e9)}}
        self._push({"type": "KILL", "kill": kill})

    def message(self, data: bytes) -> None:
        self._push({"type": "MESSAGE", "message": {"data": base64.b64encode(data).decode()}})

    def shutdown(self) -> None:
        self._push({"type": "SHUTDOWN"})

    def acknowledge(self, status: JsonDict) -> None:
        ack = {"task_id": status["task_id"], "uuid": status["uuid"]}
        self._push({"type": "ACKNOWLEDGED", "acknowledged": ack})

    def disconnect(self, *, reachable: bool = True) -> None:
        """End the current stream; with ``reachable=False`` further subscriptions fail."""
        self.reachable = reachable
        assert self.stream is not None, "not subscribed"
        self.stream.end()
        self.stream = None

    # What a test reads.

    def statuses(self, task_id: str | None = None) -> list[JsonDict]:
        """Every status sent with UPDATE, in order (optionally of one task)."""
        return [
            call["update"]["status"]
            for call in self.calls
            if call["type"] == "UPDATE"
            and (task_id is None or call["update"]["status"]["task_id"]["value"] == task_id)
        ]

    def states(self, task_id: str) -> list[str]:
        return [status["state"] for status in self.statuses(task_id)]

    def final_status(self, task_id: str) -> JsonDict:
        return self.statuses(task_id)[-1]

    def messages(self) -> list[bytes]:
        return [
            base64.b64decode(call["message"]["data"])
            for call in self.calls
            if call["type"] == "MESSAGE"
        ]

    async def wait_for(self, condition: Callable[[], object], what: str) -> None:
        """Wait until ``condition()`` is true, checking it every few milliseconds: it may turn
        on the agent's side (a call) or the executor's (a hook ran), in any order."""

        async def poll() -> None:
            while not condition():
                await asyncio.sleep(POLL_INTERVAL)

        try:
            await asyncio.wait_for(poll(), WAIT_LIMIT)
        except asyncio.TimeoutError:
            raise AssertionError(f"gave up waiting for {what}; calls: {self.calls}") from None

    async def wait_for_state(self, task_id: str, state: str) -> JsonDict:
        await self.wait_for(lambda: state in self.states(task_id), f"{task_id} {state}")
        return next(s for s in self.statuses(task_id) if s["state"] == state)

    # Internals.

    def _push(self, event: JsonDict) -> None:
        assert self.stream is not None, "not subscribed"
        self.stream.push(event)

    def _subscribed_event(self, call: JsonDict) -> JsonDict:
        return {
            "type": "SUBSCRIBED",
            "subscribed": {
                "executor_info": {"executor_id": call["executor_id"]},
                "framework_info": {
                    "user": "root",
                    "name": "unit",
                    "id": call["framework_id"],
                    "capabilities": [{"type": name} for name in self.capabilities],
                },
                "agent_info": {"hostname": "localhost", "id": {"value": "agent-1"}},
            },
        }


def task_info(
    task_id: str,
    command: str | None = None,
    *,
    arguments: list[str] | None = None,
    environment: dict[str, str] | None = None,
    kill_grace_period: float | None = None,
    health_check: JsonDict | None = None,
) -> JsonDict:
    """A TaskInfo as an agent sends it; a shell ``command``, or an argv with ``arguments``."""
    task: JsonDict = {
        "name": task_id,
        "task_id": {"value": task_id},
        "agent_id": {"value": "agent-1"},
        "resources": [
            {
                "name": "cpus",
                "type": "SCALAR",
                "scalar": {"value": 0.1},
                "allocation_info": {"role": "unit-role"},
            }
        ],
    }
    if command is not None:
        info: JsonDict = {"value": command}
        if arguments is not None:
            info["shell"] = False
            info["arguments"] = arguments
        if environment:
            info["environment"] = {
                "variables": [{"name": k, "value": v} for k, v in environment.items()]
            }
        task["command"] = info
    if kill_grace_period is not None:
        task["kill_policy"] = {"grace_period": {"nanoseconds": int(kill_grace_period * 1e9)}}
    if health_check is not None:
        task["health_check"] = health_check
    return task
