"""Health check judgement (as Mesos's health checker judges) and the probes, on loopback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from frameworkkit.executor.health import (
    HealthChecker,
    HealthCheckFailed,
    HealthPolicy,
    HealthReport,
    command_probe,
    health_checker_for,
    http_probe,
    tcp_probe,
)
from frameworkkit.executor.processes import CommandSpec
from frameworkkit.executor.reactor import Reactor

from .conftest import until

pytestmark = pytest.mark.timeout(60)

FAST = {"delay": 0.0, "interval": 0.01, "timeout": 5.0}


@pytest.fixture
def reactor() -> Iterator[Reactor]:
    """A reactor running in a thread of its own for the test."""
    reactor = Reactor()
    thread = threading.Thread(target=reactor.run, name="test-reactor")
    thread.start()
    yield reactor
    reactor.stop()
    thread.join(10)


class ScriptedProbe:
    """Answers healthy or not from a script, then healthy (setting ``done``)."""

    def __init__(self, outcomes: list[bool]) -> None:
        self.outcomes: Iterator[bool] = iter(outcomes)
        self.done = threading.Event()

    def __call__(self, timeout: float | None) -> None:
        healthy = next(self.outcomes, None)
        if healthy is None:
            self.done.set()
            healthy = True
        if not healthy:
            raise HealthCheckFailed("scripted failure")


def judge(reactor: Reactor, outcomes: list[bool], policy: HealthPolicy) -> list[HealthReport]:
    """The reports a checker makes for a run of probe outcomes."""
    reports: list[HealthReport] = []
    probe = ScriptedProbe(outcomes)
    checker = HealthChecker(probe, policy, reports.append, label="unit", reactor=reactor)
    reactor.call_soon(checker.start)
    assert probe.done.wait(10)
    stopped = threading.Event()
    reactor.call_soon(lambda: (checker.stop(), stopped.set()))
    assert stopped.wait(10)
    return reports


def test_failures_count_up_and_the_last_one_asks_for_the_kill(reactor: Reactor) -> None:
    policy = HealthPolicy(**FAST, consecutive_failures=3, grace_period=0)
    reports = judge(reactor, [False, False, False], policy)
    assert reports == [
        HealthReport(False, 1, kill_task=False),
        HealthReport(False, 2, kill_task=False),
        HealthReport(False, 3, kill_task=True),
        HealthReport(True),
    ]


def test_success_is_reported_first_and_after_failures_only(reactor: Reactor) -> None:
    policy = HealthPolicy(**FAST, consecutive_failures=5, grace_period=0)
    reports = judge(reactor, [True, True, False, True, True], policy)
    assert reports == [HealthReport(True), HealthReport(False, 1), HealthReport(True)]


def test_failures_in_the_grace_period_before_a_success_are_ignored(reactor: Reactor) -> None:
    policy = HealthPolicy(**FAST, consecutive_failures=1, grace_period=30)
    reports = judge(reactor, [False, False, True, False], policy)
    assert reports == [
        HealthReport(True),
        HealthReport(False, 1, kill_task=True),
        HealthReport(True),
    ]


async def test_a_probe_over_its_timeout_is_a_failure(tmp_path: Path, reactor: Reactor) -> None:
    reports: list[HealthReport] = []
    probe = command_probe(
        CommandSpec("sleep 30"), base_environment={"PATH": "/usr/bin:/bin"}, cwd=tmp_path
    )
    policy = HealthPolicy(
        delay=0, interval=0.01, timeout=0.1, consecutive_failures=1, grace_period=0
    )
    checker = HealthChecker(probe, policy, reports.append, label="unit", reactor=reactor)
    reactor.call_soon(checker.start)
    await asyncio.wait_for(until(lambda: reports), 10)
    reactor.call_soon(checker.stop)
    assert reports[0] == HealthReport(False, 1, kill_task=True)


@pytest.mark.parametrize(("command", "healthy"), [("exit 0", True), ("exit 1", False)])
async def test_a_command_probe_judges_by_exit_status(
    tmp_path: Path, command: str, healthy: bool
) -> None:
    probe = command_probe(CommandSpec(command), base_environment={}, cwd=tmp_path)
    assert await _outcome(probe) is healthy


@pytest.fixture
async def tcp_port() -> AsyncIterator[int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        status = b"200 OK" if request.startswith(b"GET /ok ") else b"503 Service Unavailable"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def closed_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


async def test_a_tcp_probe_needs_a_listener(tcp_port: int) -> None:
    assert await _outcome(tcp_probe(tcp_port)) is True
    assert await _outcome(tcp_probe(await closed_port())) is False


async def test_an_http_probe_accepts_2xx_and_3xx_only(tcp_port: int) -> None:
    assert await _outcome(http_probe(tcp_port, "/ok")) is True
    assert await _outcome(http_probe(tcp_port, "/down")) is False
    assert await _outcome(http_probe(await closed_port(), "/ok")) is False


def test_a_health_check_json_becomes_a_checker(tmp_path: Path) -> None:
    check = {"type": "TCP", "tcp": {"port": 8080}, "consecutive_failures": 4}
    checker = health_checker_for(
        check,
        lambda report: None,
        base_environment={},
        cwd=tmp_path,
        label="unit",
        reactor=Reactor(),
    )
    assert isinstance(checker, HealthChecker)


@pytest.mark.parametrize(
    ("check", "field"),
    [
        ({"type": "HTTP"}, "health_check.type"),
        ({"type": "HTTP", "http": {"port": 0}}, "health_check.http.port"),
        ({"type": "TCP", "tcp": {"port": "80"}}, "health_check"),
        ({"type": "COMMAND", "command": {"value": "true"}, "interval_seconds": -1}, "interval"),
        (
            {"type": "COMMAND", "command": {"value": "true"}, "consecutive_failures": 0},
            "consecutive_failures",
        ),
    ],
)
def test_a_malformed_health_check_is_named(
    tmp_path: Path, check: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        health_checker_for(
            check,
            lambda report: None,
            base_environment={},
            cwd=tmp_path,
            label="u",
            reactor=Reactor(),
        )


async def _outcome(probe: Callable[[float | None], None]) -> bool:
    """Whether the blocking ``probe`` finds the task healthy (run off the test's loop, which
    serves the probed port)."""
    try:
        await asyncio.to_thread(probe, 10)
    except HealthCheckFailed:
        return False
    return True
