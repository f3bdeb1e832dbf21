"""Status updates: the state machine step, the durable write, the hooks, the acknowledgement.

For each UPDATE the tracker moves the task; a change worth keeping is written to the state store
before anything else (the updates of one turn of the event loop in one write, see
:class:`~frameworkkit.scheduler.store.GroupCommit`); the task's hooks then run (in order per
task, by :mod:`frameworkkit.hooks`' rule), and only once they returned is the update
acknowledged, so an update whose hooks never ran is resent by Mesos after a crash. The
acknowledgements of many updates leave together, pipelined on one connection. An update for an
attempt we do not know, or for an earlier attempt that still runs, kills that attempt.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from frameworkkit.hooks import HookRunner
from frameworkkit.protocol import calls
from frameworkkit.protocol.messages import TaskStatus
from frameworkkit.scheduler.context import RunContext
from frameworkkit.scheduler.store import GroupCommit
from frameworkkit.scheduler.tasks import Task, Transition
from frameworkkit.states import TaskState
from frameworkkit.transport import TransportError

log = logging.getLogger("frameworkkit.scheduler")

HookLookup = Callable[[str], Callable[..., Any] | None]
"""Gives the user's hook of a name, or None when the framework does not override it."""


class UpdateHandler:
    """Applies UPDATE events for one framework."""

    def __init__(
        self,
        context: RunContext,
        hooks: HookRunner,
        user_hook: HookLookup,
        *,
        on_again: Callable[[Task], None],
        on_final: Callable[[Task], None],
    ) -> None:
        self.name, self.tracker, self.store = context.name, context.tracker, context.store
        self.link, self.metrics = context.link, context.metrics
        self.hooks = hooks
        self.user_hook = user_hook
        self.on_again = on_again
        self.on_final = on_final
        self.submitted_at: dict[str, float] = {}
        self.journal = GroupCommit(self.store)
        self._acknowledging: set[asyncio.Future[Any]] = set()  # answers not in yet

    async def drain(self, timeout: float) -> bool:
        """Wait until the hooks have returned and the acknowledgements they held back are
        answered; False if ``timeout`` seconds passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if not await self.hooks.drain(timeout):
            return False
        await self.journal.flush()  # its acknowledgements leave as the write completes
        if not self._acknowledging:
            return True
        remaining = max(0.0, deadline - loop.time())
        _, still = await asyncio.wait(list(self._acknowledging), timeout=remaining)
        return not still

    async def handle(self, status: TaskStatus) -> None:
        task_id = status.task_id.value
        agent_id = status.agent_id.value if status.agent_id else None
        try:
            state = TaskState(status.state)
        except ValueError:
            log.warning("%s: update for %s has unknown state %r", self.name, task_id, status.state)
            self._acknowledge(status)
            return
        self.metrics.task_updates[state.value] += 1
        transition = self.tracker.update(
            task_id,
            state,
            reason=status.reason,
            message=status.message,
            agent_id=agent_id,
            executor_id=status.executor_id.value if status.executor_id else None,
            healthy=status.healthy,
            timestamp=status.timestamp,
        )
        if transition is None or transition.superseded:
            await self._kill_stray(status, state)
        if transition is not None and transition.repeated and status.data is not None:
            self.deliver(transition, status)  # news in the data (progress): on_task_update only
            return
        if transition is None or transition.duplicate:
            self._acknowledge(status)
            return
        durable = None
        if transition.again or transition.final or state is TaskState.TASK_RUNNING:
            task = transition.task
            durable = self.journal.mark(task.key, task.record)
        self.deliver(transition, status, durable)

    def deliver(
        self,
        transition: Transition,
        status: TaskStatus | None = None,
        durable: asyncio.Future[None] | None = None,
    ) -> None:
        """Run the hooks a transition calls for, after the task's earlier hooks and once
        ``durable`` (its write to the state store) is done; then acknowledge ``status`` (if
        any), and tell the framework what follows."""
        task = transition.task
        if transition.again:
            self.metrics.tasks_retried += 1
            log.info(
                "%s: task %s attempt %d ended %s (%s); %s",
                self.name,
                task.name,
                task.attempts,
                transition.state.value,
                task.message or task.reason,
                "relaunching" if task.history[-1].reason == "RELAUNCH" else "retrying",
            )
            self.on_again(task)
        if transition.final:
            self.metrics.tasks_done[task.state.value] += 1
            self._log_final(task)
            self.on_final(task)
        hooks = [
            (name, hook, args)
            for name, args in self._hooks_for(transition, status)
            if (hook := self.user_hook(name)) is not None
        ]
        if hooks or self.hooks.busy(task.key):
            self.hooks.schedule(task.key, self._run_hooks, task, hooks, status, durable)
        elif status is not None and durable is not None:
            durable.add_done_callback(partial(self._acknowledge_if_kept, task, status))
        elif status is not None:
            self._acknowledge(status)

    async def _run_hooks(
        self,
        task: Task,
        hooks: list[tuple[str, Callable[..., Any], tuple[Any, ...]]],
        status: TaskStatus | None,
        durable: asyncio.Future[None] | None,
    ) -> None:
        if durable is not None:
            try:
                await durable
            except Exception as exc:
                self._not_kept(task, exc)
                return
        for name, hook, args in hooks:
            try:
                await self.hooks.call(hook, *args)
            except Exception:
                log.exception("%s: hook %s raised for task %s", self.name, name, task.name)
        if status is not None:
            self._acknowledge(status)

    def _acknowledge_if_kept(
        self, task: Task, status: TaskStatus, durable: asyncio.Future[None]
    ) -> None:
        if durable.cancelled():
            return
        error = durable.exception()
        if error is not None:
            self._not_kept(task, error)
        else:
            self._acknowledge(status)

    def _not_kept(self, task: Task, error: BaseException) -> None:
        log.error(
            "%s: keeping task %s in the state store failed; its update is not acknowledged "
            "(Mesos sends it again)",
            self.name,
            task.name,
            exc_info=error,
        )

    def _hooks_for(
        self, transition: Transition, status: TaskStatus | None
    ) -> list[tuple[str, tuple[Any, ...]]]:
        task, state = transition.task, transition.state
        hooks: list[tuple[str, tuple[Any, ...]]] = []
        if status is not None:
            hooks.append(("on_task_update", (task, status)))
        if transition.repeated:
            return hooks
        if state is TaskState.TASK_RUNNING and transition.previous is not TaskState.TASK_RUNNING:
            started = self.submitted_at.pop(task.key, None)
            if started is not None:
                self.metrics.observe_time_to_running(time.monotonic() - started)
            hooks.append(("on_task_running", (task,)))
        if transition.lost:
            hooks.append(("on_task_lost", (task,)))
        if transition.final:
            final_hook = {
                TaskState.TASK_FINISHED: "on_task_finished",
                TaskState.TASK_KILLED: "on_task_killed",
            }.get(task.state, "on_task_failed")
            hooks.append((final_hook, (task,)))
        return hooks

    def _log_final(self, task: Task) -> None:
        if task.state is TaskState.TASK_FINISHED:
            log.info("%s: task %s finished", self.name, task.name)
        elif task.state is TaskState.TASK_KILLED:
            log.info("%s: task %s killed", self.name, task.name)
        else:
            log.warning(
                "%s: task %s failed for good after %d attempts: %s %s",
                self.name,
                task.name,
                task.attempts,
                task.state.value,
                task.message or task.reason or "",
            )

    async def _kill_stray(self, status: TaskStatus, state: TaskState) -> None:
        """Kill an attempt that is not (or no longer) ours and still runs."""
        if state.is_terminal or state is TaskState.TASK_UNKNOWN:
            return
        task_id = status.task_id.value
        log.warning(
            "%s: killing task %s, not a current attempt of this framework", self.name, task_id
        )
        agent_id = status.agent_id.value if status.agent_id else None
        await self.link.call(calls.kill(self.link.framework_id or "", task_id, agent_id=agent_id))

    def _acknowledge(self, status: TaskStatus) -> None:
        """ACKNOWLEDGE an update, without waiting: if that fails, Mesos sends the update again
        and it is acknowledged then."""
        if status.uuid is None or status.agent_id is None:
            return  # an update of the master's own (reconciliation) needs no answer
        task_id = status.task_id.value
        call = calls.acknowledge(
            self.link.framework_id or "", status.agent_id.value, task_id, status.uuid
        )
        answer = self.link.call_soon(call, partial(self._not_acknowledged, task_id))
        if answer is not None:
            self._acknowledging.add(answer)
            answer.add_done_callback(self._acknowledging.discard)

    def _not_acknowledged(self, task_id: str, error: TransportError) -> None:
        log.warning("%s: acknowledging %s failed: %s", self.name, task_id, error)
