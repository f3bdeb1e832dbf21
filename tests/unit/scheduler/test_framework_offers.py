"""Offer handling against the transport's unit-test seam: launches, acks, retries, filters."""

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from frameworkkit.protocol.recordio import encode_record
from frameworkkit.scheduler import FileStateStore, Framework, TaskSpec, TaskState
from tests.unit.transport.fake_master import SUBSCRIBED, FakeMaster, event


class QueueBody(httpx.AsyncByteStream):
    """A SUBSCRIBE answer whose events the test pushes while the framework runs."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            yield encode_record(await self.queue.get())


def offer(offer_id: str) -> bytes:
    scalar = [("cpus", 2.0), ("mem", 1024.0)]
    resources: list[dict[str, object]] = [
        {
            "name": n,
            "type": "SCALAR",
            "scalar": {"value": v},
            "role": "*",
            "allocation_info": {"role": "*"},
        }
        for n, v in scalar
    ]
    resources.append(
        {
            "name": "ports",
            "type": "RANGES",
            "ranges": {"range": [{"begin": 31000, "end": 31009}]},
            "role": "*",
            "allocation_info": {"role": "*"},
        }
    )
    body = {
        "id": {"value": offer_id},
        "framework_id": {"value": "fw-1"},
        "agent_id": {"value": "agent-1"},
        "hostname": "h1",
        "resources": resources,
        "allocation_info": {"role": "*"},
    }
    return event("OFFERS", offers={"offers": [body]})


def update(task_id: str, state: str) -> bytes:
    status = {
        "task_id": {"value": task_id},
        "state": state,
        "agent_id": {"value": "agent-1"},
        "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
        "message": "boom",
    }
    return event("UPDATE", update={"status": status})


def recording_master(body: QueueBody, calls: asyncio.Queue[dict[str, object]]) -> FakeMaster:
    """A master that streams ``body`` to SUBSCRIBE and puts every other call on ``calls``."""

    def handler(request: httpx.Request) -> httpx.Response:
        call = json.loads(request.content)
        if call["type"] == "SUBSCRIBE":
            return httpx.Response(200, headers={"Mesos-Stream-Id": "s1"}, stream=body)
        calls.put_nowait(call)
        return httpx.Response(202)

    return FakeMaster(handler)


async def test_a_failed_attempt_is_acked_retried_with_short_filters_and_revived(
    tmp_path: Path,
) -> None:
    body = QueueBody()
    calls: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    seen: list[str] = []

    async def next_call(kind: str) -> dict[str, object]:
        while True:
            call = await asyncio.wait_for(calls.get(), 10)
            seen.append(str(call["type"]))
            if call["type"] == kind:
                return call

    transport = recording_master(body, calls)
    fw = Framework("http://127.0.0.1:5050", state_dir=tmp_path, transport=transport)
    task = fw.submit(
        TaskSpec(
            name="flaky", command="exit 1", cpus=1, mem=64, max_retries=1, retry_backoff_seconds=0.3
        )
    )
    runner = asyncio.create_task(fw.run_async(until="forever"))
    body.queue.put_nowait(SUBSCRIBED)
    body.queue.put_nowait(offer("o1"))
    accept = await next_call("ACCEPT")
    launched = accept["accept"]["operations"][0]["launch"]["task_infos"]  # type: ignore[index]
    first_id = launched[0]["task_id"]["value"]
    assert launched[0]["resources"][0]["allocation_info"] == {"role": "*"}

    body.queue.put_nowait(update(first_id, "TASK_FAILED"))
    ack = await next_call("ACKNOWLEDGE")
    assert ack["acknowledge"]["task_id"] == {"value": first_id}  # type: ignore[index]
    assert task.state is TaskState.PENDING and task.attempts == 1

    body.queue.put_nowait(offer("o2"))  # arrives during the backoff: declined, briefly
    decline = await next_call("DECLINE")
    assert decline["decline"]["filters"] == {"refuse_seconds": 5.0}  # type: ignore[index]
    await next_call("REVIVE")  # the backoff passed: offers are asked for again

    body.queue.put_nowait(offer("o3"))
    second = await next_call("ACCEPT")
    second_id = second["accept"]["operations"][0]["launch"]["task_infos"][0]["task_id"]["value"]  # type: ignore[index]
    assert second_id != first_id
    body.queue.put_nowait(update(second_id, "TASK_FINISHED"))
    await next_call("ACKNOWLEDGE")
    # once the last launch left nothing waiting, offers were suppressed
    after_last_launch = seen[len(seen) - 1 - seen[::-1].index("ACCEPT") :]
    assert after_last_launch.count("SUPPRESS") == 1, seen
    assert task.state is TaskState.TASK_FINISHED and task.attempts == 2
    fw.stop()
    await asyncio.wait_for(runner, 10)


async def test_a_launched_task_knows_its_host_ports_and_keeps_them_in_its_record(
    tmp_path: Path,
) -> None:
    body = QueueBody()
    calls: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    transport = recording_master(body, calls)
    fw = Framework("http://127.0.0.1:5050", state_dir=tmp_path, transport=transport)
    task = fw.submit(TaskSpec(name="web", command="serve", ports=["http", "admin"]))
    assert task.ports == []
    runner = asyncio.create_task(fw.run_async(until="forever"))
    body.queue.put_nowait(SUBSCRIBED)
    body.queue.put_nowait(offer("o1"))
    accept = await asyncio.wait_for(calls.get(), 10)
    while accept["type"] != "ACCEPT":
        accept = await asyncio.wait_for(calls.get(), 10)
    info = accept["accept"]["operations"][0]["launch"]["task_infos"][0]  # type: ignore[index]
    env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
    assert len(task.ports) == 2
    assert [env["PORT0"], env["PORT1"]] == [str(p) for p in task.ports]
    assert env["PORT_ADMIN"] == str(task.ports[1])
    fw.stop()
    await asyncio.wait_for(runner, 10)
    stored = {t.key: t for t in FileStateStore(tmp_path).load().tasks}
    assert stored["web"].ports == task.ports
