"""What frameworks that size their work from offers use: reviving, messages to executors
(against the transport's unit-test seam)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from frameworkkit.scheduler import Framework
from tests.unit.scheduler.master_seam import (
    ScriptedMaster,
)


@contextlib.asynccontextmanager
async def running(fw: Framework, master: ScriptedMaster) -> AsyncIterator[None]:
    """``fw`` running against ``master``, subscribed; stopped on the way out."""
    runner = asyncio.create_task(fw.run_async(until="forever"))
    master.subscribe()
    try:
        yield
    finally:
        fw.stop()
        await asyncio.wait_for(runner, 10)


class Subscribed(Framework):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subscribed = asyncio.Event()

    async def on_subscribed(self, framework_id: str) -> None:
        self.subscribed.set()


async def test_messages_go_to_the_named_executor_and_revive_clears_filters(
    tmp_path: Path,
) -> None:
    master = ScriptedMaster()
    fw = Subscribed("http://127.0.0.1:5050", state_dir=tmp_path, transport=master.transport)
    with pytest.raises(RuntimeError, match="send_message: the framework is not running"):
        fw.send_message("agent-1", "exec-1", b"hello")
    async with running(fw, master):
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
