"""What the Mesos agent tells an executor through its environment, read and checked once.

Use :meth:`ExecutorEnvironment.from_environ` at executor start; a missing or malformed variable
raises :class:`ExecutorEnvironmentError` naming it, before anything talks to the agent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from frameworkkit.transport.executor import executor_endpoint
from frameworkkit.transport.secret import Secret

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


@dataclass(frozen=True)
class ExecutorEnvironment:
    """The executor's identity, its agent's address and the agent's recovery contract.

    Durations are in seconds. ``recovery_timeout`` and ``subscription_backoff_max`` only matter
    when ``checkpoint`` is set: then a lost agent connection is retried (random delays up to
    ``subscription_backoff_max``) for ``recovery_timeout`` before the executor shuts down.
    """

    framework_id: str
    executor_id: str
    agent_pid: str
    agent_endpoint: str | None = None
    agent_id: str | None = None
    checkpoint: bool = False
    recovery_timeout: float = DEFAULT_RECOVERY_TIMEOUT
    subscription_backoff_max: float = DEFAULT_SUBSCRIPTION_BACKOFF_MAX
    shutdown_grace_period: float = DEFAULT_SHUTDOWN_GRACE_PERIOD
    directory: Path | None = None
    sandbox: Path | None = None
    authentication_token: Secret | None = None

    def __post_init__(self) -> None:
        for name in ("framework_id", "executor_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ExecutorEnvironmentError(f"{name}: expected a non-empty str, got {value!r}")
        for name in ("recovery_timeout", "subscription_backoff_max", "shutdown_grace_period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ExecutorEnvironmentError(f"{name}: expected seconds >= 0, got {value!r}")
        _agent_url(self.agent_pid)  # a malformed PID fails here, at construction

    @property
    def url(self) -> str:
        """The agent's v1 executor API URL: ``slave(N)@ip:port`` gives
        ``http://ip:port/slave(N)/api/v1/executor``, the path that reaches agent ``slave(N)``
        even where one process runs several agents."""
        return _agent_url(self.agent_pid)

    @property
    def agent_host(self) -> str:
        """The address the agent listens on (``ip`` of ``MESOS_SLAVE_PID``): where servers the
        executor starts on its tasks' ports are reachable too (``127.0.0.1`` on an embedded
        cluster)."""
        return self.agent_pid.strip().partition("@")[2].rpartition(":")[0]

    @property
    def work_directory(self) -> Path:
        """Where the executor's files go: the sandbox as the container sees it, else the cwd."""
        return self.sandbox or self.directory or Path.cwd()

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
            directory=_path(env, "MESOS_DIRECTORY"),
            sandbox=_path(env, "MESOS_SANDBOX"),
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


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None
