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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

import msgspec

from frameworkkit.protocol.messages import CommandInfo, TaskInfo
from frameworkkit.states import TERMINAL_STATES

from .base import Executor
from .client import AgentApi
from .environment import ExecutorEnvironment, ExecutorEnvironmentError
from .health import HealthChecker, HealthReport, health_checker_for
from .processes import CommandSpec, ProcessGroupKiller, describe_exit, signal_group, start_command

__all__ = ["TERMINAL_ACK_TIMEOUT", "CommandExecutor", "main"]

logger = logging.getLogger("frameworkkit.executor")

TERMINAL_ACK_TIMEOUT = 60.0
"""Seconds a single-task executor waits for the agent to acknowledge the task's last update
before it exits with status 1 (as Mesos's HTTP command executor does)."""
EXIT_NO_ACK = 1
HIDDEN_VARIABLES = ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN",)
"""Executor variables a task never sees."""


@dataclass
class _Process:
    """A task's running command and what watches it."""

    process: asyncio.subprocess.Process
    killer: ProcessGroupKiller
    health: HealthChecker | None = None
    killed_by_health_check: bool = False
    timed_out: bool = False


class CommandExecutor(Executor):
    """Runs each task's command as a child process; see the module doc for the behaviour.

    ``multi_task`` selects the many-tasks mode. Other arguments as for :class:`Executor`.
    """

    report_running = False  # TASK_RUNNING follows the fork, after TASK_STARTING

    def __init__(
        self,
        environment: ExecutorEnvironment | None = None,
        *,
        agent_api: AgentApi | None = None,
        multi_task: bool = False,
    ) -> None:
        super().__init__(environment, agent_api=agent_api)
        self.multi_task = bool(multi_task)
        self._processes: dict[str, _Process] = {}
        self._pending_kills: dict[str, float] = {}
        self._single_task_id: str | None = None  # the one task of the single-task mode

    async def launch(self, task: TaskInfo) -> None:
        task_id = task.task_id.value
        if not self.multi_task:
            if self._single_task_id is not None:
                self.send_status(
                    task_id,
                    "TASK_FAILED",
                    'Attempted to run multiple tasks using a "command" executor',
                )
                return
            self._single_task_id = task_id
        command = CommandSpec.from_command_info(_command_of(task))
        self.send_status(task_id, "TASK_STARTING")
        environment = self._task_environment(task)
        cwd = self.environment.work_directory
        with self._output_files(task_id) as (stdout, stderr):
            process = await start_command(
                command, base_environment=environment, cwd=cwd, stdout=stdout, stderr=stderr
            )
        logger.info("task %s: started %s as pid %d", task_id, _show(command), process.pid)
        watched = self._processes[task_id] = _Process(
            process, ProcessGroupKiller(process, f"task {task_id}")
        )
        loop = asyncio.get_running_loop()
        limit = _max_completion_time(task)
        timer = None if limit is None else loop.call_later(limit, self._time_out, task_id, watched)
        try:
            self.send_status(task_id, "TASK_RUNNING")
            watched.health = self._health_checker(task, environment)
            if watched.health is not None:
                watched.health.start()
            if task_id in self._pending_kills:
                watched.killer.kill(self._pending_kills.pop(task_id))
            returncode = await process.wait()
        finally:
            if timer is not None:
                timer.cancel()
            self._end_watch(task_id, watched)
        self._report_end(task_id, watched, returncode)

    async def kill(self, task_id: str, grace_period: float) -> None:
        watched = self._processes.get(task_id)
        if watched is None:  # the process is still being started
            self._pending_kills[task_id] = grace_period
            return
        if watched.health is not None:
            watched.health.stop()
        watched.killer.kill(grace_period)

    async def acknowledged(self, task_id: str, state: str) -> None:
        if task_id == self._single_task_id and state in TERMINAL_STATES:
            logger.info("the last update of task %s was acknowledged; exiting", task_id)
            self.stop()

    @contextlib.contextmanager
    def _output_files(self, task_id: str) -> Iterator[tuple[IO[bytes] | None, IO[bytes] | None]]:
        """Where the task writes: the executor's own stdout/stderr, or per-task sandbox files
        (open only while the process starts; the child keeps its own descriptors)."""
        if not self.multi_task:
            yield None, None
            return
        directory = self.environment.work_directory
        with (
            open(directory / f"{task_id}.stdout", "ab") as stdout,
            open(directory / f"{task_id}.stderr", "ab") as stderr,
        ):
            yield stdout, stderr

    def _task_environment(self, task: TaskInfo) -> dict[str, str]:
        """The executor's environment for the task, as Mesos builds it (the command's own
        variables are added on top when it starts)."""
        environment = {k: v for k, v in os.environ.items() if k not in HIDDEN_VARIABLES}
        role = next(
            (r.allocation_info.role for r in task.resources if r.allocation_info is not None),
            None,
        )
        if role:
            environment["MESOS_ALLOCATION_ROLE"] = role
        return environment

    def _health_checker(
        self, task: TaskInfo, environment: Mapping[str, str]
    ) -> HealthChecker | None:
        """The task's health checker; like Mesos, a check that cannot be built is logged and
        the task runs unchecked."""
        if task.health_check is None:
            return None
        task_id = task.task_id.value
        try:
            return health_checker_for(
                task.health_check,
                lambda report: self._health_changed(task_id, report),
                base_environment=environment,
                cwd=self.environment.work_directory,
                label=f"task {task_id}",
            )
        except ValueError as exc:
            logger.error("task %s: running without its health check: %s", task_id, exc)
            return None

    def _health_changed(self, task_id: str, report: HealthReport) -> None:
        watched = self._processes.get(task_id)
        if watched is None or watched.killer.started or watched.process.returncode is not None:
            return  # no health news after a kill or the end, as in Mesos
        self.send_status(
            task_id,
            "TASK_RUNNING",
            reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
            healthy=report.healthy,
        )
        if report.kill_task:
            logger.warning("task %s: unhealthy too many times in a row; killing it", task_id)
            watched.killed_by_health_check = True
            if watched.health is not None:
                watched.health.stop()
            self._handle_kill(task_id, None)

    def _time_out(self, task_id: str, watched: _Process) -> None:
        """The task ran past its max_completion_time: kill it at once (no TASK_KILLING)."""
        if watched.killer.started:
            return
        logger.warning("task %s: past its max_completion_time; killing it", task_id)
        watched.timed_out = True
        if watched.health is not None:
            watched.health.stop()
        watched.killer.kill(0.0)

    def _end_watch(self, task_id: str, watched: _Process) -> None:
        """The task's process ended or its launch was cancelled: stop watching, leave nothing."""
        if watched.health is not None:
            watched.health.stop()
        watched.killer.cancel()
        # Whatever is left of the task's process group goes with it, as its container would in
        # Mesos (and the process itself, if a forced shutdown cancelled the launch).
        signal_group(watched.process.pid, signal.SIGKILL)
        self._processes.pop(task_id, None)
        self._pending_kills.pop(task_id, None)

    def _report_end(self, task_id: str, watched: _Process, returncode: int) -> None:
        message = f"Command {describe_exit(returncode)}"
        logger.info("task %s: %s", task_id, message)
        reason = None
        if watched.timed_out:
            state, reason = "TASK_FAILED", "REASON_MAX_COMPLETION_TIME_REACHED"
        elif watched.killer.started:
            state = "TASK_KILLED"
        elif returncode == 0:
            state = "TASK_FINISHED"
        else:
            state = "TASK_FAILED"
        healthy = False if watched.killed_by_health_check else None
        self.send_status(task_id, state, message, reason=reason, healthy=healthy)
        if not self.multi_task:
            asyncio.get_running_loop().call_later(TERMINAL_ACK_TIMEOUT, self._no_ack, task_id)

    def _no_ack(self, task_id: str) -> None:
        self._begin_stop(
            EXIT_NO_ACK,
            f"the agent did not acknowledge the last update of task {task_id} "
            f"within {TERMINAL_ACK_TIMEOUT:g} s",
        )


