"""The scheduler's parts, each on its own: subscription loop, update handler, reconciler."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from frameworkkit.hooks import HookRunner
from frameworkkit.protocol.events import SchedulerEvent
from frameworkkit.protocol.messages import ID, TaskStatus
from frameworkkit.scheduler import FileStateStore, TaskSpec, TaskState
from frameworkkit.scheduler.context import RunContext
from frameworkkit.scheduler.metrics import FrameworkMetrics
from frameworkkit.scheduler.reconciler import Reconciler
from frameworkkit.scheduler.store import TaskRecord
from frameworkkit.scheduler.subscription import SubscriptionLoop, SubscriptionTimeout
from frameworkkit.scheduler.tasks import TaskTracker
from frameworkkit.scheduler.updates import UpdateHandler
from frameworkkit.transport import (
    BackoffPolicy,
    HttpAnswer,
    MesosConnection,
    SubscriptionEnded,
    TransportOptions,
)
from tests.unit.transport.fake_master import SUBSCRIBED, FakeMaster, event, framed, stream


class Recording:
    """An event handler that keeps what the loop told it."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.ended: list[SubscriptionEnded] = []

    async def on_event(self, event: SchedulerEvent) -> None:
        self.events.append(event.type)

    async def on_disconnected(self, ended: SubscriptionEnded) -> None:
        self.ended.append(ended)


def quick_options() -> TransportOptions:
    async def instant(delay: float) -> None:
        await asyncio.sleep(0)

    return TransportOptions(backoff=BackoffPolicy(rng=random.Random(1), sleep=instant))


async def test_the_loop_skips_bad_frames_tracks_the_id_and_resubscribes_after_an_end() -> None:
    answers = iter(
        [
            stream([framed(SUBSCRIBED, b"{not json", event("HEARTBEAT"))], then="end"),
            stream([framed(SUBSCRIBED, event("HEARTBEAT"))], then="hang"),
        ]
    )
    master = FakeMaster(lambda request: next(answers))
    connection = MesosConnection("127.0.0.1:5050", options=quick_options(), transport=master)
    handler = Recording()
    loop = SubscriptionLoop(connection, lambda: {"type": "SUBSCRIBE"}, handler)
    running = asyncio.create_task(loop.run())
    while handler.events.count("SUBSCRIBED") < 2:
        await asyncio.sleep(0.01)
    assert (
        handler.events
        == ["SUBSCRIBED", "HEARTBEAT", "SUBSCRIBED", "HEARTBEAT"][: len(handler.events)]
    )
    assert loop.framework_id == "fw-1" and loop.subscribed
    assert len(handler.ended) == 1
    loop.close()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await connection.aclose()


async def test_a_subscribe_that_takes_too_long_raises() -> None:
    master = FakeMaster(lambda request: HttpAnswer(503))
    connection = MesosConnection("127.0.0.1:5050", options=quick_options(), transport=master)
    loop = SubscriptionLoop(
        connection, lambda: {"type": "SUBSCRIBE"}, Recording(), subscribe_timeout=0.2
    )
    with pytest.raises(SubscriptionTimeout, match=r"0\.2 s"):
        await loop.run()
    await connection.aclose()


class FakeLink:
    """Stands in for the subscription loop: records the calls the parts send."""

    def __init__(self) -> None:
        self.framework_id = "fw-1"
        self.subscribed = True
        self.calls: list[dict[str, Any]] = []

    async def call(self, call: dict[str, Any]) -> None:
        self.calls.append(json.loads(json.dumps(call, default=str)))

    def call_soon(self, call: dict[str, Any], on_failure: Any) -> asyncio.Future[None]:
        self.calls.append(json.loads(json.dumps(call, default=str)))
        answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        answered.set_result(None)
        return answered

    def kinds(self) -> list[str]:
        return [c["type"] for c in self.calls]


def status(task_id: str, state: str, reason: str | None = None) -> TaskStatus:
    return TaskStatus(
        task_id=ID(value=task_id),
        state=state,
        reason=reason,
        agent_id=ID(value="agent-1"),
        uuid=uuid.uuid4().bytes,
    )


def context(tmp_path: Path, link: FakeLink) -> RunContext:
    store = FileStateStore(tmp_path)
    store.load()
    return RunContext("test", TaskTracker(), store, link, FrameworkMetrics())  # type: ignore[arg-type]


async def test_an_update_is_acknowledged_only_after_its_hooks_and_others_do_not_wait(
    tmp_path: Path,
) -> None:
    link = FakeLink()
    parts = context(tmp_path, link)
    release = threading.Event()
    seen: list[str] = []

    def on_task_running(task: Any) -> None:
        if task.name == "slow":
            release.wait(10)
        seen.append(task.name)

    hooks = {"on_task_running": on_task_running}
    handler = UpdateHandler(
        parts, HookRunner("test"), hooks.get, on_again=lambda t: None, on_final=lambda t: None
    )
    ids = {}
    for name in ("slow", "quick"):
        task, _ = parts.tracker.add(TaskSpec(name=name, command="true"))
        ids[name] = parts.tracker.start_attempt(task, "agent-1", "h")
    await handler.handle(status(ids["slow"], "TASK_RUNNING"))
    await handler.handle(status(ids["quick"], "TASK_RUNNING"))
    while "ACKNOWLEDGE" not in link.kinds():
        await asyncio.sleep(0.01)
    assert [c["acknowledge"]["task_id"]["value"] for c in link.calls] == [ids["quick"]]
    release.set()
    assert await handler.drain(10)
    assert seen == ["quick", "slow"] and link.kinds() == ["ACKNOWLEDGE", "ACKNOWLEDGE"]
    # a running task's state is durable before its update is acknowledged
    restored = FileStateStore(tmp_path).load()
    assert {t.state for t in restored.tasks} == {"TASK_RUNNING"}


