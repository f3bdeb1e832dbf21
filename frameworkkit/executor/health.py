"""Task health checks (command, HTTP, TCP) judged the way Mesos's health checker judges them.

Use :class:`HealthChecker` with one of the probes (:func:`command_probe`, :func:`http_probe`,
:func:`tcp_probe`) and a :class:`HealthPolicy`, on a :class:`~.reactor.Reactor`. After ``delay``
seconds it probes every ``interval`` seconds (each probe bounded by ``timeout``, in a thread of
its own) and calls back with a :class:`HealthReport`:

- the first success, and the first success after failures, report ``healthy=True``;
- every failure reports ``healthy=False`` with the count of consecutive failures, except failures
  within ``grace_period`` of the start before any success, which are ignored;
- the report whose count reaches ``consecutive_failures`` has ``kill_task=True``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Mapping
from functools import partial

from frameworkkit._log import get_logger
from frameworkkit.transport.http1 import HttpClient, HttpError, HttpTimeout

from .processes import CommandSpec, describe_exit, signal_group, start_command

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable
    from typing import Any

    from .reactor import Reactor, Timer

    Probe = Callable[[float | None], None]
    """One blocking health probe: ``probe(timeout)`` returns when healthy and raises (any
    exception) when not; past ``timeout`` seconds (None: no limit) it raises ``TimeoutError``."""

__all__ = [
    "HealthCheckFailed",
    "HealthChecker",
    "HealthPolicy",
    "HealthReport",
    "command_probe",
    "health_checker_for",
    "http_probe",
    "tcp_probe",
]

logger = get_logger("frameworkkit.executor")

CHECK_HOST = "127.0.0.1"
_DEFAULTS = {
    "delay_seconds": 15.0,
    "interval_seconds": 10.0,
    "timeout_seconds": 20.0,
    "consecutive_failures": 3,
    "grace_period_seconds": 10.0,
}


class HealthCheckFailed(Exception):
    """A probe found the task unhealthy; the message says why."""


class HealthPolicy:
    """When to probe and when to give up; the defaults are Mesos's ``HealthCheck`` defaults.

    Seconds throughout; ``timeout`` 0 means no limit.
    """

    __slots__ = ("consecutive_failures", "delay", "grace_period", "interval", "timeout")

    def __init__(
        self,
        delay: float = 15.0,
        interval: float = 10.0,
        timeout: float = 20.0,
        consecutive_failures: int = 3,
        grace_period: float = 10.0,
    ) -> None:
        for name, value in (
            ("delay", delay),
            ("interval", interval),
            ("timeout", timeout),
            ("grace_period", grace_period),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"health_check.{name}: expected seconds >= 0, got {value!r}")
        if isinstance(consecutive_failures, bool) or not isinstance(consecutive_failures, int):
            raise TypeError("health_check.consecutive_failures: expected an int")
        if consecutive_failures < 1:
            raise ValueError(
                f"health_check.consecutive_failures: must be >= 1, got {consecutive_failures}"
            )
        self.delay = float(delay)
        self.interval = float(interval)
        self.timeout = float(timeout)
        self.consecutive_failures = consecutive_failures
        self.grace_period = float(grace_period)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"HealthPolicy({fields})"


class HealthReport:
    """One change worth telling the scheduler: the task's health and whether to kill it."""

    __slots__ = ("consecutive_failures", "healthy", "kill_task")

    def __init__(
        self, healthy: bool, consecutive_failures: int = 0, kill_task: bool = False
    ) -> None:
        self.healthy = healthy
        self.consecutive_failures = consecutive_failures
        self.kill_task = kill_task

    def __repr__(self) -> str:
        return (
            f"HealthReport(healthy={self.healthy}, "
            f"consecutive_failures={self.consecutive_failures}, kill_task={self.kill_task})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HealthReport):
            return NotImplemented
        return (self.healthy, self.consecutive_failures, self.kill_task) == (
            other.healthy,
            other.consecutive_failures,
            other.kill_task,
        )

    def __hash__(self) -> int:
        return hash((self.healthy, self.consecutive_failures, self.kill_task))


class HealthChecker:
    """Runs ``probe`` on ``policy``'s schedule and reports to ``on_report`` (see module doc).

    Use it on the reactor's thread; ``on_report`` is called there too.
    """

    def __init__(
        self,
        probe: Probe,
        policy: HealthPolicy,
        on_report: Callable[[HealthReport], None],
        *,
        label: str,
        reactor: Reactor,
    ) -> None:
        self._probe = probe
        self._policy = policy
        self._on_report = on_report
        self._label = label
        self._reactor = reactor
        self._started: float | None = None
        self._timer: Timer | None = None
        self._stopped = False
        self._initializing = True
        self._failures = 0

    def start(self) -> None:
        """Begin checking; the delay and the grace period count from now."""
        if self._started is None:
            self._started = self._reactor.time()
            self._timer = self._reactor.call_later(self._policy.delay, self._probe_once)

    def stop(self) -> None:
        """Stop checking; no report follows, even from a probe already under way."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()

    def _probe_once(self) -> None:
        if self._stopped:
            return
        timeout = self._policy.timeout or None
        self._reactor.in_thread(
            partial(self._probe, timeout), self._judge, name=f"health-check {self._label}"
        )

    def _judge(self, _: object, error: BaseException | None) -> None:
        if self._stopped:
            return
        policy = self._policy
        if error is None:
            if self._initializing or self._failures:
                self._on_report(HealthReport(healthy=True))
            self._initializing = False
            self._failures = 0
        elif (
            self._initializing
            and policy.grace_period > 0
            and self._reactor.time() - (self._started or 0.0) <= policy.grace_period
        ):
            logger.info(
                "%s: ignoring a health check failure in the grace period: %s",
                self._label,
                self._reason(error),
            )
        else:
            self._failures += 1
            logger.warning(
                "%s: health check failed %d time(s) in a row: %s",
                self._label,
                self._failures,
                self._reason(error),
            )
            kill = self._failures >= policy.consecutive_failures
            self._on_report(
                HealthReport(False, consecutive_failures=self._failures, kill_task=kill)
            )
        if not self._stopped:
            self._timer = self._reactor.call_later(policy.interval, self._probe_once)

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, TimeoutError):
            return f"timed out after {self._policy.timeout:g} s"
        return str(error) or type(error).__name__


def command_probe(
    command: CommandSpec, *, base_environment: Mapping[str, str], cwd: str | os.PathLike[str]
) -> Probe:
    """A probe that runs ``command``; exit status 0 is healthy. A probe cut short by its timeout
    kills the command's process group."""

    def probe(timeout: float | None) -> None:
        process = start_command(
            command,
            base_environment=base_environment,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"the health check command ran over {timeout:g} s") from None
        finally:
            if process.returncode is None:
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
        if returncode != 0:
            raise HealthCheckFailed(f"Command {describe_exit(returncode)}")

    return probe


def http_probe(port: int, path: str = "/", *, scheme: str = "http") -> Probe:
    """A probe that GETs ``scheme://127.0.0.1:port/path``; statuses 200 to 399 are healthy.
    Certificates are not verified (the task's own address is not a name to check)."""
    if scheme not in ("http", "https"):
        raise ValueError(f"health_check.http.scheme: expected 'http' or 'https', got {scheme!r}")
    origin = f"{scheme}://{CHECK_HOST}:{_port('http', port)}"
    target = "/" + path.lstrip("/")

    def probe(timeout: float | None) -> None:
        client = HttpClient(origin, ssl_context=_unverified_tls(scheme), timeout=timeout)
        try:
            status = client.request("GET", target).status
        except HttpTimeout:
            raise TimeoutError(f"HTTP request to {origin}{target} timed out") from None
        except HttpError as exc:
            raise HealthCheckFailed(f"HTTP request to {origin}{target} failed: {exc}") from None
        finally:
            client.close()
        if not 200 <= status < 400:
            raise HealthCheckFailed(f"Unexpected HTTP response code: {status}")

    return probe


def tcp_probe(port: int) -> Probe:
    """A probe that opens a TCP connection to ``127.0.0.1:port``; connecting is healthy."""
    checked_port = _port("tcp", port)

    def probe(timeout: float | None) -> None:
        try:
            socket.create_connection((CHECK_HOST, checked_port), timeout).close()
        except TimeoutError:
            raise
        except OSError as exc:
            raise HealthCheckFailed(f"TCP connection failed: {exc}") from None

    return probe


def health_checker_for(
    health_check: Mapping[str, Any],
    on_report: Callable[[HealthReport], None],
    *,
    base_environment: Mapping[str, str],
    cwd: str | os.PathLike[str],
    label: str,
    reactor: Reactor,
) -> HealthChecker:
    """A checker for a task's Mesos ``HealthCheck`` (its JSON form), not yet started.

    Raises ``ValueError`` naming the field when the check is malformed or of an unknown type.
    """
    if not isinstance(health_check, Mapping):
        raise ValueError(f"health_check: expected an object, got {health_check!r}")
    numbers = {name: health_check.get(name, default) for name, default in _DEFAULTS.items()}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"health_check.{name}: expected a number, got {value!r}")
    policy = HealthPolicy(
        delay=numbers["delay_seconds"],
        interval=numbers["interval_seconds"],
        timeout=numbers["timeout_seconds"],
        consecutive_failures=int(numbers["consecutive_failures"]),
        grace_period=numbers["grace_period_seconds"],
    )
    kind = health_check.get("type") or next(
        (name.upper() for name in ("command", "http", "tcp") if name in health_check), "UNKNOWN"
    )
    body = health_check.get(str(kind).lower())
    if not isinstance(body, Mapping):
        raise ValueError(f"health_check.type: {kind!r} without its matching field")
    probe: Probe
    if kind == "COMMAND":
        command = CommandSpec.from_command_info(body)
        probe = command_probe(command, base_environment=base_environment, cwd=cwd)
    elif kind == "HTTP":
        path, scheme = body.get("path", "/"), body.get("scheme", "http")
        if not isinstance(path, str):
            raise ValueError(f"health_check.http.path: expected a string, got {path!r}")
        probe = http_probe(_port("http", body.get("port")), path, scheme=scheme)
    elif kind == "TCP":
        probe = tcp_probe(_port("tcp", body.get("port")))
    else:
        raise ValueError(f"health_check.type: {kind!r} is not COMMAND, HTTP or TCP")
    return HealthChecker(probe, policy, on_report, label=label, reactor=reactor)


def _port(kind: str, port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"health_check.{kind}.port: {port!r} is not a TCP port")
    return port


def _unverified_tls(scheme: str) -> ssl.SSLContext | None:
    """No TLS context for http; for https one that checks neither certificate nor name."""
    if scheme != "https":
        return None
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
