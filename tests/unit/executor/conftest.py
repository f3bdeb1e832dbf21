from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from frameworkkit.executor import CommandExecutor, Executor, ExecutorEnvironment

from .fake_agent import WAIT_LIMIT, FakeAgent

MakeEnvironment = Callable[..., ExecutorEnvironment]


@pytest.fixture
def make_environment(tmp_path: Path) -> MakeEnvironment:
    """An ExecutorEnvironment as an agent would set it, with short timings for tests."""

    def make(**overrides: Any) -> ExecutorEnvironment:
        values: dict[str, Any] = {
            "framework_id": "framework-1",
            "executor_id": "executor-1",
            "agent_pid": "slave(1)@127.0.0.1:5051",
            "subscription_backoff_max": 0.01,
            "shutdown_grace_period": 2.5,
            "sandbox": tmp_path,
        }
        values.update(overrides)
        return ExecutorEnvironment(**values)

    return make


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


async def until(condition: Callable[[], object]) -> None:
    """Return once ``condition()`` is true (callers bound the wait)."""
    while not condition():
        await asyncio.sleep(0.01)


async def run_to_end(executor: Executor | CommandExecutor) -> int:
    """Run an executor to its end: an :class:`Executor` on this loop, a
    :class:`CommandExecutor` (which runs no asyncio) in a thread of its own."""
    if isinstance(executor, CommandExecutor):
        return await asyncio.to_thread(executor.run)
    return await executor.run_async()


@contextlib.asynccontextmanager
async def running(
    executor: Executor | CommandExecutor, agent: FakeAgent
) -> AsyncIterator[asyncio.Task[int]]:
    """Run ``executor`` against ``agent`` until subscribed; stop it (if still running) after."""
    run = asyncio.create_task(run_to_end(executor))
    await agent.wait_for(lambda: agent.stream is not None or run.done(), "a subscription")
    try:
        yield run
    finally:
        if not run.done():
            executor.stop()
        await asyncio.wait_for(run, WAIT_LIMIT)