async def test_an_update_of_an_unknown_attempt_that_runs_is_killed_and_acknowledged(
    tmp_path: Path,
) -> None:
    link = FakeLink()
    handler = UpdateHandler(
        context(tmp_path, link),
        HookRunner("test"),
        lambda name: None,
        on_again=lambda t: None,
        on_final=lambda t: None,
    )
    await handler.handle(status("stray.1", "TASK_RUNNING"))
    await handler.handle(status("gone.1", "TASK_FINISHED"))
    assert link.kinds() == ["KILL", "ACKNOWLEDGE", "ACKNOWLEDGE"]
    assert link.calls[0]["kill"]["task_id"] == {"value": "stray.1"}


async def test_the_reconciler_asks_again_for_what_got_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("frameworkkit.scheduler.reconciler.FIRST_FOLLOW_UP", 0.05)
    link = FakeLink()
    parts = context(tmp_path, link)
    for name in ("a", "b"):
        task, _ = parts.tracker.add(TaskSpec(name=name, command="true"))
        parts.tracker.start_attempt(task, "agent-1", None)
    reconciler = Reconciler(parts, interval=0)
    await reconciler.subscribed()
    reconciler.answered("a.1")
    while len(link.calls) < 2:
        await asyncio.sleep(0.01)
    await reconciler.close()
    first, again = (c["reconcile"]["tasks"] for c in link.calls[:2])
    assert {t["task_id"]["value"] for t in first} == {"a.1", "b.1"}
    assert [t["task_id"]["value"] for t in again] == ["b.1"]
    assert parts.tracker.get("a").state is TaskState.LAUNCHING  # type: ignore[union-attr]


async def test_a_repeated_state_with_data_reaches_on_task_update_and_a_bare_one_does_not(
    tmp_path: Path,
) -> None:
    link = FakeLink()
    parts = context(tmp_path, link)
    seen: list[bytes | None] = []
    hooks = {"on_task_update": lambda task, status: seen.append(status.data)}
    handler = UpdateHandler(
        parts, HookRunner("test"), hooks.get, on_again=lambda t: None, on_final=lambda t: None
    )
    task, _ = parts.tracker.add(TaskSpec(name="worker", command="true"))
    task_id = parts.tracker.start_attempt(task, "agent-1", "h")
    progress = status(task_id, "TASK_RUNNING")
    await handler.handle(progress)
    await handler.handle(msgspec.structs.replace(progress, uuid=uuid.uuid4().bytes, data=b"50%"))
    await handler.handle(msgspec.structs.replace(progress, uuid=uuid.uuid4().bytes))
    assert await handler.drain(10)
    assert seen == [None, b"50%"]
    assert link.kinds() == ["ACKNOWLEDGE"] * 3


class CountingStore(FileStateStore):
    """A file store that counts its task writes, and can be made to fail them."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.writes: list[list[str]] = []
        self.failing = False

    def put_tasks(self, records: Sequence[TaskRecord]) -> None:
        if self.failing:
            raise OSError("disk full")
        self.writes.append([f"{r.key}:{r.state}" for r in records])
        super().put_tasks(records)


async def test_the_updates_of_one_turn_are_written_once_and_acknowledged_after(
    tmp_path: Path,
) -> None:
    link = FakeLink()
    store = CountingStore(tmp_path)
    store.load()
    parts = RunContext("test", TaskTracker(), store, link, FrameworkMetrics())  # type: ignore[arg-type]
    handler = UpdateHandler(
        parts,
        HookRunner("test"),
        lambda name: None,
        on_again=lambda t: None,
        on_final=lambda t: None,
    )
    ids = {}
    for name in ("a", "b", "c"):
        task, _ = parts.tracker.add(TaskSpec(name=name, command="true"))
        ids[name] = parts.tracker.start_attempt(task, "agent-1", "h")
    # one chunk of events: three tasks running, one of them finished too
    for name in ("a", "b", "c"):
        await handler.handle(status(ids[name], "TASK_RUNNING"))
    await handler.handle(status(ids["a"], "TASK_FINISHED"))
    assert link.calls == [] and store.writes == []  # nothing acknowledged before the write
    assert await handler.drain(10)
    # one write, with each task as it was then: a finished, not running
    assert store.writes == [["a:TASK_FINISHED", "b:TASK_RUNNING", "c:TASK_RUNNING"]]
    assert link.kinds() == ["ACKNOWLEDGE"] * 4


async def test_an_update_whose_write_failed_is_not_acknowledged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    link = FakeLink()
    store = CountingStore(tmp_path)
    store.load()
    parts = RunContext("test", TaskTracker(), store, link, FrameworkMetrics())  # type: ignore[arg-type]
    ran: list[str] = []
    hooks = {"on_task_running": lambda task: ran.append(task.name)}
    handler = UpdateHandler(
        parts, HookRunner("test"), hooks.get, on_again=lambda t: None, on_final=lambda t: None
    )
    task, _ = parts.tracker.add(TaskSpec(name="a", command="true"))
    task_id = parts.tracker.start_attempt(task, "agent-1", "h")
    store.failing = True
    await handler.handle(status(task_id, "TASK_RUNNING"))
    assert await handler.drain(10)
    assert link.calls == [] and ran == []  # Mesos sends the update again
    assert "disk full" in caplog.text
