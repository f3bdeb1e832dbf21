"""What frameworks that size their work from offers use: screening offers, reviving, messages
to executors, an executor per task (against the transport's unit-test seam)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from frameworkkit.protocol.messages import Offer
from frameworkkit.scheduler import Framework, PackedExecutor, TaskSpec
from tests.unit.scheduler.master_seam import (
    ScriptedMaster,
    launched,
    offer,
    offer_body,
    offers,
    update,
)

F = TypeVar("F", bound=Framework)


@contextlib.asynccontextmanager
async def running(
    cls: type[F], state_dir: Path, *specs: TaskSpec, **kwargs: Any
) -> AsyncIterator[tuple[F, ScriptedMaster]]:
    """A framework of class ``cls`` with ``specs`` submitted, running against a scripted
    master, subscribed; stopped on the way out."""
    master = ScriptedMaster()
    fw = master.framework(cls, state_dir, **kwargs)
    fw.submit_many(specs)
    runner = asyncio.create_task(fw.run_async(until="forever"))
    master.subscribe()
    try:
        yield fw, master
    finally:
        fw.stop()
        await asyncio.wait_for(runner, 10)


class Sizer(Framework):
    """Submits one task on the first agent offered, taking all its cpus; refuses the others."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.screened: list[list[str]] = []

    def screen_offers(self, offers: list[Offer]) -> dict[str, float]:
        self.screened.append([o.id.value for o in offers])
        first, *others = offers
        cpus = sum(r.scalar.value for r in first.resources if r.name == "cpus" and r.scalar)
        self.submit(
            TaskSpec(
                name=f"sized-{len(self.screened)}",
                command="true",
                cpus=cpus,
                constraints=[["@agent_id", "IS", first.agent_id.value]],
            )
        )
        return {o.id.value: 120.0 for o in others}


async def test_tasks_submitted_by_the_screen_go_on_its_offers_and_refusals_are_declined(
    tmp_path: Path,
) -> None:
    async with running(Sizer, tmp_path) as (fw, master):
        master.push(offers(offer_body("o1", "agent-1", cpus=3.0), offer_body("o2", "agent-2")))
        decline = await master.next_call("DECLINE")
        assert decline["decline"] == {
            "offer_ids": [{"value": "o2"}],
            "filters": {"refuse_seconds": 120.0},
        }
        accept = await master.next_call("ACCEPT")
        assert accept["accept"]["offer_ids"] == [{"value": "o1"}]
        [info] = launched(accept)
        assert info["name"] == "sized-1"
        cpus = [r["scalar"]["value"] for r in info["resources"] if r["name"] == "cpus"]
        assert cpus == [3.0]
        task_id = info["task_id"]["value"]
        master.push(update(task_id, "TASK_RUNNING"), update(task_id, "TASK_FINISHED"))
        await master.next_call("ACKNOWLEDGE")
        await master.next_call("ACKNOWLEDGE")
        assert fw.task("sized-1").done
    # nothing waited, yet offers were never suppressed: the screen wants to see them
    assert "SUPPRESS" not in master.seen
    assert "REVIVE" not in master.seen[: master.seen.index("ACCEPT")]
    assert fw.screened == [["o1", "o2"]]


class Oversized(Framework):
    def screen_offers(self, offers: list[Offer]) -> None:
        self.submit(TaskSpec(name="huge", command="true", cpus=64))


async def test_work_the_screen_cannot_place_on_its_batch_asks_for_offers_after_it(
    tmp_path: Path,
) -> None:
    async with running(Oversized, tmp_path) as (_, master):
        master.push(offer("o1"))
        await master.next_call("DECLINE")
        await master.next_call("REVIVE")  # once the batch was answered, not before
        assert master.seen[-2:] == ["DECLINE", "REVIVE"]


class Broken(Framework):
    def screen_offers(self, offers: list[Offer]) -> dict[str, float]:
        return {offers[0].id.value: -1.0}


async def test_a_screen_answer_that_is_not_usable_leaves_the_offers_to_the_usual_handling(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = TaskSpec(name="plain", command="true", cpus=1)
    async with running(Broken, tmp_path, plain) as (_, master):
        master.push(offer("o1"))
        assert launched(await master.next_call("ACCEPT"))[0]["name"] == "plain"
    assert "screen_offers()['o1']" in caplog.text


class Subscribed(Framework):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscribed = asyncio.Event()

    async def on_subscribed(self, framework_id: str) -> None:
        self.subscribed.set()


async def test_messages_go_to_the_named_executor_and_revive_clears_filters(
    tmp_path: Path,
) -> None:
    idle = Framework("http://127.0.0.1:5050", state_dir=tmp_path / "idle")
    with pytest.raises(RuntimeError, match="send_message: the framework is not running"):
        idle.send_message("agent-1", "exec-1", b"hello")
    async with running(Subscribed, tmp_path) as (fw, master):
        await asyncio.wait_for(fw.subscribed.wait(), 10)
        with pytest.raises(TypeError, match="data"):
            fw.send_message("agent-1", "exec-1", "not bytes")  # type: ignore[arg-type]
        fw.send_message("agent-1", "exec-1", b"hello")
        message = await master.next_call("MESSAGE")
        assert message["message"]["agent_id"] == {"value": "agent-1"}
        assert message["message"]["executor_id"] == {"value": "exec-1"}
        assert base64.b64decode(message["message"]["data"]) == b"hello"
        fw.revive()
        await master.next_call("REVIVE")


async def test_an_executor_per_task_gets_the_task_id_and_its_share_beside_each_task(
    tmp_path: Path,
) -> None:
    own = PackedExecutor(command="run-me", commands=False, per_task=True, cpus=0.5, mem=32)
    workers = [TaskSpec(name=f"worker-{i}", cpus=1, mem=100, data=b"x") for i in range(2)]
    async with running(Framework, tmp_path, *workers, executor=own) as (fw, master):
        master.push(offer("o1"))  # 2 cpus: one task and its executor (1.5), not two
        [info] = launched(await master.next_call("ACCEPT"))
        executor = info["executor"]
        assert executor["executor_id"] == info["task_id"]
        amounts = {r["name"]: r["scalar"]["value"] for r in executor["resources"]}
        assert amounts == {"cpus": 0.5, "mem": 32.0}
        task_amounts = {r["name"]: r["scalar"]["value"] for r in info["resources"]}
        assert task_amounts == {"cpus": 1.0, "mem": 100.0}
        assert fw.task(info["name"]).executor_id == info["task_id"]["value"]


def test_per_task_must_be_a_flag() -> None:
    with pytest.raises(TypeError, match=r"PackedExecutor\.per_task"):
        PackedExecutor(command="run-me", commands=False, per_task="yes")  # type: ignore[arg-type]


async def test_a_fixed_port_is_taken_from_the_offer(tmp_path: Path) -> None:
    slot = TaskSpec(name="slot", command="serve", ports=[31007])
    async with running(Framework, tmp_path, slot) as (_, master):
        master.push(offers(offer_body("o1", ports=(31000, 31010))))
        [info] = launched(await master.next_call("ACCEPT"))
        [ports] = [r["ranges"]["range"] for r in info["resources"] if r["name"] == "ports"]
        assert ports == [{"begin": 31007, "end": 31007}]
