"""Task health checks (command, HTTP, TCP) judged the way Mesos's health checker judges them.

Use :class:`HealthChecker` with one of the probes (:func:`command_probe`, :func:`http_probe`,
:func:`tcp_probe`) and a :class:`HealthPolicy`. After ``delay`` seconds it probes every
``interval`` seconds (each probe bounded by ``timeout``) and calls back with a
:class:`HealthReport`:

- the first success, and the first success after failures, report ``healthy=True``;
- every failure reports ``healthy=False`` with the count of consecutive failures, except failures
  within ``grace_period`` of the start before any success, which are ignored;
- the report whose count reaches ``consecutive_failures`` has ``kill_task=True``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgspec

from frameworkkit.protocol.messages import CommandInfo

from .processes import CommandSpec, describe_exit, signal_group, start_command

__all__ = [
    "HealthCheckFailed",
    "HealthChecker",
    "HealthPolicy",
    "HealthReport",
    "Probe",
    "command_probe",
    "health_checker_for",
    "http_probe",
    "tcp_probe",
]

logger = logging.getLogger("frameworkkit.executor")

Probe = Callable[[], Awaitable[None]]
"""One health probe: returns when healthy, raises (any exception) when not."""

CHECK_HOST = "127.0.0.1"


class HealthCheckFailed(Exception):
    """A probe found the task unhealthy; the message says why."""


@dataclass(frozen=True)
class HealthPolicy:
    """When to probe and when to give up; the defaults are Mesos's ``HealthCheck`` defaults.

    Seconds throughout; ``timeout`` 0 means no limit.
    """

    delay: float = 15.0
    interval: float = 10.0
    timeout: float = 20.0
    consecutive_failures: int = 3
    grace_period: float = 10.0

    def __post_init__(self) -> None:
        for name in ("delay", "interval", "timeout", "grace_period"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"health_check.{name}: expected seconds >= 0, got {value!r}")
        if isinstance(self.consecutive_failures, bool) or not isinstance(
            self.consecutive_failures, int
        ):
            raise TypeError("health_check.consecutive_failures: expected an int")
        if self.consecutive_failures < 1:
            raise ValueError(
                f"health_check.consecutive_failures: must be >= 1, got {self.consecutive_failures}"
            )


@dataclass(frozen=True)
class HealthReport:
    """One change worth telling the scheduler: the task's health and whether to kill it."""

    healthy: bool
    consecutive_failures: int = 0
    kill_task: bool = False


class HealthChecker:
    """Runs ``probe`` on ``policy``'s schedule and reports to ``on_report`` (see module doc)."""

    def __init__(
        self,
        probe: Probe,
        policy: HealthPolicy,
        on_report: Callable[[HealthReport], None],
        *,
        label: str,
    ) -> None:
        self._probe = probe
        self._policy = policy
        self._on_report = on_report
        self._label = label
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin checking; the delay and the grace period count from now."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop checking; no report follows, even from a probe already under way."""
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        policy = self._policy
        started = loop.time()
        initializing = True
        failures = 0
        await asyncio.sleep(policy.delay)
        while True:
            error = await self._probe_once()
            if error is None:
                if initializing or failures:
                    self._on_report(HealthReport(healthy=True))
                initializing = False
                failures = 0
            elif (
                initializing
                and policy.grace_period > 0
                and loop.time() - started <= policy.grace_period
            ):
                logger.info(
                    "%s: ignoring a health check failure in the grace period: %s",
                    self._label,
                    error,
                )
            else:
                failures += 1
                logger.warning(
                    "%s: health check failed %d time(s) in a row: %s", self._label, failures, error
                )
                kill = failures >= policy.consecutive_failures
                self._on_report(HealthReport(False, consecutive_failures=failures, kill_task=kill))
            await asyncio.sleep(policy.interval)

    async def _probe_once(self) -> str | None:
        """None when healthy, else why not."""
        timeout = self._policy.timeout or None
        try:
            await asyncio.wait_for(self._probe(), timeout)
        except asyncio.TimeoutError:
            return f"timed out after {self._policy.timeout:g} s"
        except Exception as exc:  # any probe error counts as a failed check
            return str(exc) or type(exc).__name__
        return None


