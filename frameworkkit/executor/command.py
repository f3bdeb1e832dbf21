"""The command executor: runs each task's ``CommandInfo`` as a process, as Mesos's does.

Run it with ``python -m frameworkkit.executor``. Two ways to use it:

- **single task** (the default): what an agent runs where it expects Mesos's ``mesos-executor``,
  for a task that has a ``command`` and no executor. The task's output goes to the executor's
  own stdout/stderr, which the agent already points at the sandbox files ``stdout``/``stderr``.
  The executor exits once the agent acknowledges the task's last update.
- **many tasks** (``--multi_task``): a framework names it as its custom executor and launches
  many tasks into it (packing), with LAUNCH_GROUP (each task has its ``command``) or LAUNCH
  (Mesos refuses a task with both an executor and a command: put the command, a JSON
  ``CommandInfo``, in the task's ``data``). Each task's output goes to ``<task_id>.stdout`` and
  ``<task_id>.stderr`` in the sandbox. The executor exits when the agent sends SHUTDOWN.

Each task reports TASK_STARTING, TASK_RUNNING, then TASK_FINISHED (exit status 0),
TASK_FAILED ("Command exited with status N", "Command terminated with signal Killed") or
TASK_KILLED. A kill sends SIGTERM to the task's process group and SIGKILL after the grace period
(the KILL's kill policy, else the task's, else 3 s). Health checks are judged and reported as
Mesos does: TASK_RUNNING updates with ``healthy`` set; after ``consecutive_failures`` the task is
killed and ends TASK_KILLED with ``healthy`` false.

An agent starts one command executor per command task, so it starts in milliseconds: it needs
only the standard library and runs on a :class:`~.reactor.Reactor`, not asyncio. Start it with
``python -I -S`` and the package's directory on ``sys.path`` where start time matters.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from functools import partial

from frameworkkit._log import INFO, get_logger, write_to_stderr
from frameworkkit.states import TERMINAL_STATES

from .client import ExecutorClient, Relay
from .core import ExecutorCore
from .environment import ExecutorEnvironment, ExecutorEnvironmentError
from .health import health_checker_for
from .processes import CommandSpec, ProcessGroupKiller, describe_exit, signal_group, start_command
from .reactor import Reactor
from .rules import (
    EXIT_AGENT_LOST,
    EXIT_OK,
    SHUTDOWN_MARGIN,
    kill_grace_period,
    opted_in,
    shutdown_kill_grace,
)

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from typing import IO, Any

    from .health import HealthChecker, HealthReport
    from .interfaces import AgentApi, JsonDict
    from .reactor import Timer

__all__ = ["TERMINAL_ACK_TIMEOUT", "CommandExecutor", "command_line", "main", "parse_arguments"]

logger = get_logger("frameworkkit.executor")

TERMINAL_ACK_TIMEOUT = 60.0
"""Seconds a single-task executor waits for the agent to acknowledge the task's last update
before it exits with status 1 (as Mesos's HTTP command executor does)."""
EXIT_NO_ACK = 1
EXIT_BAD_ENVIRONMENT = 2
HIDDEN_VARIABLES = ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN",)
"""Executor variables a task never sees."""
CLIENT_JOIN_TIMEOUT = 2.0
USAGE = """usage: python -m frameworkkit.executor [--multi_task]

Mesos command executor (v1 HTTP executor API), started by a Mesos agent, which passes its
settings as MESOS_* variables. --multi_task runs every task launched into this executor (task
output in <task_id>.stdout/.stderr) and exits on SHUTDOWN; other --flags are ignored."""


class _Run:
    """One running task: its info, its process and what watches it."""

    __slots__ = (
        "health",
        "info",
        "killed_by_health_check",
        "killer",
        "killing",
        "process",
        "terminal_sent",
        "timed_out",
        "timer",
    )

    def __init__(
        self, info: JsonDict, process: subprocess.Popen[bytes], killer: ProcessGroupKiller
    ) -> None:
        self.info = info
        self.process = process
        self.killer = killer
        self.health: HealthChecker | None = None
        self.timer: Timer | None = None
        self.killing = False
        self.killed_by_health_check = False
        self.timed_out = False
        self.terminal_sent = False

    @property
    def task_id(self) -> str:
        return str(self.info["task_id"]["value"])


class CommandExecutor(ExecutorCore):
    """Runs each task's command as a child process, as Mesos's command executor does.

    One task per executor (what an agent starts for a command task) or, with ``multi_task``,
    many (a :class:`~frameworkkit.PackedExecutor`'s default). Each task reports TASK_STARTING,
    TASK_RUNNING, then TASK_FINISHED, TASK_FAILED or TASK_KILLED; a kill is SIGTERM to its
    process group, then SIGKILL after the grace period; health checks are judged as Mesos does.
    The module :mod:`frameworkkit.executor.command` has the details.

    ``environment`` defaults to the one the agent set (:meth:`ExecutorEnvironment.from_environ`);
    ``agent_api`` replaces the HTTP connection to the agent (tests pass a fake one);
    ``multi_task`` selects the many-tasks mode. Subclasses may override the plain-method hooks
    :meth:`subscribed`, :meth:`disconnected`, :meth:`acknowledged`, :meth:`error` and
    :meth:`framework_message`; they run on the executor's event thread, so keep them short.
    """

    def __init__(
        self,
        environment: ExecutorEnvironment | None = None,
        *,
        agent_api: AgentApi | None = None,
        multi_task: bool = False,
    ) -> None:
        super().__init__(environment, agent_api=agent_api)
        self.multi_task = bool(multi_task)
        self._reactor = Reactor()
        self._tasks: dict[str, _Run] = {}
        self._single_task_id: str | None = None  # the one task of the single-task mode
        self._framework_info: JsonDict | None = None
        self._stopping = False
        self._finishing = False
        self._stop_deadline = 0.0

    # Hooks: override these (they run on the executor's thread).

    def subscribed(self, info: JsonDict) -> None:
        """The agent accepted this executor's subscription (``info``: the SUBSCRIBED body)."""

    def disconnected(self) -> None:
        """The connection to the agent broke; the executor is trying to subscribe again."""

    def acknowledged(self, task_id: str, state: str) -> None:
        """The agent acknowledged the ``state`` update of ``task_id``."""

    def error(self, message: str) -> None:
        """The agent reported an error (already logged)."""

    def framework_message(self, data: bytes) -> None:
        """The scheduler sent ``data``; the command executor only logs it."""
        logger.info("ignoring a framework message of %d bytes", len(data))

    # Helpers: call these.

    @property
    def framework_info(self) -> JsonDict | None:
        """The framework's FrameworkInfo (JSON) from the agent, once subscribed."""
        return self._framework_info

    @property
    def running_tasks(self) -> Mapping[str, JsonDict]:
        """The tasks launched and not yet ended (TaskInfo JSON), by task id."""
        return {task_id: run.info for task_id, run in dict(self._tasks).items()}

    def run(self) -> int:
        """Run until shut down; return the exit status for the process (0 unless the agent
        was lost or never acknowledged a single task's last update)."""
        if self._client is not None:
            raise RuntimeError("run: this executor already ran; create a new one")
        env = self.environment
        client = self._client = ExecutorClient(
            env, Relay(self), self._agent(), post=self._reactor.call_soon
        )
        mode = "many tasks" if self.multi_task else "a single task"
        logger.info(
            "command executor %s of framework %s for %s in %s; agent %s",
            env.executor_id,
            env.framework_id,
            mode,
            env.work_dir,
            env.url,
        )
        client.start()
        signalled = partial(self._reactor.call_soon, self._begin_stop, EXIT_OK, "a stop signal")
        with _stop_on_signals(signalled):
            self._reactor.run()
        client.close()
        client.join(CLIENT_JOIN_TIMEOUT)
        logger.info("executor %s exiting with status %d", env.executor_id, self._exit_status)
        return self._exit_status

    # What the agent's events do (on the executor's thread).

    def _handle_subscribed(self, subscribed: JsonDict) -> None:
        self._framework_info = subscribed.get("framework_info")
        self.subscribed(subscribed)

    def _handle_launch(self, tasks: list[JsonDict]) -> None:
        for task in tasks:
            task_id = str(task["task_id"]["value"])
            if self._stopping:
                logger.warning("shutting down: not launching task %s", task_id)
            elif task_id in self._tasks:
                logger.warning("task %s is running already; ignoring a second LAUNCH", task_id)
            elif not self.multi_task and self._single_task_id is not None:
                self.send_status(
                    task_id,
                    "TASK_FAILED",
                    'Attempted to run multiple tasks using a "command" executor',
                )
            else:
                if not self.multi_task:
                    self._single_task_id = task_id
                self._launch(task_id, task)

    def _handle_kill(self, task_id: str, grace_period: float | None) -> None:
        run = self._tasks.get(task_id)
        if run is None:
            logger.warning("kill for task %s, which is not running here: ignored", task_id)
            return
        self._kill(run, kill_grace_period(run.info, grace_period))

    def _handle_acknowledged(self, status: Mapping[str, Any]) -> None:
        task_id, state = status["task_id"]["value"], status["state"]
        if task_id == self._single_task_id and state in TERMINAL_STATES:
            logger.info("the last update of task %s was acknowledged; exiting", task_id)
            self._begin_stop(EXIT_OK, "the task's last update was acknowledged")
        self.acknowledged(task_id, state)

    def _handle_message(self, data: bytes) -> None:
        self.framework_message(data)

    def _handle_error(self, message: str) -> None:
        self.error(message)

    def _handle_disconnected(self) -> None:
        self.disconnected()

    def _handle_shutdown(self) -> None:
        self._begin_stop(EXIT_OK, "the agent sent SHUTDOWN")

    def _handle_agent_lost(self, reason: str) -> None:
        self._begin_stop(EXIT_AGENT_LOST, reason)

    # Tasks.

    def _launch(self, task_id: str, task: JsonDict) -> None:
        try:
            command = CommandSpec.from_command_info(_command_of(task))
        except ValueError as exc:
            self.send_status(task_id, "TASK_FAILED", f"ValueError: {exc}")
            return
        self.send_status(task_id, "TASK_STARTING")
        environment = self._task_environment(task)
        try:
            with self._output_files(task_id) as (stdout, stderr):
                process = start_command(
                    command,
                    base_environment=environment,
                    cwd=self.environment.work_dir,
                    stdout=stdout,
                    stderr=stderr,
                )
        except OSError as exc:
            logger.error("task %s: cannot start %s: %s", task_id, _show(command), exc)
            self.send_status(task_id, "TASK_FAILED", f"{type(exc).__name__}: {exc}")
            return
        logger.info("task %s: started %s as pid %d", task_id, _show(command), process.pid)
        reactor = self._reactor
        run = self._tasks[task_id] = _Run(
            task, process, ProcessGroupKiller(process, f"task {task_id}", reactor)
        )
        reactor.in_thread(process.wait, partial(self._waited, run), name=f"task {task_id}")
        limit = _max_completion_time(task)
        if limit is not None:
            run.timer = reactor.call_later(limit, self._time_out, run)
        self.send_status(task_id, "TASK_RUNNING")
        run.health = self._health_checker(run, environment)
        if run.health is not None:
            run.health.start()

    def _kill(self, run: _Run, grace_period: float) -> None:
        """Report TASK_KILLING once (when the framework opted in) and stop the process group."""
        logger.info("killing task %s with a grace period of %.3g s", run.task_id, grace_period)
        if not run.killing:
            run.killing = True
            if opted_in(self._framework_info, "TASK_KILLING_STATE"):
                self.send_status(run.task_id, "TASK_KILLING")
        if run.health is not None:
            run.health.stop()
        run.killer.kill(grace_period)

    def _waited(self, run: _Run, returncode: int | None, error: BaseException | None) -> None:
        """The task's process ended: stop watching, leave nothing of it, report how it ended."""
        if error is not None or returncode is None:
            raise RuntimeError(f"task {run.task_id}: waiting for its process failed") from error
        if run.timer is not None:
            run.timer.cancel()
        if run.health is not None:
            run.health.stop()
        run.killer.cancel()
        # Whatever is left of the task's process group goes with it, as its container would.
        signal_group(run.process.pid, signal.SIGKILL)
        message = f"Command {describe_exit(returncode)}"
        logger.info("task %s: %s", run.task_id, message)
        reason = None
        if run.timed_out:
            state, reason = "TASK_FAILED", "REASON_MAX_COMPLETION_TIME_REACHED"
        elif run.killer.started:
            state = "TASK_KILLED"
        elif returncode == 0:
            state = "TASK_FINISHED"
        else:
            state = "TASK_FAILED"
        healthy = False if run.killed_by_health_check else None
        self.send_status(run.task_id, state, message, reason=reason, healthy=healthy)
        del self._tasks[run.task_id]
        if not self.multi_task:
            self._reactor.call_later(TERMINAL_ACK_TIMEOUT, self._no_ack, run.task_id)
        if self._stopping and not self._tasks:
            self._finish()

    def _time_out(self, run: _Run) -> None:
        """The task ran past its max_completion_time: kill it at once (no TASK_KILLING)."""
        if run.killer.started:
            return
        logger.warning("task %s: past its max_completion_time; killing it", run.task_id)
        run.timed_out = True
        if run.health is not None:
            run.health.stop()
        run.killer.kill(0.0)

    def _health_checker(self, run: _Run, environment: Mapping[str, str]) -> HealthChecker | None:
        """The task's health checker; like Mesos, a check that cannot be built is logged and
        the task runs unchecked."""
        check = run.info.get("health_check")
        if check is None:
            return None
        try:
            return health_checker_for(
                check,
                lambda report: self._health_changed(run, report),
                base_environment=environment,
                cwd=self.environment.work_dir,
                label=f"task {run.task_id}",
                reactor=self._reactor,
            )
        except ValueError as exc:
            logger.error("task %s: running without its health check: %s", run.task_id, exc)
            return None

    def _health_changed(self, run: _Run, report: HealthReport) -> None:
        if run.killer.started or run.process.returncode is not None:
            return  # no health news after a kill or the end, as in Mesos
        self.send_status(
            run.task_id,
            "TASK_RUNNING",
            reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
            healthy=report.healthy,
        )
        if report.kill_task:
            logger.warning("task %s: unhealthy too many times in a row; killing it", run.task_id)
            run.killed_by_health_check = True
            self._kill(run, kill_grace_period(run.info))

    @contextlib.contextmanager
    def _output_files(self, task_id: str) -> Iterator[tuple[IO[bytes] | None, IO[bytes] | None]]:
        """Where the task writes: the executor's own stdout/stderr, or per-task sandbox files
        (open only while the process starts; the child keeps its own descriptors)."""
        if not self.multi_task:
            yield None, None
            return
        prefix = os.path.join(self.environment.work_dir, task_id)
        with open(f"{prefix}.stdout", "ab") as stdout, open(f"{prefix}.stderr", "ab") as stderr:
            yield stdout, stderr

    @staticmethod
    def _task_environment(task: JsonDict) -> dict[str, str]:
        """The executor's environment for the task, as Mesos builds it (the command's own
        variables are added on top when it starts)."""
        environment = {k: v for k, v in os.environ.items() if k not in HIDDEN_VARIABLES}
        role = next(
            (
                r["allocation_info"].get("role")
                for r in task.get("resources") or []
                if r.get("allocation_info")
            ),
            None,
        )
        if role:
            environment["MESOS_ALLOCATION_ROLE"] = role
        return environment

    # Status updates and shutting down.

    def _begin_stop(self, exit_status: int, reason: str) -> None:
        """Kill every task within the shutdown grace period, then send the last updates."""
        if self._stopping:
            return
        self._stopping = True
        self._exit_status = exit_status
        logger.info("shutting down: %s", reason)
        grace = self.environment.shutdown_grace_period
        self._stop_deadline = self._reactor.time() + grace
        for run in list(self._tasks.values()):
            self._kill(run, shutdown_kill_grace(grace))
        if self._tasks:
            self._reactor.call_later(max(0.0, grace - SHUTDOWN_MARGIN / 4), self._force_end)
            self._reactor.call_later(grace, self._finish)
        else:
            self._reactor.call_soon(self._finish)

    def _force_end(self) -> None:
        """The shutdown grace period is nearly over: SIGKILL what still runs."""
        for run in self._tasks.values():
            signal_group(run.process.pid, signal.SIGKILL)

    def _finish(self) -> None:
        if self._finishing:
            return
        self._finishing = True
        self._require_client().flush(max(0.5, self._stop_deadline - self._reactor.time()))
        self._reactor.stop()

    def _no_ack(self, task_id: str) -> None:
        self._begin_stop(
            EXIT_NO_ACK,
            f"the agent did not acknowledge the last update of task {task_id} "
            f"within {TERMINAL_ACK_TIMEOUT:g} s",
        )

    def _record(self, task_id: str) -> _Run | None:
        return self._tasks.get(task_id)

    def _on_thread(self, what: str, function: Callable[..., None], *args: Any) -> None:
        """Call ``function`` on the executor's thread, from whatever thread we are on."""
        if self._client is None:
            raise RuntimeError(f"{what}: the executor is not running")
        self._reactor.call(function, *args)


def _max_completion_time(task: JsonDict) -> float | None:
    nanoseconds = (task.get("max_completion_time") or {}).get("nanoseconds", 0)
    return None if nanoseconds <= 0 else nanoseconds / 1e9


def _command_of(task: JsonDict) -> JsonDict:
    """The task's ``command``, else a JSON CommandInfo in its ``data`` (Mesos refuses a task
    with both an executor and a command, so a task launched into a named executor carries it
    there)."""
    if task.get("command") is not None:
        command: JsonDict = task["command"]
        return command
    task_id = task["task_id"]["value"]
    if not task.get("data"):
        raise ValueError(
            f"task {task_id} has no command: give TaskInfo.command, or a JSON CommandInfo in "
            "TaskInfo.data when the task names this executor"
        )
    try:
        command = json.loads(base64.b64decode(task["data"]))
    except ValueError as exc:
        raise ValueError(f"task {task_id}: data is not a JSON CommandInfo: {exc}") from None
    if not isinstance(command, dict):
        raise ValueError(f"task {task_id}: data is not a JSON CommandInfo object")
    return command


def _show(command: CommandSpec) -> str:
    return repr(command.value) if command.shell else repr([command.value, *command.arguments])


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Turn SIGTERM and SIGINT into a clean stop while the executor runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, lambda *_: stop()) for signum in handled}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def command_line(*, multi_task: bool = False, python: str | None = None) -> str:
    """The shell command that starts this executor the quick way: ``python -I -S`` (no site
    processing, no user paths), with only frameworkkit's own directory on ``sys.path``; it
    needs nothing else. Use it for an agent's ``mesos-executor`` launcher or as the command of
    a packing executor. ``python`` defaults to the running interpreter."""
    import shlex

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = (
        f"import sys; sys.path.insert(0, {root!r}); "
        "from frameworkkit.executor.command import main; sys.exit(main())"
    )
    argv = [python or sys.executable, "-I", "-S", "-c", code]
    return shlex.join([*argv, "--multi_task"] if multi_task else argv)


def parse_arguments(argv: Sequence[str]) -> tuple[bool, list[str]]:
    """Whether ``--multi_task`` (or ``--multi-task``) is set, and the other arguments (the
    ``--flags`` an agent passes to ``mesos-executor``, such as ``--launcher_dir``), which this
    executor ignores."""
    flags = ("--multi_task", "--multi-task")
    return any(a in flags for a in argv), [a for a in argv if a not in flags]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m frameworkkit.executor``; returns the exit status."""
    arguments = sys.argv[1:] if argv is None else argv
    if "-h" in arguments or "--help" in arguments:
        print(USAGE)
        return EXIT_OK
    multi_task, ignored = parse_arguments(arguments)
    write_to_stderr(INFO)
    if ignored:
        logger.info("ignoring flags this executor does not use: %s", " ".join(ignored))
    try:
        environment = ExecutorEnvironment.from_environ()
    except ExecutorEnvironmentError as exc:
        logger.error("cannot start: %s", exc)
        return EXIT_BAD_ENVIRONMENT
    return CommandExecutor(environment, multi_task=multi_task).run()
