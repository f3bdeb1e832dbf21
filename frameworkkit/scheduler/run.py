"""One run of a :class:`~frameworkkit.Framework`: its parts wired together on one event loop.

A :class:`Run` owns the subscription loop, the offer and update handlers and the reconciler for
as long as :meth:`Framework.run_async` lasts; it dispatches events to them, wakes up once a
second (gauges, reviving for ready work), and ends the run: hooks drained, acknowledgements
sent, the framework torn down in Mesos when that is what the ending calls for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from frameworkkit.protocol import calls
from frameworkkit.protocol.events import Failure, SchedulerEvent
from frameworkkit.scheduler.context import RunContext
from frameworkkit.scheduler.errors import AccessDenied
from frameworkkit.scheduler.offers import OfferHandler
from frameworkkit.scheduler.reconciler import Reconciler
from frameworkkit.scheduler.subscription import SubscriptionLoop, SubscriptionRefused
from frameworkkit.scheduler.tasks import Task, Transition
from frameworkkit.scheduler.updates import UpdateHandler
from frameworkkit.states import TaskState
from frameworkkit.transport import (
    MesosConnection,
    RequestRejected,
    SubscriptionEnded,
    Transport,
    TransportError,
    TransportOptions,
)

if TYPE_CHECKING:
    from frameworkkit.scheduler.framework import Framework, Until

log = logging.getLogger("frameworkkit.scheduler")

TICK_SECONDS = 1.0
HOOK_DRAIN_SECONDS = 30.0
"""How long a run's end waits for running hooks (and the acknowledgements after them)."""