def command_probe(command: CommandSpec, *, base_environment: Mapping[str, str], cwd: Path) -> Probe:
    """A probe that runs ``command``; exit status 0 is healthy. A probe cut short by its timeout
    kills the command's process group."""

    async def probe() -> None:
        process = await start_command(
            command,
            base_environment=base_environment,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            returncode = await process.wait()
        finally:
            if process.returncode is None:
                signal_group(process.pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    await asyncio.shield(process.wait())
        if returncode != 0:
            raise HealthCheckFailed(f"Command {describe_exit(returncode)}")

    return probe


def http_probe(port: int, path: str = "/", *, scheme: str = "http") -> Probe:
    """A probe that GETs ``scheme://127.0.0.1:port/path``; statuses 200 to 399 are healthy.
    Certificates are not verified (the task's own address is not a name to check)."""
    if scheme not in ("http", "https"):
        raise ValueError(f"health_check.http.scheme: expected 'http' or 'https', got {scheme!r}")
    url = f"{scheme}://{CHECK_HOST}:{_port('http', port)}/{path.lstrip('/')}"

    async def probe() -> None:
        try:
            async with httpx.AsyncClient(verify=False, trust_env=False) as client:
                response = await client.get(url)
        except httpx.HTTPError as exc:
            raise HealthCheckFailed(f"HTTP request to {url} failed: {exc}") from None
        if not 200 <= response.status_code < 400:
            raise HealthCheckFailed(f"Unexpected HTTP response code: {response.status_code}")

    return probe


def tcp_probe(port: int) -> Probe:
    """A probe that opens a TCP connection to ``127.0.0.1:port``; connecting is healthy."""
    checked_port = _port("tcp", port)

    async def probe() -> None:
        try:
            _, writer = await asyncio.open_connection(CHECK_HOST, checked_port)
        except OSError as exc:
            raise HealthCheckFailed(f"TCP connection failed: {exc}") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    return probe


def _port(kind: str, port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"health_check.{kind}.port: {port!r} is not a TCP port")
    return port


# Private adapter: frameworkkit.protocol.messages keeps ``TaskInfo.health_check`` as plain JSON, so
# the fields read here are modelled locally. Replace with typed HealthCheck records once the
# protocol models them.
class _HttpCheckInfo(msgspec.Struct):
    port: int
    path: str = "/"
    scheme: str = "http"


class _TcpCheckInfo(msgspec.Struct):
    port: int


class _HealthCheckInfo(msgspec.Struct):
    type: str | None = None
    command: CommandInfo | None = None
    http: _HttpCheckInfo | None = None
    tcp: _TcpCheckInfo | None = None
    delay_seconds: float = 15.0
    interval_seconds: float = 10.0
    timeout_seconds: float = 20.0
    consecutive_failures: int = 3
    grace_period_seconds: float = 10.0


def health_checker_for(
    health_check: Mapping[str, Any],
    on_report: Callable[[HealthReport], None],
    *,
    base_environment: Mapping[str, str],
    cwd: Path,
    label: str,
) -> HealthChecker:
    """A checker for a task's Mesos ``HealthCheck`` (its JSON form), not yet started.

    Raises ``ValueError`` naming the field when the check is malformed or of an unknown type.
    """
    try:
        info = msgspec.convert(health_check, _HealthCheckInfo)
    except msgspec.ValidationError as exc:
        raise ValueError(f"health_check: {exc}") from None
    policy = HealthPolicy(
        delay=info.delay_seconds,
        interval=info.interval_seconds,
        timeout=info.timeout_seconds,
        consecutive_failures=info.consecutive_failures,
        grace_period=info.grace_period_seconds,
    )
    kind = info.type or next(
        (name.upper() for name in ("command", "http", "tcp") if getattr(info, name) is not None),
        "UNKNOWN",
    )
    probe: Probe
    if kind == "COMMAND" and info.command is not None:
        command = CommandSpec.from_command_info(info.command)
        probe = command_probe(command, base_environment=base_environment, cwd=cwd)
    elif kind == "HTTP" and info.http is not None:
        probe = http_probe(info.http.port, info.http.path, scheme=info.http.scheme)
    elif kind == "TCP" and info.tcp is not None:
        probe = tcp_probe(info.tcp.port)
    else:
        raise ValueError(f"health_check.type: {kind!r} without its matching field")
    return HealthChecker(probe, policy, on_report, label=label)
