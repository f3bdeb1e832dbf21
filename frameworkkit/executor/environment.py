"""What the Mesos agent tells an executor through its environment, read and checked once.

Use :meth:`ExecutorEnvironment.from_environ` at executor start; a missing or malformed variable
raises :class:`ExecutorEnvironmentError` naming it, before anything talks to the agent. Standard
library only (no dataclasses either): every command task starts an executor.
"""

from __future__ import annotations

import os
import re

from frameworkkit.transport.executor import executor_endpoint
from frameworkkit.transport.secret import Secret

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "DEFAULT_SHUTDOWN_GRACE_PERIOD",
    "ExecutorEnvironment",
    "ExecutorEnvironmentError",
    "parse_duration",
]

DEFAULT_SHUTDOWN_GRACE_PERIOD = 5.0  # seconds; the agent's --executor_shutdown_grace_period default
DEFAULT_RECOVERY_TIMEOUT = 15 * 60.0  # the agent's --recovery_timeout default
DEFAULT_SUBSCRIPTION_BACKOFF_MAX = 2.0  # the agent's --executor_reregistration_timeout default

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "secs": 1.0,
    "mins": 60.0,
    "hrs": 3600.0,
    "days": 86400.0,
    "weeks": 604800.0,
}
_DURATION = re.compile(r"([0-9.]+)([a-z]+)")
_FIELDS = (
    "framework_id",
    "executor_id",
    "agent_pid",
    "agent_endpoint",
    "agent_id",
    "checkpoint",
    "recovery_timeout",
    "subscription_backoff_max",
    "shutdown_grace_period",
    "directory",
    "sandbox",
    "authentication_token",
)
_PATHS = ("directory", "sandbox")  # kept as strings; pathlib loads only when they are read


class ExecutorEnvironmentError(ValueError):
    """An agent-provided environment variable is missing or malformed; the message names it."""


