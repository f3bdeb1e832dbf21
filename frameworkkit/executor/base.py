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

from frameworkkit.hooks import HookRunner, overrides
from frameworkkit.loops import on_loop, run_blocking
from frameworkkit.protocol import executor_calls
from frameworkkit.protocol.events import ExecutorSubscribed
from frameworkkit.protocol.messages import FrameworkInfo, TaskInfo
from frameworkkit.states import TERMINAL_STATES
from frameworkkit.transport.backoff import BackoffPolicy
from frameworkkit.transport.executor import AgentConnection
from frameworkkit.transport.options import TransportOptions

from .client import AgentApi, ExecutorClient
from .environment import ExecutorEnvironment

__all__ = ["DEFAULT_KILL_GRACE_PERIOD", "Executor"]

logger = logging.getLogger("frameworkkit.executor")

DEFAULT_KILL_GRACE_PERIOD = 3.0
"""Seconds between SIGTERM and SIGKILL when neither the KILL nor the task names a kill policy."""
SHUTDOWN_MARGIN = 2.0
"""Seconds of the shutdown grace period kept for reaping tasks and sending their last updates."""
EXIT_OK = 0
EXIT_AGENT_LOST = 1


@dataclass
class _TaskRun:
    """One launched task: its info, the coroutine running its launch hook, what was reported."""

    info: TaskInfo
    runner: asyncio.Task[None] | None = None
    killing: bool = False
    terminal_sent: bool = False


class Executor:
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
        if environment is not None and not isinstance(environment, ExecutorEnvironment):
            raise TypeError(
                f"environment: expected ExecutorEnvironment, got {type(environment).__name__}"
            )
        self._environment = environment
        self._agent_api = agent_api
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: ExecutorClient | None = None
        self._tasks: dict[str, _TaskRun] = {}
        self._hooks = HookRunner("executor")
        self._framework_info: FrameworkInfo | None = None
        self._stopping: asyncio.Event | None = None
        self._exit_status = EXIT_OK

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
        self._on_loop("kill", self._cancel_launch, task_id)
        return None

    def shutdown(self) -> Awaitable[None] | None:
        """The agent asked this executor to end: kill every running task. Called once."""
        grace = max(0.0, self.environment.shutdown_grace_period - SHUTDOWN_MARGIN)
        self._on_loop("shutdown", self._kill_all, grace)
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
    def environment(self) -> ExecutorEnvironment:
        """What the agent told this executor (read when :meth:`run` starts)."""
        if self._environment is None:
            self._environment = ExecutorEnvironment.from_environ()
        return self._environment

    @property
    def framework_info(self) -> FrameworkInfo | None:
        """The framework's FrameworkInfo from the agent, once subscribed."""
        return self._framework_info

    @property
    def running_tasks(self) -> Mapping[str, TaskInfo]:
        """The tasks launched and not yet ended, by task id."""
        return {task_id: run.info for task_id, run in dict(self._tasks).items()}

    def send_status(
        self,
        task_id: str,
        state: str,
        message: str | None = None,
        data: bytes | None = None,
        *,
        reason: str | None = None,
        healthy: bool | None = None,
    ) -> None:
        """Report ``state`` (``"TASK_RUNNING"``, ``"TASK_FINISHED"``, ...) of ``task_id``.

        Safe from any thread. The update is resent until the agent acknowledges it. ``reason``
        is a ``TaskStatus.Reason`` name; ``data`` reaches the scheduler as ``status.data``.
        Once a task's terminal state was sent, later updates for it are dropped.
        """
        status = executor_calls.task_status(
            task_id,
            state,
            message=message,
            data=data,
            reason=reason,
            healthy=healthy,
            executor_id=self.environment.executor_id,
        )
        self._on_loop("send_status", self._send_status, status)

    def send_framework_message(self, data: bytes) -> None:
        """Send ``data`` to the scheduler (no delivery guarantee, as in Mesos). Any thread."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"data: expected bytes, got {type(data).__name__}")
        self._on_loop("send_framework_message", self._require_client().send_message, bytes(data))

    def stop(self) -> None:
        """End the executor as if the agent had sent SHUTDOWN. Safe from any thread."""
        self._on_loop("stop", self._begin_stop, EXIT_OK, "stop requested")

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
        api = self._agent_api or _agent_connection(env)
        client = self._client = ExecutorClient(env, _Events(self), api)
        logger.info(
            "executor %s of framework %s starting; agent %s",
            env.executor_id,
            env.framework_id,
            env.url,
        )
        client_run = loop.create_task(client.run())
        stop_requested = loop.create_task(self._stopping.wait())
        with _stop_on_signals(loop, self.stop):
            await asyncio.wait({client_run, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
            if client_run.done() and not self._stopping.is_set():
                error = client_run.exception()
                logger.error("the agent client ended unexpectedly: %r", error, exc_info=error)
                self._begin_stop(EXIT_AGENT_LOST, "agent client failure")
            await self._shut_down()
            client.close()
            stop_requested.cancel()
            await asyncio.gather(client_run, stop_requested, return_exceptions=True)
        logger.info("executor %s exiting with status %d", env.executor_id, self._exit_status)
        return self._exit_status

    # What the agent's events do (called through _Events, on the event loop).

    def _handle_subscribed(self, subscribed: ExecutorSubscribed) -> None:
        self._framework_info = subscribed.framework_info
        self._schedule_hook("session", "subscribed", subscribed)

    def _handle_launch(self, tasks: list[TaskInfo]) -> None:
        if self._stopping is not None and self._stopping.is_set():
            for task in tasks:
                logger.warning("shutting down: not launching task %s", task.task_id.value)
            return
        for task in tasks:
            task_id = task.task_id.value
            if task_id in self._tasks:
                logger.warning("task %s is running already; ignoring a second LAUNCH", task_id)
                continue
            run = self._tasks[task_id] = _TaskRun(task)
            run.runner = asyncio.get_running_loop().create_task(self._run_task(run))

    def _handle_kill(self, task_id: str, grace_period: float | None) -> None:
        run = self._tasks.get(task_id)
        if run is None:
            logger.warning("kill for task %s, which is not running here: ignored", task_id)
            return
        if grace_period is None:
            grace_period = _kill_policy_grace(run.info)
        self._kill_task(task_id, grace_period)

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
            if self._framework_opted_in("TASK_KILLING_STATE"):
                self.send_status(task_id, "TASK_KILLING")
        self._schedule_hook(task_id, "kill", task_id, grace_period)

    def _kill_all(self, grace_period: float) -> None:
        for task_id in list(self._tasks):
            self._kill_task(task_id, grace_period)

    def _cancel_launch(self, task_id: str) -> None:
        run = self._tasks.get(task_id)
        if run is not None and run.runner is not None:
            run.runner.cancel()

    def _framework_opted_in(self, capability: str) -> bool:
        info = self._framework_info
        return info is not None and any(c.type == capability for c in info.capabilities)

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

    def _send_status(self, status: Mapping[str, Any]) -> None:
        run = self._tasks.get(status["task_id"]["value"])
        if run is not None:
            if run.terminal_sent:
                logger.warning(
                    "task %s already ended: dropping its %s update",
                    status["task_id"]["value"],
                    status["state"],
                )
                return
            run.terminal_sent = status["state"] in TERMINAL_STATES
        self._require_client().send_update(status)

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
        await self._require_client().flush(max(0.5, deadline - loop.time()))
        await self._hooks.drain(max(0.0, deadline - loop.time()))
        self._hooks.close()

    def _require_client(self) -> ExecutorClient:
        if self._client is None:
            raise RuntimeError("the executor is not running: call run() first")
        return self._client

    def _on_loop(self, what: str, function: Callable[..., None], *args: Any) -> None:
        """Call ``function`` on the executor's event loop, from whatever thread we are on."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError(f"{what}: the executor is not running")
        on_loop(loop, function, *args)