def _max_completion_time(task: TaskInfo) -> float | None:
    limit = task.max_completion_time
    return None if limit is None or limit.nanoseconds <= 0 else limit.nanoseconds / 1e9


def _command_of(task: TaskInfo) -> CommandInfo:
    """The task's ``command``, else a JSON CommandInfo in its ``data`` (Mesos refuses a task
    with both an executor and a command, so a task launched into a named executor carries it
    there)."""
    if task.command is not None:
        return task.command
    task_id = task.task_id.value
    if not task.data:
        raise ValueError(
            f"task {task_id} has no command: give TaskInfo.command, or a JSON CommandInfo in "
            "TaskInfo.data when the task names this executor"
        )
    try:
        return msgspec.json.decode(task.data, type=CommandInfo)
    except msgspec.DecodeError as exc:
        raise ValueError(f"task {task_id}: data is not a JSON CommandInfo: {exc}") from None


def _show(command: CommandSpec) -> str:
    return repr(command.value) if command.shell else repr([command.value, *command.arguments])


def parse_arguments(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """This program's flags; the ``--flags`` an agent passes to ``mesos-executor`` (such as
    ``--launcher_dir``) are returned apart, to be ignored."""
    parser = argparse.ArgumentParser(
        prog="python -m frameworkkit.executor",
        description="Mesos command executor (v1 HTTP executor API). Started by a Mesos agent.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--multi_task",
        "--multi-task",
        action="store_true",
        help="run every task launched into this executor; exit on SHUTDOWN "
        "(task output in <task_id>.stdout/.stderr)",
    )
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m frameworkkit.executor``; returns the exit status."""
    arguments, ignored = parse_arguments(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per call is noise here
    if ignored:
        logger.info("ignoring flags this executor does not use: %s", " ".join(ignored))
    try:
        environment = ExecutorEnvironment.from_environ()
    except ExecutorEnvironmentError as exc:
        logger.error("cannot start: %s", exc)
        return 2
    mode = "many tasks" if arguments.multi_task else "a single task"
    logger.info("command executor for %s in %s", mode, environment.work_directory)
    return CommandExecutor(environment, multi_task=arguments.multi_task).run()