class Run:
    """The parts of one framework run, and the loop that drives them."""

    def __init__(
        self,
        framework: Framework,
        options: TransportOptions,
        transport: Transport | None,
    ) -> None:
        self.framework = framework
        self.loop = asyncio.get_running_loop()
        name = framework.name
        self.connection = MesosConnection(framework.master, options=options, transport=transport)
        self.link = SubscriptionLoop(self.connection, self._subscribe_call, self)
        self.link.framework_id = framework.framework_id
        context = RunContext(name, framework.tasks, framework.store, self.link, framework.metrics)
        self.offers = OfferHandler(
            context,
            framework.matcher,
            decline_seconds=framework.decline_seconds,
            unfit_decline_seconds=framework.unfit_decline_seconds,
            on_broken=self._on_broken,
            screen=framework.user_hook("screen_offers"),
            hooks=framework._hooks,
        )
        self.updates = UpdateHandler(
            context,
            framework._hooks,
            framework.user_hook,
            on_again=self._on_again,
            on_final=lambda task: self.wake.set(),
        )
        self.reconciler = Reconciler(context, interval=framework.reconcile_interval)
        self.wake = asyncio.Event()
        self._only_teardown = False
        self._stop = False
        self._teardown: bool | None = None
        self._background: set[asyncio.Future[Any]] = set()
        self._finished = False  # the run ended: spawn nothing more

    # ---- the main loop ------------------------------------------------------------------------

    async def run(self, until: Until, *, timeout: float | None, teardown: bool | None) -> None:
        tracker = self.framework.tasks
        loop_task = asyncio.ensure_future(self.link.run())
        deadline = None if timeout is None else self.loop.time() + timeout
        self._teardown = teardown
        finished = False
        try:
            while not self._stop:
                if until == "idle" and self.link.subscribed and tracker.idle():
                    finished = True
                    break
                if loop_task.done():
                    self._raise_ending(loop_task)
                    break
                remaining = None if deadline is None else deadline - self.loop.time()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(
                        f"{self.framework.name}: not done after {timeout:g} s; "
                        f"{tracker.describe_unfinished()}"
                    )
                self.wake.clear()
                wait = TICK_SECONDS if remaining is None else min(TICK_SECONDS, remaining)
                with contextlib.suppress(asyncio.TimeoutError):  # not TimeoutError on 3.10
                    await asyncio.wait_for(self.wake.wait(), wait)
                self._tick()
        finally:
            ends_framework = self._teardown if self._teardown is not None else finished
            await self._finish(loop_task, teardown=ends_framework)

    async def teardown_only(self) -> None:
        """Subscribe only to end the framework in Mesos (what ``stop(teardown=True)`` does
        while nothing runs)."""
        self._only_teardown = True
        loop_task = asyncio.ensure_future(self.link.run())
        try:
            while not self.link.subscribed:
                if loop_task.done():
                    self._raise_ending(loop_task)
                self.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), TICK_SECONDS)
        finally:
            await self._finish(loop_task, teardown=True)

    def _raise_ending(self, loop_task: asyncio.Future[None]) -> None:
        """Raise what ended the subscription loop; a refusal becomes :class:`AccessDenied`."""
        framework = self.framework
        try:
            loop_task.result()
        except RequestRejected as rejected:
            if rejected.status not in (401, 403):
                raise
            reason = f"HTTP {rejected.status} {rejected.body_excerpt!r}"
            raise AccessDenied(
                framework.name, framework.principal, framework.role, reason
            ) from None
        except SubscriptionRefused as refused:
            raise AccessDenied(
                framework.name, framework.principal, framework.role, refused.message
            ) from None

    def request_stop(self, *, teardown: bool) -> None:
        """Ask the run to end (from any thread)."""

        def stop() -> None:
            self._stop, self._teardown = True, teardown
            self.wake.set()

        self.loop.call_soon_threadsafe(stop)

    def new_work(self, tasks: list[Task]) -> None:
        """Tasks were submitted (called on the loop): ask for offers."""
        now = self.loop.time()
        for task in tasks:
            self.updates.submitted_at[task.key] = now
        self._spawn(self.offers.revive_if_needed())

    def kill(self, task: Task) -> None:
        """Kill ``task`` (called on the loop)."""
        if task.state is TaskState.PENDING:
            transition = self.framework.tasks.kill_pending(task)
            self.framework.store.put_tasks([task.record()])
            self.updates.deliver(transition)
            return
        task.kill_requested = True
        if task.task_id and self.link.subscribed:
            spec = task.spec
            policy = (
                {"grace_period": {"nanoseconds": round(spec.kill_grace_seconds * 1e9)}}
                if spec.kill_grace_seconds is not None
                else None
            )
            call = calls.kill(
                self.link.framework_id or "",
                task.task_id,
                agent_id=task.agent_id,
                kill_policy=policy,
            )
            self._spawn(self.link.call(call))

    def send_message(self, agent_id: str, executor_id: str, data: bytes) -> None:
        """Send ``data`` to an executor (called on the loop; a bad argument raises here)."""
        if not self.link.subscribed:
            raise RuntimeError("send_message: not subscribed to a master yet")
        call = calls.message(self.link.framework_id or "", agent_id, executor_id, data)
        self._spawn(self.link.call(call))

    def revive(self) -> None:
        """REVIVE now (called on the loop)."""
        if not self.link.subscribed:
            raise RuntimeError("revive: not subscribed to a master yet")
        self._spawn(self.offers.revive())

    # ---- events -------------------------------------------------------------------------------

    async def on_event(self, event: SchedulerEvent) -> None:
        kind = event.type
        if self._only_teardown:
            self.wake.set()
        elif kind == "SUBSCRIBED" and event.subscribed is not None:
            await self._on_subscribed(event.subscribed.framework_id.value)
        elif kind == "OFFERS" and event.offers is not None:
            self._schedule_hook("offers", "on_offers", event.offers.offers)
            await self.offers.handle(event.offers.offers)
        elif kind == "UPDATE" and event.update is not None:
            self.reconciler.answered(event.update.status.task_id.value)
            await self.updates.handle(event.update.status)
        elif kind == "MESSAGE" and event.message is not None:
            message = event.message
            self._schedule_hook(
                "messages",
                "on_message",
                message.agent_id.value,
                message.executor_id.value,
                message.data,
            )
        elif kind == "ERROR" and event.error is not None:
            self._on_error(event.error.message)
        elif kind == "FAILURE" and event.failure is not None:
            self._on_failure(event.failure)

    def _on_failure(self, failure: Failure) -> None:
        """An executor ended or an agent was removed: news, not trouble (its tasks' own updates
        say what happened to them)."""
        agent = failure.agent_id.value if failure.agent_id else "?"
        if failure.executor_id is not None:
            log.info(
                "%s: executor %s on agent %s ended with status %s",
                self.framework.name,
                failure.executor_id.value,
                agent,
                failure.status,
            )
        else:
            log.warning("%s: agent %s is gone", self.framework.name, agent)

    async def on_disconnected(self, ended: SubscriptionEnded) -> None:
        log.warning("%s: %s; subscribing again", self.framework.name, ended)

    async def _on_subscribed(self, framework_id: str) -> None:
        framework = self.framework
        if framework_id == framework.framework_id:
            log.info("%s: re-subscribed as framework %s", framework.name, framework_id)
        else:
            log.info("%s: registered as framework %s", framework.name, framework_id)
        framework.remember_framework_id(framework_id)
        framework.metrics.subscriptions += 1
        self.offers.suppressed = self.offers.may_suppress()
        await self.reconciler.subscribed()
        self._schedule_hook("framework", "on_subscribed", framework_id)
        await self.offers.revive_if_needed(force=True)
        self.wake.set()

    def _on_error(self, message: str) -> None:
        framework = self.framework
        log.error("%s: the master reported an error: %s", framework.name, message)
        self._schedule_hook("framework", "on_error", message)
        if "removed" in message.lower() or "torn down" in message.lower():
            log.error(
                "%s: framework %s is gone from Mesos; registering anew",
                framework.name,
                framework.framework_id,
            )
            framework.remember_framework_id(None)
            self.link.framework_id = None

    def _on_again(self, task: Task) -> None:
        delay = max(0.0, task.not_before - time.time())
        self.loop.call_later(delay, lambda: self._spawn(self.offers.revive_if_needed()))

    def _on_broken(self, transition: Transition) -> None:
        self.framework.store.put_tasks([transition.task.record()])
        self.updates.deliver(transition)

    def _subscribe_call(self) -> dict[str, Any]:
        roles = [self.framework.role] if self.offers.may_suppress() else []
        return calls.subscribe(self.framework.framework_info(), suppressed_roles=roles)

    # ---- housekeeping -------------------------------------------------------------------------

    def _tick(self) -> None:
        """Gauges; and REVIVE when ready work waits while offers are suppressed."""
        tracker, metrics = self.framework.tasks, self.framework.metrics
        metrics.pending = len(tracker.pending())
        metrics.active = tracker.active_count()
        if self.link.subscribed and self.offers.suppressed and tracker.ready():
            self._spawn(self.offers.revive_if_needed())

    async def _finish(self, loop_task: asyncio.Future[None], *, teardown: bool) -> None:
        framework = self.framework
        self.link.close()
        if not await self.updates.drain(HOOK_DRAIN_SECONDS):
            log.warning(
                "%s: hooks or acknowledgements still under way after %g s; ending without them",
                framework.name,
                HOOK_DRAIN_SECONDS,
            )
        try:
            if teardown and framework.framework_id:
                if self.link.subscribed:
                    await self.link.call(calls.teardown(framework.framework_id))
                    log.info(
                        "%s: framework %s ended in Mesos", framework.name, framework.framework_id
                    )
                    framework.remember_framework_id(None)
                    killed = framework.tasks.end_active(TaskState.TASK_KILLED, "framework ended")
                    framework.store.put_tasks([task.record() for task in killed])
                else:
                    log.warning(
                        "%s: framework %s not ended in Mesos: not subscribed",
                        framework.name,
                        framework.framework_id,
                    )
        finally:
            self._finished = True
            loop_task.cancel()
            for work in list(self._background):
                work.cancel()
            await self.reconciler.close()
            await asyncio.gather(loop_task, *self._background, return_exceptions=True)
            await self.connection.aclose()
            framework._hooks.close()

    def _schedule_hook(self, key: str, name: str, *args: Any) -> None:
        hook = self.framework.user_hook(name)
        if hook is not None:
            future = self.framework._hooks.schedule(key, hook, *args)
            future.add_done_callback(self._log_hook_failure(name))

    def _log_hook_failure(self, name: str) -> Any:
        def report(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is not None:
                log.error(
                    "%s: hook %s raised", self.framework.name, name, exc_info=future.exception()
                )

        return report

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` beside the event loop's main line; a failed call is logged, not lost."""
        if self._finished:
            work.close()  # the run is over: nothing more goes to Mesos
            return
        future = asyncio.ensure_future(self._logging_failures(work))
        self._background.add(future)
        future.add_done_callback(self._background.discard)

    async def _logging_failures(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except TransportError as exc:
            log.warning("%s: a call failed: %s", self.framework.name, exc)
