"""Reconciliation: learn the true state of our tasks after every (re)subscription, and now and then.

After each SUBSCRIBED, the state of every task believed active is asked for explicitly; those
that get no answer are asked again with growing pauses (5 s doubling to 60 s), as Mesos's
reconciliation guide says. Every ``interval`` seconds an implicit reconciliation (no task ids)
makes the master report every task it knows of ours, so strays get killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from frameworkkit.protocol import calls
from frameworkkit.scheduler.context import RunContext
from frameworkkit.transport import TransportError

log = logging.getLogger("frameworkkit.scheduler")

FIRST_FOLLOW_UP = 5.0
LAST_FOLLOW_UP = 60.0


class Reconciler:
    """Keeps one framework's picture of its tasks in line with the master's."""

    def __init__(self, context: RunContext, *, interval: float) -> None:
        self.name, self.tracker, self.link = context.name, context.tracker, context.link
        self.interval = interval
        self._asked: set[str] = set()  # task ids asked for and not answered yet
        self._work: set[asyncio.Task[None]] = set()

    async def subscribed(self) -> None:
        """Start over after a (re)subscription: ask for every active task, and go on asking."""
        self._cancel()
        pairs = [(t.task_id, t.agent_id) for t in self.tracker.active() if t.task_id]
        self._asked = {task_id for task_id, _ in pairs}
        if pairs:
            log.info("%s: reconciling %d tasks", self.name, len(pairs))
            await self.link.call(calls.reconcile(self.link.framework_id or "", pairs))
            self._start(self._follow_up(FIRST_FOLLOW_UP))
        if self.interval:
            self._start(self._periodically())

    def answered(self, task_id: str) -> None:
        """An update for ``task_id`` arrived."""
        self._asked.discard(task_id)

    async def close(self) -> None:
        self._cancel()
        await asyncio.gather(*self._work, return_exceptions=True)

    async def _follow_up(self, delay: float) -> None:
        while self._asked:
            await asyncio.sleep(delay)
            pairs = []
            for task_id in sorted(self._asked):
                task = self.tracker.by_task_id(task_id)
                if task is None or task.task_id != task_id or task.done:
                    self._asked.discard(task_id)
                else:
                    pairs.append((task_id, task.agent_id))
            if pairs and self.link.subscribed:
                log.info("%s: %d tasks still unreconciled; asking again", self.name, len(pairs))
                await self._ask(pairs)
            delay = min(delay * 2, LAST_FOLLOW_UP)

    async def _periodically(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.link.subscribed:
                await self._ask(None)

    async def _ask(self, pairs: list[tuple[str, str | None]] | None) -> None:
        try:
            await self.link.call(calls.reconcile(self.link.framework_id or "", pairs or ()))
        except TransportError as exc:
            log.warning("%s: reconciliation call failed: %s", self.name, exc)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    def _cancel(self) -> None:
        for task in self._work:
            with contextlib.suppress(Exception):
                task.cancel()
