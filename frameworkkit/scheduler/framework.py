"""The :class:`Framework` base class: subclass it, submit tasks, run it.

It subscribes to the leading master, matches pending tasks to offers (several per agent, one
ACCEPT per agent), tracks every task's state, acknowledges updates once they are durable and the
hooks have run, retries failed attempts, reconciles after every (re)subscription and
periodically, suppresses offers when idle and revives on new work, and keeps its framework id and
every submitted task in a state store so that a restarted scheduler picks up where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import getpass
import inspect
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx

from frameworkkit.placement import Fitness
from frameworkkit.protocol import calls, infos
from frameworkkit.protocol.codec import DecodeError, decode_scheduler_event, encode_call
from frameworkkit.protocol.events import SchedulerEvent
from frameworkkit.protocol.messages import Offer, TaskStatus
from frameworkkit.scheduler.launch import task_info
from frameworkkit.scheduler.matching import Launch, Matcher
from frameworkkit.scheduler.metrics import FrameworkMetrics
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.spec import TaskSpec
from frameworkkit.scheduler.store import FileStateStore, StateStore
from frameworkkit.scheduler.tasks import Task, TaskTracker, Transition
from frameworkkit.states import TaskState
from frameworkkit.transport import MesosConnection, Secret, SubscriptionEnded, TransportOptions
from frameworkkit.transport.errors import TransportError

log = logging.getLogger("frameworkkit.scheduler")

ONE_WEEK = 7 * 24 * 3600.0
_ROLE = re.compile(r"^(\*|[^/.\s-][^/\s]*(/[^/.\s][^/\s]*)*)$")
Until = Literal["idle", "forever"]


class Framework:
    """Base class of a Mesos framework. Subclass it and override the ``on_*`` hooks you need.

    Hooks may be plain functions or ``async def``; they run on the framework's event loop, one at a
    time, and an update is acknowledged to Mesos only after its hook returned. Construct with the
    master (``http://host:5050``, a list of masters, or ``zk://h1,h2/mesos``), then
    :meth:`submit` tasks and :meth:`run` (blocking) or ``await`` :meth:`run_async` (Jupyter).

    The framework id and every submitted task persist in ``state_dir`` (or ``store``): a
    scheduler restarted with the same state re-subscribes with the same id, reconciles, and
    finishes the rest. ``failover_timeout`` (a week by default) is how long Mesos keeps the tasks
    running while no scheduler is connected.
    """

    name: ClassVar[str] = "frameworkkit"

    def __init__(
        self,
        master: str | Sequence[str],
        *,
        role: str = "*",
        user: str | None = None,
        state_dir: str | Path | None = None,
        store: StateStore | None = None,
        principal: str | None = None,
        secret: str | Secret | None = None,
        failover_timeout: float = ONE_WEEK,
        checkpoint: bool = True,
        strategy: str | Fitness = "binpack",
        seed: int = 0,
        webui_url: str | None = None,
        labels: dict[str, str] | None = None,
        options: TransportOptions | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        reconcile_interval: float = 600.0,
        decline_seconds: float = 300.0,
        unfit_decline_seconds: float = 5.0,
        executor: PackedExecutor | None = None,
    ) -> None:
        if not isinstance(role, str) or not _ROLE.match(role):
            raise ValueError(f"role: {role!r} is not a Mesos role name")
        for field, value in (
            ("failover_timeout", failover_timeout),
            ("reconcile_interval", reconcile_interval),
            ("decline_seconds", decline_seconds),
            ("unfit_decline_seconds", unfit_decline_seconds),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{field}: must be a number >= 0, got {value!r}")
        if state_dir is not None and store is not None:
            raise ValueError("store: give state_dir or store, not both")
        if executor is not None and not isinstance(executor, PackedExecutor):
            raise TypeError(f"executor: a PackedExecutor, got {type(executor).__name__}")
        if secret is not None and principal is None:
            raise ValueError("principal: a secret needs the principal it belongs to")
        self.master = master
        self.role = role
        self.user = user or getpass.getuser()
        self.failover_timeout = float(failover_timeout)
        self.checkpoint = checkpoint
        self.webui_url = webui_url
        self.labels = dict(labels or {})
        self.reconcile_interval = float(reconcile_interval)
        self.decline_seconds = float(decline_seconds)
        self.unfit_decline_seconds = float(unfit_decline_seconds)
        self.executor = executor
        base_options = options or TransportOptions()
        if principal is not None:
            wrapped = Secret(secret) if isinstance(secret, str) else secret
            base_options = dataclasses.replace(base_options, principal=principal, secret=wrapped)
        self._options = base_options
        self._principal = principal
        self._transport = transport
        directory = Path(state_dir or Path.home() / ".frameworkkit" / self.name).expanduser()
        self.store: StateStore = store or FileStateStore(directory)
        self.tasks = TaskTracker()
        self.metrics = FrameworkMetrics()
        self.matcher = Matcher(strategy=strategy, seed=seed)
        self.framework_id: str | None = None
        self._lock = threading.RLock()
        self._loaded = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: MesosConnection | None = None
        self._subscribed = False
        self._suppressed = False
        self._wake: asyncio.Event | None = None
        self._stop_requested = False
        self._teardown_requested = False
        self._closing = False  # run_async is on its way out: a stream end is expected
        self._background: set[asyncio.Future[Any]] = set()
        self._acks: set[asyncio.Future[None]] = set()
        self._submitted_at: dict[str, float] = {}
        self._unplaced: dict[str, str] = {}
        self._reconciling: dict[str, str] = {}
        self._last_revive = 0.0
        self._last_tick = 0.0
        self._implicit_reconciler: asyncio.Task[None] | None = None

    # ---- hooks (override) ---------------------------------------------------------------------

    def on_subscribed(self, framework_id: str) -> Any:
        """Mesos accepted the (re)subscription; ``framework_id`` is ours."""

    def on_offers(self, offers: list[Offer]) -> Any:
        """Offers arrived (before matching). For inspection; the framework places tasks itself."""

    def on_task_update(self, task: Task, status: TaskStatus) -> Any:
        """Any status update of a task we know, before the specific hooks below."""

    def on_task_running(self, task: Task) -> Any:
        """The task's current attempt reached TASK_RUNNING."""

    def on_task_finished(self, task: Task) -> Any:
        """The task finished successfully (exactly once per task)."""

    def on_task_failed(self, task: Task) -> Any:
        """The task failed for good: its last attempt failed and no retry is left."""

    def on_task_lost(self, task: Task) -> Any:
        """An attempt was lost, dropped, gone or unknown to Mesos (a retry may follow)."""

    def on_task_killed(self, task: Task) -> Any:
        """The task was killed on request."""

    def on_message(self, agent_id: str, executor_id: str, data: bytes) -> Any:
        """An executor sent a framework message."""

    def on_error(self, message: str) -> Any:
        """The master reported an error for this framework."""

    # ---- public API ---------------------------------------------------------------------------

    def submit(self, spec: TaskSpec) -> Task:
        """Queue a task; returns its handle at once. Thread-safe; durable before it returns."""
        return self.submit_many([spec])[0]

    def submit_many(self, specs: Iterable[TaskSpec]) -> list[Task]:
        """Queue several tasks with one durable write. Thread-safe."""
        checked = [self._checked_spec(i, spec) for i, spec in enumerate(specs)]
        loop = self._loop
        if loop is not None and loop.is_running() and not _in_loop(loop):
            # hand the change to the loop's thread, which owns the tracker while running
            async def on_loop() -> list[Task]:
                return self._add(checked)

            return asyncio.run_coroutine_threadsafe(on_loop(), loop).result()
        return self._add(checked)

    def _add(self, checked: list[TaskSpec]) -> list[Task]:
        with self._lock:
            self._ensure_loaded()
            handles = [self.tasks.add(spec) for spec in checked]
            self.store.put_tasks([h.record() for h in handles])
        now = time.monotonic()
        for handle in handles:
            self._submitted_at[handle.key] = now
        self.metrics.tasks_submitted.inc(len(handles))
        self._notify_new_work()
        return handles

    def kill(self, task: Task) -> None:
        """Kill a task: a pending one ends TASK_KILLED at once, a running one via Mesos."""
        if task.done:
            return
        self._on_loop(self._kill(task))

    def stop(self, *, teardown: bool = False) -> None:
        """Ask :meth:`run` to return. ``teardown=True`` also ends the framework in Mesos
        (killing its tasks); otherwise Mesos keeps them for ``failover_timeout`` (failover)."""
        self._stop_requested = True
        self._teardown_requested = teardown
        self._wake_loop()

    def run(
        self, until: Until = "idle", *, timeout: float | None = None, teardown: bool = False
    ) -> None:
        """Run until every task is done (``"idle"``) or :meth:`stop` (``"forever"``); blocking.

        Inside a running event loop (Jupyter), it runs the framework in a worker thread and
        blocks until it returns; ``await run_async()`` instead to keep the notebook responsive.
        ``teardown`` ends the framework in Mesos when it returns; otherwise it fails over.
        """
        coroutine = self.run_async(until, timeout=timeout, teardown=teardown)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coroutine)
            return
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                asyncio.run(coroutine)
            except BaseException as exc:  # handed back to the caller's thread
                errors.append(exc)

        thread = threading.Thread(target=worker, name=f"{self.name}-framework")
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

    async def run_async(
        self, until: Until = "idle", *, timeout: float | None = None, teardown: bool = False
    ) -> None:
        """The framework's main loop as a coroutine; see :meth:`run`."""
        if until not in ("idle", "forever"):
            raise ValueError(f"until: 'idle' or 'forever', got {until!r}")
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stop_requested = self._closing = False
        self._teardown_requested = teardown
        with self._lock:
            self._ensure_loaded()
        connection = MesosConnection(self.master, options=self._options, transport=self._transport)
        self._connection = connection
        loop_task = asyncio.create_task(self._subscription_loop(connection))
        deadline = None if timeout is None else self._loop.time() + timeout
        try:
            while not self._stop_requested:
                if until == "idle" and self._subscribed and self.tasks.idle():
                    break
                if loop_task.done():
                    loop_task.result()  # raises what ended it
                    break
                remaining = None if deadline is None else deadline - self._loop.time()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(f"{self.name}: not done after {timeout} s")
                self._wake.clear()
                wait = 1.0 if remaining is None else min(1.0, remaining)
                with contextlib.suppress(asyncio.TimeoutError):  # not TimeoutError on 3.10
                    await asyncio.wait_for(self._wake.wait(), wait)
                if self._loop.time() - self._last_tick >= 1.0:
                    self._last_tick = self._loop.time()
                    self._on_tick()
        finally:
            await self._shutdown(connection, loop_task)

    @property
    def unplaced(self) -> dict[str, str]:
        """Why pending tasks did not fit the last offers, by task key."""
        return dict(self._unplaced)

    # ---- loop internals -----------------------------------------------------------------------

    def _checked_spec(self, index: int, spec: TaskSpec) -> TaskSpec:
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"spec: a TaskSpec, got {type(spec).__name__} (item {index})")
        if spec.role not in (None, self.role):
            raise ValueError(
                f"role: task {spec.name!r} asks for role {spec.role!r}, but the framework "
                f"subscribes with role {self.role!r}"
            )
        return spec

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        state = self.store.load()
        self.framework_id = state.framework_id
        for record in state.tasks:
            self.tasks.restore(record)
        self._loaded = True
        if state.tasks:
            log.info(
                "%s: restored framework %s with %d tasks (%d not done)",
                self.name,
                self.framework_id,
                len(state.tasks),
                sum(not t.done for t in self.tasks),
            )

    def _on_loop(self, coroutine: Awaitable[Any]) -> None:
        """Run a coroutine on the framework's loop, from any thread; now if it isn't running."""
        loop = self._loop
        if loop is not None and loop.is_running():
            if _in_loop(loop):
                self._spawn(coroutine)
            else:
                asyncio.run_coroutine_threadsafe(coroutine, loop)  # type: ignore[arg-type]
        else:
            asyncio.run(coroutine)  # type: ignore[arg-type]

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _wake_loop(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and loop.is_running():
            loop.call_soon_threadsafe(wake.set)

    def _notify_new_work(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(lambda: self._spawn(self._revive_if_needed()))

    def _retry_due(self) -> None:
        """A retry's backoff has passed: ask for offers again (REVIVE clears our filters)."""
        self._spawn(self._revive_if_needed())

    def _on_tick(self) -> None:
        """About once a second: update the gauges; revive if ready work waits unoffered."""
        self.metrics.pending.set(len(self.tasks.waiting()))
        self.metrics.active.set(len(self.tasks.active()))
        if self._subscribed and self._suppressed and self.tasks.pending():
            self._spawn(self._revive_if_needed())

    async def _subscription_loop(self, connection: MesosConnection) -> None:
        while True:
            info = self._framework_info()
            idle = not self.tasks.waiting()
            body = encode_call(calls.subscribe(info, suppressed_roles=[self.role] if idle else ()))
            subscription = await connection.subscribe(body)
            self._suppressed = idle
            try:
                async for frame in subscription:
                    try:
                        event = decode_scheduler_event(frame)
                    except DecodeError as exc:
                        log.warning(
                            "%s: skipping an event that does not decode: %s", self.name, exc
                        )
                        continue
                    if event.type == "SUBSCRIBED" and event.subscribed is not None:
                        interval = event.subscribed.heartbeat_interval_seconds
                        if interval:
                            subscription.set_heartbeat_interval(interval)
                    try:
                        await self._dispatch(event)
                    except TransportError as exc:
                        log.warning(
                            "%s: a call failed while handling %s: %s", self.name, event.type, exc
                        )
                    except Exception:
                        log.exception("%s: handling %s failed", self.name, event.type)
            except SubscriptionEnded as ended:
                if self._closing:
                    return
                log.warning("%s: subscription ended (%s); resubscribing", self.name, ended)
            finally:
                self._subscribed = False
                await subscription.aclose()

    async def _dispatch(self, event: SchedulerEvent) -> None:
        kind = event.type
        if kind == "SUBSCRIBED" and event.subscribed is not None:
            await self._on_subscribed_event(event.subscribed.framework_id.value)
        elif kind == "OFFERS" and event.offers is not None:
            await self._on_offers_event(event.offers.offers)
        elif kind == "UPDATE" and event.update is not None:
            await self._on_update_event(event.update.status)
        elif kind == "MESSAGE" and event.message is not None:
            msg = event.message
            await _call_hook(self.on_message, msg.agent_id.value, msg.executor_id.value, msg.data)
        elif kind == "ERROR" and event.error is not None:
            await self._on_error_event(event.error.message)
        elif kind == "FAILURE" and event.failure is not None:
            log.warning("%s: agent/executor failure: %s", self.name, event.failure)
        elif kind in ("HEARTBEAT", "RESCIND", "RESCIND_INVERSE_OFFER", "INVERSE_OFFERS"):
            pass  # offers are never held, so a rescind needs no action
        else:
            log.debug("%s: ignoring %s event", self.name, kind)

    def _framework_info(self) -> dict[str, Any]:
        capabilities = ["MULTI_ROLE", "PARTITION_AWARE", "TASK_KILLING_STATE"]
        return infos.framework_info(
            self.user,
            self.name,
            framework_id=self.framework_id,
            failover_timeout=self.failover_timeout,
            checkpoint=self.checkpoint,
            roles=[self.role],
            capabilities=capabilities,
            principal=self._principal,
            webui_url=self.webui_url,
            labels=self.labels or None,
        )

    async def _call(self, call: dict[str, Any]) -> None:
        assert self._connection is not None
        await self._connection.call(encode_call(call))

    async def _on_subscribed_event(self, framework_id: str) -> None:
        if framework_id != self.framework_id:
            log.info("%s: registered as framework %s", self.name, framework_id)
            with self._lock:
                self.store.put_framework_id(framework_id)
            self.framework_id = framework_id
        else:
            log.info("%s: re-subscribed as framework %s", self.name, framework_id)
        self._subscribed = True
        self.metrics.subscriptions.inc()
        if self._implicit_reconciler is None or self._implicit_reconciler.done():
            self._implicit_reconciler = asyncio.ensure_future(self._reconcile_implicitly())
            self._background.add(self._implicit_reconciler)
            self._implicit_reconciler.add_done_callback(self._background.discard)
        await self._reconcile_explicitly()
        await _call_hook(self.on_subscribed, framework_id)
        if self.tasks.pending():
            await self._revive_if_needed(force=True)
        self._wake_loop()

    async def _reconcile_explicitly(self) -> None:
        """Ask for the state of every task we believe active; unanswered ones are asked again."""
        active = [t for t in self.tasks.active() if t.task_id]
        if not active:
            return
        self._reconciling = {t.task_id: t.key for t in active if t.task_id}
        pairs = [(t.task_id, t.agent_id) for t in active if t.task_id]
        log.info("%s: reconciling %d tasks", self.name, len(pairs))
        await self._call(calls.reconcile(self.framework_id or "", pairs))
        self._spawn(self._reconcile_followup(delay=5.0))

    async def _reconcile_followup(self, delay: float) -> None:
        await asyncio.sleep(delay)
        missing = [self.tasks.get(k) for k in self._reconciling.values()]
        pairs = [(t.task_id, t.agent_id) for t in missing if t and t.task_id and not t.done]
        if pairs and self._subscribed:
            log.info("%s: %d tasks still unreconciled; asking again", self.name, len(pairs))
            await self._call(calls.reconcile(self.framework_id or "", pairs))
            self._spawn(self._reconcile_followup(min(delay * 2, 60.0)))

    async def _reconcile_implicitly(self) -> None:
        while self._subscribed and self.reconcile_interval:
            await asyncio.sleep(self.reconcile_interval)
            if self._subscribed:
                await self._call(calls.reconcile(self.framework_id or ""))

    async def _on_offers_event(self, offers: list[Offer]) -> None:
        self.metrics.offers_received.inc(len(offers))
        await _call_hook(self.on_offers, offers)
        pending = self.tasks.pending()
        used: set[str] = set()
        if pending:
            result = self.matcher.match(
                pending, offers, self.tasks.active(), self.role, self.executor
            )
            self._unplaced = result.unplaced
            launches_by_agent = result.by_agent()
            for launches in launches_by_agent.values():
                used.update(launches[0].offer_ids)
            await self._launch(launches_by_agent, result.executor_resources)
        unused = [o.id.value for o in offers if o.id.value not in used]
        if unused:
            # short filters while anything waits (even a retry in its backoff), long ones when idle
            waiting = self.tasks.waiting()
            refuse = self.unfit_decline_seconds if waiting else self.decline_seconds
            self.metrics.offers_declined.inc(len(unused))
            await self._call(calls.decline(self.framework_id or "", unused, refuse_seconds=refuse))
        if not self.tasks.waiting() and not self._suppressed:
            await self._suppress()

    async def _launch(
        self,
        launches_by_agent: dict[str, list[Launch]],
        executor_resources: dict[str, list[dict[str, Any]]],
    ) -> None:
        if not launches_by_agent:
            return
        accepts = []
        records = []
        for agent_id, launches in launches_by_agent.items():
            executor = self._executor_info(executor_resources.get(agent_id))
            task_infos = []
            for launch in launches:
                task = launch.task
                task_id = self.tasks.launching(task, agent_id)
                task_infos.append(
                    task_info(
                        task.spec,
                        task_id,
                        agent_id,
                        launch.resources,
                        launch.ports,
                        executor=executor,
                    )
                )
                records.append(task.record())
            more = bool(self.tasks.pending())
            accepts.append(
                calls.accept(
                    self.framework_id or "",
                    launches[0].offer_ids,
                    [{"type": "LAUNCH", "launch": {"task_infos": task_infos}}],
                    refuse_seconds=1.0 if more else self.decline_seconds,
                )
            )
        with self._lock:
            self.store.put_tasks(records)  # durable before Mesos hears of them
        self.metrics.tasks_launched.inc(len(records))
        await asyncio.gather(*(self._call(call) for call in accepts))

    def _executor_info(self, resources: list[dict[str, Any]] | None) -> dict[str, Any] | None:
        """The packed executor's info for one agent (its share as that agent offered it)."""
        if self.executor is None:
            return None
        if resources is None:  # never offered here since start: the unreserved default
            resources = [
                {
                    "name": name,
                    "type": "SCALAR",
                    "scalar": {"value": amount},
                    "role": "*",
                    "allocation_info": {"role": self.role},
                }
                for name, amount in self.executor.scalars.items()
            ]
        return self.executor.executor_info(self.framework_id or "", resources)

    async def _on_update_event(self, status: TaskStatus) -> None:
        task_id = status.task_id.value
        agent_id = status.agent_id.value if status.agent_id else None
        try:
            state = TaskState(status.state)
        except ValueError:
            log.warning("%s: update for %s has unknown state %r", self.name, task_id, status.state)
        else:
            self.metrics.task_updates.labels(state.value).inc()
            self._reconciling.pop(task_id, None)
            transition = self.tasks.update(
                task_id,
                state,
                reason=status.reason,
                message=status.message,
                agent_id=agent_id,
                healthy=status.healthy,
            )
            if transition is None:
                await self._on_unknown_task(status)
            elif not transition.duplicate:
                await self._apply(transition, status)
        if status.uuid and agent_id:
            ack = asyncio.ensure_future(self._acknowledge(agent_id, task_id, status.uuid))
            self._acks.add(ack)
            ack.add_done_callback(self._acks.discard)

    async def _apply(self, transition: Transition, status: TaskStatus) -> None:
        task = transition.task
        if transition.retry or transition.final:
            with self._lock:
                self.store.put_tasks([task.record()])
        await _call_hook(self.on_task_update, task, status)
        state = transition.state
        if state is TaskState.TASK_RUNNING and transition.previous is not TaskState.TASK_RUNNING:
            started = self._submitted_at.pop(task.key, None)
            if started is not None:
                self.metrics.time_to_running.observe(time.monotonic() - started)
            await _call_hook(self.on_task_running, task)
        if state in (
            TaskState.TASK_LOST,
            TaskState.TASK_DROPPED,
            TaskState.TASK_GONE,
            TaskState.TASK_GONE_BY_OPERATOR,
            TaskState.TASK_UNKNOWN,
        ):
            await _call_hook(self.on_task_lost, task)
        if transition.retry:
            self.metrics.tasks_retried.inc()
            log.info(
                "%s: task %s attempt %d ended %s (%s); retrying",
                self.name,
                task.name,
                task.attempts,
                state.value,
                status.message or status.reason,
            )
            delay = max(0.0, task.not_before - time.time())
            asyncio.get_running_loop().call_later(delay, self._retry_due)
        if transition.final:
            self.metrics.tasks_done.labels(task.state.value).inc()
            self._wake_loop()
            if task.state is TaskState.TASK_FINISHED:
                await _call_hook(self.on_task_finished, task)
            elif task.state is TaskState.TASK_KILLED:
                await _call_hook(self.on_task_killed, task)
            else:
                log.warning(
                    "%s: task %s failed for good: %s %s",
                    self.name,
                    task.name,
                    task.state.value,
                    status.message or status.reason or "",
                )
                await _call_hook(self.on_task_failed, task)

    async def _on_unknown_task(self, status: TaskStatus) -> None:
        """An update for a task id no attempt of ours has: kill it if it still runs."""
        state = TaskState(status.state)
        if state.is_terminal or state is TaskState.TASK_UNKNOWN:
            return
        log.warning(
            "%s: killing task %s, unknown to this framework", self.name, status.task_id.value
        )
        await self._call(
            calls.kill(
                self.framework_id or "",
                status.task_id.value,
                agent_id=status.agent_id.value if status.agent_id else None,
            )
        )

    async def _acknowledge(self, agent_id: str, task_id: str, uuid: bytes) -> None:
        try:
            await self._call(calls.acknowledge(self.framework_id or "", agent_id, task_id, uuid))
        except TransportError as exc:  # Mesos resends unacknowledged updates
            log.warning("%s: acknowledging %s failed: %s", self.name, task_id, exc)

    async def _on_error_event(self, message: str) -> None:
        log.error("%s: master error: %s", self.name, message)
        await _call_hook(self.on_error, message)
        if "removed" in message.lower() or "torn down" in message.lower():
            log.error(
                "%s: framework %s is gone from Mesos; registering anew",
                self.name,
                self.framework_id,
            )
            with self._lock:
                self.store.put_framework_id(None)
            self.framework_id = None

    async def _suppress(self) -> None:
        await self._call(calls.suppress(self.framework_id or "", [self.role]))
        self._suppressed = True
        log.info("%s: nothing pending; offers suppressed", self.name)

    async def _revive_if_needed(self, *, force: bool = False) -> None:
        """REVIVE (clearing our decline filters) for ready work, at most once a second."""
        if not self._subscribed or not self.tasks.pending():
            return
        now = time.monotonic()
        if force or now - self._last_revive >= 1.0:
            self._last_revive = now
            self._suppressed = False
            await self._call(calls.revive(self.framework_id or "", [self.role]))

    async def _kill(self, task: Task) -> None:
        if task.state is TaskState.PENDING:
            transition = self.tasks.kill_pending(task)
            with self._lock:
                self.store.put_tasks([task.record()])
            self.metrics.tasks_done.labels(task.state.value).inc()
            await _call_hook(self.on_task_killed, transition.task)
            self._wake_loop()
            return
        task.kill_requested = True
        if task.task_id and self._subscribed:
            policy = (
                infos.kill_policy(task.spec.kill_grace_seconds)
                if task.spec.kill_grace_seconds is not None
                else None
            )
            await self._call(
                calls.kill(
                    self.framework_id or "",
                    task.task_id,
                    agent_id=task.agent_id,
                    kill_policy=policy,
                )
            )

    async def _shutdown(self, connection: MesosConnection, loop_task: asyncio.Task[None]) -> None:
        self._closing = True
        if self._acks:  # let Mesos hear every acknowledgement before we go
            await asyncio.wait(list(self._acks), timeout=10)
        try:
            if self._teardown_requested and self.framework_id and self._subscribed:
                await self._call(calls.teardown(self.framework_id))
                with self._lock:
                    self.store.put_framework_id(None)
                log.info("%s: framework %s torn down", self.name, self.framework_id)
                self.framework_id = None
        finally:
            loop_task.cancel()
            for task in list(self._background):
                task.cancel()
            await asyncio.gather(loop_task, *self._background, return_exceptions=True)
            await connection.aclose()
            self._subscribed = False
            self._connection = None


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _call_hook(hook: Callable[..., Any], *args: Any) -> None:
    """Call a user hook, plain or async; log (never raise) what it raises."""
    try:
        result = hook(*args)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("hook %s raised", getattr(hook, "__name__", hook))
