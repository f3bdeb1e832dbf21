"""What the dockerised-cluster tests share: a framework that counts its hooks, waiting, logs."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from frameworkkit import Framework, PackedExecutor, Task, TaskSpec
from frameworkkit.testing.compose import MasterSpec
from frameworkkit.testing.embedded import get_json

# the agents' Python: the executor runs inside the master containers, not on this host
PACKED = PackedExecutor(command="python3 -m frameworkkit.executor --multi_task")


class CountingFramework(Framework):
    """Counts every finished/failed hook per task and notes each (re)subscription's time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finished: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()
        self.subscriptions: list[tuple[float, str]] = []

    def on_subscribed(self, framework_id: str) -> None:
        self.subscriptions.append((time.monotonic(), framework_id))

    def on_task_finished(self, task: Task) -> None:
        self.finished[task.key] += 1

    def on_task_failed(self, task: Task) -> None:
        self.failed[task.key] += 1

    def on_task_lost(self, task: Task) -> None:
        self.lost[task.key] += 1


def counting(name: str) -> type[CountingFramework]:
    """A CountingFramework class registering under ``name``."""
    return type(f"Counting_{name}", (CountingFramework,), {"name": name})


def waiting_tasks(prefix: str, count: int, release: Path) -> list[TaskSpec]:
    """Tasks that run until ``release`` exists (a file every master container sees).

    No ``max_retries``: what a failover loses is relaunched under ``max_relaunches``.
    """
    command = f"while [ ! -e {release} ]; do sleep 2; done"
    return [
        TaskSpec(name=f"{prefix}-{i}", command=command, cpus=0.1, mem=16, retry_backoff_seconds=0.5)
        for i in range(count)
    ]


async def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, *running: asyncio.Task[None]
) -> float:
    """Poll ``condition``; return the seconds it took. Fails if a framework run ends first."""
    started = time.monotonic()
    while not condition():
        for task in running:
            if task.done():
                task.result()
                raise AssertionError(f"the framework stopped before: {what}")
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.25)
    return time.monotonic() - started


def framework_on(master: MasterSpec, framework_id: str) -> dict[str, Any] | None:
    """The framework as ``master``'s ``/state`` shows it (None if unknown there)."""
    state = get_json(f"{master.url}/state", 10.0)
    return next((f for f in state.get("frameworks", []) if f["id"] == framework_id), None)


class LogRecords(logging.Handler):
    """Collects the messages of a logger while installed."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append((time.monotonic(), record.getMessage()))

    def first(self, *needles: str) -> tuple[float, str] | None:
        """The first message containing every needle, and when it was logged."""
        return next(((t, m) for t, m in self.messages if all(n in m for n in needles)), None)


@contextmanager
def recording(logger: str) -> Iterator[LogRecords]:
    handler = LogRecords()
    log = logging.getLogger(logger)
    previous = log.level
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    try:
        yield handler
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