class _Events:
    """The client's event handler for one executor, kept off the executor's public face."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor

    def on_subscribed(self, subscribed: ExecutorSubscribed) -> None:
        self._executor._handle_subscribed(subscribed)

    def on_launch(self, tasks: list[TaskInfo]) -> None:
        self._executor._handle_launch(tasks)

    def on_kill(self, task_id: str, grace_period: float | None) -> None:
        self._executor._handle_kill(task_id, grace_period)

    def on_acknowledged(self, status: Mapping[str, Any]) -> None:
        self._executor._handle_acknowledged(status)

    def on_message(self, data: bytes) -> None:
        self._executor._handle_message(data)

    def on_error(self, message: str) -> None:
        self._executor._handle_error(message)

    def on_disconnected(self) -> None:
        self._executor._handle_disconnected()

    def on_shutdown(self) -> None:
        self._executor._handle_shutdown()

    def on_agent_lost(self, reason: str) -> None:
        self._executor._handle_agent_lost(reason)


def _kill_policy_grace(task: TaskInfo) -> float:
    policy = task.kill_policy
    if policy is None or policy.grace_period is None:
        return DEFAULT_KILL_GRACE_PERIOD
    return max(0.0, policy.grace_period.nanoseconds / 1e9)


def _agent_connection(env: ExecutorEnvironment) -> AgentConnection:
    """The HTTP connection to the agent, retrying as Mesos's executor library does: random
    delays up to ``MESOS_SUBSCRIPTION_BACKOFF_MAX``. Each ``subscribe`` makes one attempt, so
    that the client builds every retried SUBSCRIBE afresh, with the updates made meanwhile
    (the client also bounds the total time)."""
    step = max(env.subscription_backoff_max, 0.01)
    options = TransportOptions(
        backoff=BackoffPolicy(base=step, cap=step, factor=1.0), subscribe_attempts=1
    )
    return AgentConnection(env.url, auth_token=env.authentication_token, options=options)


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
