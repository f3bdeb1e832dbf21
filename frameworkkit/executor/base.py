"""The :class:`Executor` base class: subclass it, write ``launch``, call ``run()``.

Example::

    class Crunch(Executor):
        async def launch(self, task):
            result = await crunch(task.data)
            self.send_framework_message(result)   # returning reports TASK_FINISHED

    if __name__ == "__main__":
        raise SystemExit(Crunch().run())
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import msgspec

from frameworkkit.hooks import HookRunner, overrides
from frameworkkit.loops import on_loop, run_blocking
from frameworkkit.protocol.events import ExecutorSubscribed
from frameworkkit.protocol.messages import FrameworkInfo, TaskInfo

from .client import ExecutorClient, Relay
from .core import ExecutorCore
from .environment import ExecutorEnvironment
from .interfaces import AgentApi, JsonDict
from .rules import (
    DEFAULT_KILL_GRACE_PERIOD,
    EXIT_AGENT_LOST,
    EXIT_OK,
    SHUTDOWN_MARGIN,
    kill_grace_period,
    opted_in,
    shutdown_kill_grace,
)

__all__ = ["DEFAULT_KILL_GRACE_PERIOD", "Executor"]

logger = logging.getLogger("frameworkkit.executor")

CLIENT_JOIN_TIMEOUT = 2.0


@dataclass
class _TaskRun:
    """One launched task: its info (typed, and as the agent sent it), the coroutine running its
    launch hook, what was reported."""

    info: TaskInfo
    sent: JsonDict
    runner: asyncio.Task[None] | None = None
    killing: bool = False
    terminal_sent: bool = False


class Executor(ExecutorCore):
    """Base class of Mesos executors speaking the v1 HTTP executor API.

    Override :meth:`launch`; every other hook has a working default. Hooks may be plain methods
    (run in a thread of their own, so they may block) or ``async def`` (run on the event loop,
    so they must not block).
    Each launched task runs its ``launch`` concurrently with the others:

    - ``launch`` returning reports TASK_FINISHED, raising reports TASK_FAILED with the error
      as the message, unless the hook already sent a terminal state itself;
    - with ``report_running`` (the default) TASK_RUNNING is sent just before ``launch`` starts;
    - a task being killed ends as TASK_KILLED whatever ``launch`` then does.

    The executor runs until the agent sends SHUTDOWN, :meth:`stop` is called, SIGTERM arrives,
    or the agent is lost (see :mod:`frameworkkit.executor.client`). The shutdown hook then
    gets ``MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`` to end every task.

    ``environment`` defaults to the one the agent set (:meth:`ExecutorEnvironment.from_environ`);
    ``agent_api`` replaces the HTTP connection to the agent (tests pass a fake one).
    """

    report_running: ClassVar[bool] = True

    def __init__(
        self,
        environment: ExecutorEnvironment | None = None,
        *,
        agent_api: AgentApi | None = None,
    ) -> None:
        super().__init__(environment, agent_api=agent_api)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: dict[str, _TaskRun] = {}
        self._hooks = HookRunner("executor")
        self._framework_info: FrameworkInfo | None = None
        self._framework_json: JsonDict | None = None
        self._stopping: asyncio.Event | None = None

    # Hooks: override these.

    def launch(self, task: TaskInfo) -> Awaitable[None] | None:
        """Run ``task`` to its end (see the class doc for how the outcome is reported)."""
        raise NotImplementedError(f"{type(self).__name__} must override launch(task)")

    def kill(self, task_id: str, grace_period: float) -> Awaitable[None] | None:
        """Stop a running task within ``grace_period`` seconds.

        The default cancels an ``async`` launch hook (it sees ``CancelledError``); a plain
        launch hook running in a thread cannot be interrupted, so override this for those.
        TASK_KILLING (when the framework opted in) is sent before this is called.
        """
        self._on_thread("kill", self._cancel_launch, task_id)
        return None

    def shutdown(self) -> Awaitable[None] | None:
        """The agent asked this executor to end: kill every running task. Called once."""
        grace = shutdown_kill_grace(self.environment.shutdown_grace_period)
        self._on_thread("shutdown", self._kill_all, grace)
        return None

    def framework_message(self, data: bytes) -> Awaitable[None] | None:
        """The scheduler sent ``data`` to this executor. The default logs it."""
        logger.info("framework message of %d bytes (no framework_message hook)", len(data))
        return None

    def subscribed(self, info: ExecutorSubscribed) -> Awaitable[None] | None:
        """The agent accepted this executor's subscription (again, after a reconnection)."""
        return None

    def disconnected(self) -> Awaitable[None] | None:
        """The connection to the agent broke; the executor is trying to subscribe again."""
        return None

    def acknowledged(self, task_id: str, state: str) -> Awaitable[None] | None:
        """The agent acknowledged the ``state`` update of ``task_id`` (it will not be resent)."""
        return None

    def error(self, message: str) -> Awaitable[None] | None:
        """The agent reported an error (already logged)."""
        return None

    # Helpers: call these.

    @property
    def framework_info(self) -> FrameworkInfo | None:
        """The framework's FrameworkInfo from the agent, once subscribed."""
        return self._framework_info

    @property
    def running_tasks(self) -> Mapping[str, TaskInfo]:
        """The tasks launched and not yet ended, by task id."""
        return {task_id: run.info for task_id, run in dict(self._tasks).items()}

    def send_framework_message(self, data: bytes) -> None:
        """Send ``data`` to the scheduler (no delivery guarantee, as in Mesos). Any thread."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data: expected bytes, got {type(data).__name__}")
        self._on_thread("send_framework_message", self._require_client().send_message, bytes(data))

    def run(self) -> int:
        """Run until shut down; return the exit status for the process (0 unless the agent
        was lost). Works where an event loop already runs (Jupyter), using a thread."""
        return run_blocking(self.run_async, name="frameworkkit-executor")

    async def run_async(self) -> int:
        """:meth:`run` for code already inside an event loop."""
        if self._loop is not None:
            raise RuntimeError("run: this executor already ran; create a new one")
        env = self.environment
        loop = self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        client = self._client = ExecutorClient(env, Relay(self), self._agent(), post=self._post)
        logger.info(
            "executor %s of framework %s starting; agent %s",
            env.executor_id,
            env.framework_id,
            env.url,
        )
        client.start()
        with _stop_on_signals(loop, self.stop):
            await self._stopping.wait()
            await self._shut_down()
            client.close()
            await loop.run_in_executor(None, client.join, CLIENT_JOIN_TIMEOUT)
        logger.info("executor %s exiting with status %d", env.executor_id, self._exit_status)
        return self._exit_status

    # What the agent's events do (called through the client's Relay, on the event loop).

    def _handle_subscribed(self, subscribed: JsonDict) -> None:
        try:
            info = msgspec.convert(subscribed, ExecutorSubscribed)
        except msgspec.ValidationError as exc:
            logger.error("ignoring a SUBSCRIBED event the agent sent: %s", exc)
            return
        self._framework_info = info.framework_info
        self._framework_json = subscribed.get("framework_info")
        self._schedule_hook("session", "subscribed", info)

    def _handle_launch(self, tasks: list[JsonDict]) -> None:
        for sent in tasks:
            task_id = sent["task_id"]["value"]
            if self._stopping is not None and self._stopping.is_set():
                logger.warning("shutting down: not launching task %s", task_id)
                continue
            if task_id in self._tasks:
                logger.warning("task %s is running already; ignoring a second LAUNCH", task_id)
                continue
            try:
                task = msgspec.convert(sent, TaskInfo)
            except msgspec.ValidationError as exc:
                logger.error("ignoring task %s, which the agent sent malformed: %s", task_id, exc)
                continue
            run = self._tasks[task_id] = _TaskRun(task, sent)
            run.runner = asyncio.get_running_loop().create_task(self._run_task(run))

    def _handle_kill(self, task_id: str, grace_period: float | None) -> None:
        run = self._tasks.get(task_id)
        if run is None:
            logger.warning("kill for task %s, which is not running here: ignored", task_id)
            return
        self._kill_task(task_id, kill_grace_period(run.sent, grace_period))

    def _handle_acknowledged(self, status: Mapping[str, Any]) -> None:
        task_id = status["task_id"]["value"]
        self._schedule_hook(task_id, "acknowledged", task_id, status["state"])

    def _handle_message(self, data: bytes) -> None:
        self._schedule_hook("messages", "framework_message", data)

    def _handle_error(self, message: str) -> None:
        self._schedule_hook("session", "error", message)

    def _handle_disconnected(self) -> None:
        self._schedule_hook("session", "disconnected")

    def _handle_shutdown(self) -> None:
        self._begin_stop(EXIT_OK, "the agent sent SHUTDOWN")

    def _handle_agent_lost(self, reason: str) -> None:
        self._begin_stop(EXIT_AGENT_LOST, reason)

    # Internals.

    def _kill_task(self, task_id: str, grace_period: float) -> None:
        """Report TASK_KILLING once (when the framework opted in) and call the kill hook."""
        run = self._tasks[task_id]
        logger.info("killing task %s with a grace period of %.3g s", task_id, grace_period)
        if not run.killing:
            run.killing = True
            if opted_in(self._framework_json, "TASK_KILLING_STATE"):
                self.send_status(task_id, "TASK_KILLING")
        self._schedule_hook(task_id, "kill", task_id, grace_period)

    def _kill_all(self, grace_period: float) -> None:
        for task_id in list(self._tasks):
            self._kill_task(task_id, grace_period)

    def _cancel_launch(self, task_id: str) -> None:
        run = self._tasks.get(task_id)
        if run is not None and run.runner is not None:
            run.runner.cancel()

    async def _run_task(self, run: _TaskRun) -> None:
        task_id = run.info.task_id.value
        state, message = "TASK_FINISHED", None
        try:
            if self.report_running:
                self.send_status(task_id, "TASK_RUNNING")
            await self._call_hook("launch", run.info, catch=False)
        except asyncio.CancelledError:
            state, message = "TASK_KILLED", "Task killed"
        except Exception as exc:
            logger.exception("task %s: the launch hook raised", task_id)
            state, message = "TASK_FAILED", f"{type(exc).__name__}: {exc}"
        if run.killing:
            state = "TASK_KILLED"
        if not run.terminal_sent:
            self.send_status(task_id, state, message)
        del self._tasks[task_id]

    async def _call_hook(self, name: str, *args: object, catch: bool = True) -> None:
        """Run hook ``name`` by :mod:`frameworkkit.hooks`' rule; this class's own defaults
        (which never block) run on the loop."""
        hook: Callable[..., object] = getattr(self, name)
        try:
            if overrides(self, Executor, name):
                await self._hooks.call(hook, *args)
            else:
                result = hook(*args)
                if inspect.isawaitable(result):
                    await result
        except Exception:
            if not catch:
                raise
            logger.exception("the %s hook raised", name)

    def _schedule_hook(self, key: str, name: str, *args: object) -> None:
        """Run hook ``name`` after the earlier hooks scheduled under ``key`` returned."""
        self._hooks.schedule(key, self._call_hook, name, *args)

    def _begin_stop(self, exit_status: int, reason: str) -> None:
        if self._stopping is None or self._stopping.is_set():
            return
        logger.info("shutting down: %s", reason)
        self._exit_status = exit_status
        self._stopping.set()

    async def _shut_down(self) -> None:
        """Run the shutdown hook, give tasks the grace period, send their last updates."""
        loop = asyncio.get_running_loop()
        grace = self.environment.shutdown_grace_period
        deadline = loop.time() + grace
        hook_time = max(0.0, grace - SHUTDOWN_MARGIN / 2)
        try:
            await asyncio.wait_for(self._call_hook("shutdown"), hook_time)
        except asyncio.TimeoutError:
            logger.error("the shutdown hook did not return within %.3g s", hook_time)
        runners = {run.runner for run in self._tasks.values() if run.runner is not None}
        if runners:
            await asyncio.wait(runners, timeout=max(0.0, deadline - loop.time() - 0.5))
        for runner in runners:
            runner.cancel()
        if runners:
            await asyncio.wait(runners, timeout=SHUTDOWN_MARGIN / 4)
        client = self._require_client()
        await loop.run_in_executor(None, client.flush, max(0.5, deadline - loop.time()))
        await self._hooks.drain(max(0.0, deadline - loop.time()))
        self._hooks.close()

    def _record(self, task_id: str) -> _TaskRun | None:
        return self._tasks.get(task_id)

    def _post(self, function: Callable[..., object], *args: Any) -> None:
        """Hand the client's news to the event loop (from the client's threads)."""
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the executor has ended
            loop.call_soon_threadsafe(function, *args)

    def _on_thread(self, what: str, function: Callable[..., None], *args: Any) -> None:
        """Call ``function`` on the executor's event loop, from whatever thread we are on."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError(f"{what}: the executor is not running")
        on_loop(loop, function, *args)


@contextlib.contextmanager
def _stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into a clean stop while the executor runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGTERM, signal.SIGINT)
    for signum in handled:
        loop.add_signal_handler(signum, stop)
    try:
        yield
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
