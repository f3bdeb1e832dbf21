"""Start a task's command in its own process group, stop it gracefully, and word its end.

Use :func:`start_command` to run a Mesos ``CommandInfo`` (shell or argv form) and
:class:`ProcessGroupKiller` to stop it the way Mesos's command executor does: SIGTERM to the whole
group, SIGKILL once the grace period is over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from frameworkkit.protocol.messages import CommandInfo

__all__ = [
    "CommandSpec",
    "ProcessGroupKiller",
    "describe_exit",
    "signal_group",
    "start_command",
]

logger = logging.getLogger("frameworkkit.executor")


@dataclass(frozen=True)
class CommandSpec:
    """What to run: ``shell`` runs ``value`` with ``/bin/sh -c``; else ``value`` is the program
    and ``arguments`` its full argv (``arguments[0]`` is argv[0]), as in Mesos's CommandInfo."""

    value: str
    shell: bool = True
    arguments: Sequence[str] = field(default_factory=tuple)
    environment: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not self.value:
            kind = "shell command" if self.shell else "executable"
            raise ValueError(f"command.value: the {kind} is not specified")

    @classmethod
    def from_command_info(cls, info: CommandInfo) -> CommandSpec:
        """The command of a Mesos ``CommandInfo`` (``shell`` unset means true, as in Mesos);
        its VALUE environment variables are kept, SECRET ones left out."""
        variables = info.environment.variables if info.environment is not None else []
        return cls(
            value=info.value or "",
            shell=info.shell is not False,
            arguments=tuple(info.arguments),
            environment={
                variable.name: variable.value or ""
                for variable in variables
                if variable.type in (None, "VALUE")
            },
        )

    def argv(self) -> tuple[str, list[str]]:
        """The program to execute and the argv it receives."""
        if self.shell:
            return "/bin/sh", ["sh", "-c", self.value]
        return self.value, list(self.arguments) or [self.value]


async def start_command(
    command: CommandSpec,
    *,
    base_environment: Mapping[str, str],
    cwd: Path,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
) -> asyncio.subprocess.Process:
    """Start ``command`` in a new session (its own process group) and return the process.

    The child sees ``base_environment`` overridden by the command's own variables; stdout and
    stderr go where given (``None``: inherited from the executor).
    """
    program, argv = command.argv()
    environment = {**base_environment, **command.environment}
    return await asyncio.create_subprocess_exec(
        *argv,
        executable=program,
        cwd=cwd,
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,
    )


def describe_exit(returncode: int) -> str:
    """Mesos's wording of a process end: ``exited with status N`` or
    ``terminated with signal Killed`` (the signal's description, as ``strsignal`` gives it)."""
    if returncode >= 0:
        return f"exited with status {returncode}"
    signum = -returncode
    try:
        name = signal.strsignal(signum) or f"signal {signum}"
    except ValueError:
        name = f"Unknown signal {signum}"
    return f"terminated with signal {name}"


def signal_group(pid: int, signum: signal.Signals) -> None:
    """Send ``signum`` to the process group led by ``pid``; a group already gone is fine."""
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        logger.error("cannot send %s to process group %d: %s", signum.name, pid, exc)


class ProcessGroupKiller:
    """Stops one process group: SIGTERM now, SIGKILL when the grace period runs out.

    A second :meth:`kill` with a shorter grace period brings the SIGKILL forward (never later),
    as Mesos does when a kill with a shorter kill policy follows the first.
    """

    def __init__(self, process: asyncio.subprocess.Process, label: str) -> None:
        self._process = process
        self._label = label
        self._deadline: float | None = None
        self._escalation: asyncio.TimerHandle | None = None

    @property
    def started(self) -> bool:
        """True once a kill has been requested."""
        return self._deadline is not None

    def kill(self, grace_period: float) -> None:
        """SIGTERM the group (on the first call) and schedule SIGKILL after ``grace_period`` s."""
        if self._process.returncode is not None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, grace_period)
        if self._deadline is None:
            logger.info("%s: sending SIGTERM to process group %d", self._label, self._process.pid)
            signal_group(self._process.pid, signal.SIGTERM)
        elif deadline >= self._deadline:
            return
        if self._escalation is not None:
            self._escalation.cancel()
        logger.info(
            "%s: SIGKILL in %.3g s unless it ends before", self._label, max(0.0, grace_period)
        )
        self._deadline = deadline
        self._escalation = loop.call_at(deadline, self._escalate, grace_period)

    def cancel(self) -> None:
        """Forget a scheduled SIGKILL (call once the process has ended)."""
        if self._escalation is not None:
            self._escalation.cancel()
            self._escalation = None

    def _escalate(self, grace_period: float) -> None:
        if self._process.returncode is not None:
            return
        logger.info(
            "%s: process %d did not end within %.3g s; sending SIGKILL to its group",
            self._label,
            self._process.pid,
            grace_period,
        )
        signal_group(self._process.pid, signal.SIGKILL)