def parse_duration(text: str) -> float:
    """Seconds in a Mesos duration string such as ``"15mins"``, ``"2secs"``, ``"100ms"``.

    Accepts what Mesos's own parser accepts: a non-negative decimal number followed directly by
    one of ``ns us ms secs mins hrs days weeks``. Anything else raises ``ValueError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"duration: expected str, got {type(text).__name__}")
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"duration: {text!r} is not a Mesos duration such as '2secs' or '100ms'")
    number, unit = match.groups()
    if unit not in _UNIT_SECONDS:
        raise ValueError(
            f"duration: unknown unit {unit!r} in {text!r}; use one of {', '.join(_UNIT_SECONDS)}"
        )
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"duration: {number!r} in {text!r} is not a number") from None
    return value * _UNIT_SECONDS[unit]


class ExecutorEnvironment:
    """The executor's identity, its agent's address and the agent's recovery contract.

    Durations are in seconds. ``recovery_timeout`` and ``subscription_backoff_max`` only matter
    when ``checkpoint`` is set: then a lost agent connection is retried (random delays up to
    ``subscription_backoff_max``) for ``recovery_timeout`` before the executor shuts down.
    Read-only once built; a bad value raises :class:`ExecutorEnvironmentError` naming it.
    """

    __slots__ = tuple(f"_{name}" if name in _PATHS else name for name in _FIELDS)

    framework_id: str
    executor_id: str
    agent_pid: str
    agent_endpoint: str | None
    agent_id: str | None
    checkpoint: bool
    recovery_timeout: float
    subscription_backoff_max: float
    shutdown_grace_period: float
    _directory: str | None
    _sandbox: str | None
    authentication_token: Secret | None

    def __init__(
        self,
        framework_id: str,
        executor_id: str,
        agent_pid: str,
        agent_endpoint: str | None = None,
        agent_id: str | None = None,
        checkpoint: bool = False,
        recovery_timeout: float = DEFAULT_RECOVERY_TIMEOUT,
        subscription_backoff_max: float = DEFAULT_SUBSCRIPTION_BACKOFF_MAX,
        shutdown_grace_period: float = DEFAULT_SHUTDOWN_GRACE_PERIOD,
        directory: str | os.PathLike[str] | None = None,
        sandbox: str | os.PathLike[str] | None = None,
        authentication_token: Secret | None = None,
    ) -> None:
        values = dict(
            zip(
                _FIELDS,
                (
                    framework_id,
                    executor_id,
                    agent_pid,
                    agent_endpoint,
                    agent_id,
                    checkpoint,
                    recovery_timeout,
                    subscription_backoff_max,
                    shutdown_grace_period,
                    directory,
                    sandbox,
                    authentication_token,
                ),
                strict=True,
            )
        )
        for name in ("framework_id", "executor_id"):
            if not isinstance(values[name], str) or not values[name]:
                raise ExecutorEnvironmentError(
                    f"{name}: expected a non-empty str, got {values[name]!r}"
                )
        for name in ("recovery_timeout", "subscription_backoff_max", "shutdown_grace_period"):
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ExecutorEnvironmentError(f"{name}: expected seconds >= 0, got {value!r}")
        _agent_url(agent_pid)  # a malformed PID fails here, at construction
        for name, value in values.items():
            if name not in _PATHS:
                object.__setattr__(self, name, value)
        object.__setattr__(self, "_directory", None if directory is None else os.fspath(directory))
        object.__setattr__(self, "_sandbox", None if sandbox is None else os.fspath(sandbox))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ExecutorEnvironment is read-only: cannot set {name}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FIELDS)
        return f"ExecutorEnvironment({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExecutorEnvironment):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)

    @property
    def url(self) -> str:
        """The agent's v1 executor API URL: ``slave(N)@ip:port`` gives
        ``http://ip:port/slave(N)/api/v1/executor``, the path that reaches agent ``slave(N)``
        even where one process runs several agents."""
        return _agent_url(self.agent_pid)

    @property
    def directory(self) -> Path | None:
        """``MESOS_DIRECTORY``: the executor's sandbox as the agent sees it."""
        return None if self._directory is None else _as_path(self._directory)

    @property
    def sandbox(self) -> Path | None:
        """``MESOS_SANDBOX``: the sandbox as the executor's container sees it."""
        return None if self._sandbox is None else _as_path(self._sandbox)

    @property
    def agent_host(self) -> str:
        """The address the agent listens on (``ip`` of ``MESOS_SLAVE_PID``): where servers the
        executor starts on its tasks' ports are reachable too (``127.0.0.1`` on an embedded
        cluster)."""
        return self.agent_pid.strip().partition("@")[2].rpartition(":")[0]

    @property
    def work_directory(self) -> Path:
        """Where the executor's files go: the sandbox as the container sees it, else the cwd."""
        return _as_path(self.work_dir)

    @property
    def work_dir(self) -> str:
        """:attr:`work_directory` as a string, read without loading pathlib."""
        return self._sandbox or self._directory or os.getcwd()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ExecutorEnvironment:
        """Read the ``MESOS_*`` variables the agent sets for an executor (default: os.environ)."""
        env = os.environ if environ is None else environ
        checkpoint = env.get("MESOS_CHECKPOINT", "0") == "1"
        token = env.get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN")
        return cls(
            framework_id=_required(env, "MESOS_FRAMEWORK_ID"),
            executor_id=_required(env, "MESOS_EXECUTOR_ID"),
            agent_pid=_required(env, "MESOS_SLAVE_PID"),
            agent_endpoint=env.get("MESOS_AGENT_ENDPOINT") or None,
            agent_id=env.get("MESOS_SLAVE_ID") or None,
            checkpoint=checkpoint,
            recovery_timeout=_duration(env, "MESOS_RECOVERY_TIMEOUT", DEFAULT_RECOVERY_TIMEOUT),
            subscription_backoff_max=_duration(
                env, "MESOS_SUBSCRIPTION_BACKOFF_MAX", DEFAULT_SUBSCRIPTION_BACKOFF_MAX
            ),
            shutdown_grace_period=_duration(
                env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", DEFAULT_SHUTDOWN_GRACE_PERIOD
            ),
            directory=env.get("MESOS_DIRECTORY") or None,
            sandbox=env.get("MESOS_SANDBOX") or None,
            authentication_token=Secret(token) if token else None,
        )


def _agent_url(agent_pid: str) -> str:
    try:
        return executor_endpoint(agent_pid)
    except (TypeError, ValueError) as exc:
        raise ExecutorEnvironmentError(f"MESOS_SLAVE_PID: {exc}") from None


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise ExecutorEnvironmentError(
            f"{name}: not set; an executor must be started by a Mesos agent, which sets it"
        )
    return value


def _duration(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ExecutorEnvironmentError(f"{name}: {exc}") from None


def _as_path(value: str) -> Path:
    from pathlib import Path

    return Path(value)
