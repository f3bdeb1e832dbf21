"""Start a task's command in its own process group, stop it gracefully, and word its end.

Use :func:`start_command` to run a Mesos ``CommandInfo`` (shell or argv form) and
:class:`ProcessGroupKiller` to stop it the way Mesos's command executor does: SIGTERM to the whole
group, SIGKILL once the grace period is over.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping

from frameworkkit._log import get_logger

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import IO, Any

    from .reactor import Reactor, Timer

__all__ = [
    "CommandSpec",
    "ProcessGroupKiller",
    "describe_exit",
    "signal_group",
    "start_command",
]

logger = get_logger("frameworkkit.executor")


class CommandSpec:
    """What to run: ``shell`` runs ``value`` with ``/bin/sh -c``; else ``value`` is the program
    and ``arguments`` its full argv (``arguments[0]`` is argv[0]), as in Mesos's CommandInfo.
    ``environment`` is added to the variables the process inherits."""

    __slots__ = ("arguments", "environment", "shell", "value")

    def __init__(
        self,
        value: str,
        shell: bool = True,
        arguments: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(value, str) or not value:
            kind = "shell command" if shell else "executable"
            raise ValueError(f"command.value: the {kind} is not specified")
        if isinstance(arguments, str) or not all(isinstance(a, str) for a in arguments):
            raise ValueError(f"command.arguments: expected a list of strings, got {arguments!r}")
        self.value = value
        self.shell = bool(shell)
        self.arguments = tuple(arguments)
        self.environment = dict(environment or {})

    def __repr__(self) -> str:
        return f"CommandSpec({self.value!r}, shell={self.shell}, arguments={self.arguments!r})"

    @classmethod
    def from_command_info(cls, info: Mapping[str, Any]) -> CommandSpec:
        """The command of a Mesos ``CommandInfo`` in its JSON form (``shell`` unset means true,
        as in Mesos); its VALUE environment variables are kept, SECRET ones left out."""
        if not isinstance(info, Mapping):
            raise ValueError(f"command: expected a CommandInfo object, got {info!r}")
        variables = (info.get("environment") or {}).get("variables") or []
        try:
            environment = {
                str(variable["name"]): str(variable.get("value") or "")
                for variable in variables
                if variable.get("type") in (None, "VALUE")
            }
        except (AttributeError, KeyError, TypeError):
            raise ValueError(
                f"command.environment.variables: expected name/value objects, got {variables!r}"
            ) from None
        return cls(
            value=info.get("value") or "",
            shell=info.get("shell") is not False,
            arguments=info.get("arguments") or (),
            environment=environment,
        )

    def argv(self) -> tuple[str, list[str]]:
        """The program to execute and the argv it receives."""
        if self.shell:
            return "/bin/sh", ["sh", "-c", self.value]
        return self.value, list(self.arguments) or [self.value]


def start_command(
    command: CommandSpec,
    *,
    base_environment: Mapping[str, str],
    cwd: str | os.PathLike[str],
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a new session (its own process group) and return the process.

    The child sees ``base_environment`` overridden by the command's own variables; stdout and
    stderr go where given (``None``: inherited from the executor). Raises ``OSError`` when the
    program cannot be started.
    """
    program, argv = command.argv()
    return subprocess.Popen(
        argv,
        executable=program,
        cwd=cwd,
        env={**base_environment, **command.environment},
        stdin=subprocess.DEVNULL,
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
    as Mesos does when a kill with a shorter kill policy follows the first. Use it on the
    reactor's thread.
    """

    def __init__(self, process: subprocess.Popen[bytes], label: str, reactor: Reactor) -> None:
        self._process = process
        self._label = label
        self._reactor = reactor
        self._deadline: float | None = None
        self._escalation: Timer | None = None

    @property
    def started(self) -> bool:
        """True once a kill has been requested."""
        return self._deadline is not None

    def kill(self, grace_period: float) -> None:
        """SIGTERM the group (on the first call) and schedule SIGKILL after ``grace_period`` s."""
        if self._process.returncode is not None:
            return
        grace_period = max(0.0, grace_period)
        deadline = self._reactor.time() + grace_period
        if self._deadline is None:
            logger.info("%s: sending SIGTERM to process group %d", self._label, self._process.pid)
            signal_group(self._process.pid, signal.SIGTERM)
        elif deadline >= self._deadline:
            return
        self.cancel()
        logger.info("%s: SIGKILL in %.3g s unless it ends before", self._label, grace_period)
        self._deadline = deadline
        self._escalation = self._reactor.call_later(grace_period, self._escalate, grace_period)

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
