"""The Marathon-style service keeper (examples/service) on real Mesos: three instances of a small
HTTP service answer on their ports; one killed is replaced; a rolling restart moves all to
version 2 without ever fewer than three healthy; the keeper SIGKILLed and started again finds
its instances and starts no duplicates; an instance that fails its health check is replaced."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from frameworkkit import Framework
from frameworkkit.testing import EmbeddedCluster, free_port

EXAMPLE = Path(__file__).parents[2] / "examples" / "service"
T = TypeVar("T")


class KeeperFramework(Framework):
    """The keeper's framework, to end it in Mesos when the test is over."""

    name = "service-keeper"


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 90.0) -> T:
    """``probe()``'s first truthy answer, trying every 0.2 s; fails naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = probe()
        except OSError:  # the keeper or an instance is not listening yet
            answer = None
        if answer:
            return answer
        time.sleep(0.2)
    raise AssertionError(f"not seen within {timeout:g} s: {what}")


def get(url: str, accept: str = "application/json") -> Any:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read().decode()
    return body if accept == "text/plain" else json.loads(body)


def put(url: str, body: object) -> Any:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


class Keeper:
    """The keeper as a process of its own, its log in a file."""

    def __init__(self, master: str, app: Path, state: Path, log: Path) -> None:
        self.args = [
            sys.executable,
            str(EXAMPLE / "keeper.py"),
            "--master",
            master,
            "--app",
            str(app),
            "--state-dir",
            str(state),
        ]
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Keeper:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [*self.args, "--api-port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def tasks(self) -> list[dict[str, Any]]:
        assert self.process is not None and self.process.poll() is None, self.log.read_text()
        tasks: list[dict[str, Any]] = get(f"{self.api}/v2/apps/hello/tasks")["tasks"]
        return tasks

    def healthy(self, version: int, count: int = 3) -> list[dict[str, Any]] | None:
        """The tasks once exactly ``count`` run, all healthy and of ``version``."""
        tasks = self.tasks()
        good = [t for t in tasks if t["healthy"] is True and t["version"] == version]
        return tasks if len(tasks) == len(good) == count else None

    def signal(self, signum: int) -> int:
        assert self.process is not None
        os.kill(self.process.pid, signum)
        return self.process.wait(timeout=60)


def whoami(task: dict[str, Any]) -> dict[str, Any]:
    """What the instance answers on its port (on loopback: every agent here is local)."""
    answer: dict[str, Any] = get(f"http://127.0.0.1:{task['ports'][0]}/")
    return answer


def serving_counts(events: Path, serving: set[int], since: float) -> Iterator[int]:
    """How many instances served after each event past ``since``, from ``serving`` at
    ``since`` and the instances' own serving/stopped lines."""
    lines = [line.split() for line in events.read_text().splitlines()]
    for kind, when, pid, *_ in sorted(lines, key=lambda fields: float(fields[1])):
        if float(when) > since:
            (serving.add if kind == "serving" else serving.discard)(int(pid))
            yield len(serving)


def free_port_range(size: int) -> tuple[int, int]:
    """A range of loopback ports nothing listens on right now, away from the 31000-32000 every
    embedded agent on this machine offers (all of them share one host)."""
    while True:
        low = random.randrange(40000, 60000, size)
        try:
            for port in range(low, low + size):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return low, low + size - 1


@pytest.fixture
def one_agent() -> Iterator[EmbeddedCluster]:
    """A cluster of one agent with ports of its own: the instances' ports never collide with
    another cluster's tasks on this host."""
    low, high = free_port_range(50)
    resources = f"cpus:2;mem:2048;disk:1024;ports:[{low}-{high}]"
    with EmbeddedCluster(agents=1, port=free_port(), resources=resources) as cluster:
        yield cluster


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    hello = f"{sys.executable} {EXAMPLE / 'hello.py'}"
    app = {
        "id": "/hello",
        "cmd": f"exec {hello} --version 1 --events {tmp_path / 'events'}",  # signals reach it
        "instances": 3,
        "cpus": 0.1,
        "mem": 32,
        "healthChecks": [
            {
                "path": "/health",
                "gracePeriodSeconds": 20,
                "intervalSeconds": 1,
                "timeoutSeconds": 5,
                "maxConsecutiveFailures": 3,
            }
        ],
        "backoffSeconds": 0.5,
    }
    path = tmp_path / "app.json"
    path.write_text(json.dumps(app))
    return path


def test_the_keeper_keeps_three_healthy_rolls_to_version_2_survives_a_restart_and_heals(
    one_agent: EmbeddedCluster, tmp_path: Path, app_file: Path
) -> None:
    state, events = tmp_path / "state", tmp_path / "events"
    keeper = Keeper(one_agent.url, app_file, state, tmp_path / "keeper.log").start()
    try:
        # three instances answer on the ports the API lists, as JSON and as Marathon's lines
        first = wait_for("3 healthy instances", lambda: keeper.healthy(version=1))
        ports = sorted(t["ports"][0] for t in first)
        assert len(set(ports)) == 3
        answers = [whoami(t) for t in first]
        assert [(a["port"], a["version"]) for a in answers] == [(t["ports"][0], "1") for t in first]
        line = get(f"{keeper.api}/v2/apps/hello/tasks", "text/plain")
        app_id, service_port, *endpoints = line.rstrip("\n").rstrip("\t").split("\t")
        assert (app_id, service_port) == ("hello", "10000")
        assert sorted(int(e.rsplit(":", 1)[1]) for e in endpoints) == ports

        # one killed is replaced
        victim = first[0]
        os.kill(whoami(victim)["pid"], signal.SIGKILL)
        replaced = wait_for(
            "the killed instance replaced",
            lambda: (
                (tasks := keeper.healthy(version=1))
                and victim["id"] not in {t["id"] for t in tasks}
                and tasks
            ),
        )
        assert len({t["id"] for t in replaced} - {t["id"] for t in first}) == 1
        assert all(whoami(t)["version"] == "1" for t in replaced)

        # a rolling restart to version 2, never fewer than three healthy
        old_pids = {whoami(t)["pid"] for t in replaced}
        new_cmd = json.loads(app_file.read_text())["cmd"].replace("--version 1", "--version 2")
        started = time.time()
        assert put(f"{keeper.api}/v2/apps/hello", {"cmd": new_cmd})["version"] == 2
        healthy_seen = []

        def rolled() -> list[dict[str, Any]] | None:
            tasks = keeper.tasks()
            healthy_seen.append(sum(t["healthy"] is True for t in tasks))
            return keeper.healthy(version=2)

        second = wait_for("all instances at version 2", rolled)
        assert min(healthy_seen) >= 3, healthy_seen
        assert all(whoami(t)["version"] == "2" for t in second)
        counts = list(serving_counts(events, set(old_pids), since=started))
        assert len(counts) >= 6 and min(counts) >= 3, counts  # 3 started, 3 stopped
        assert max(counts) > 3, "old and new instances never served side by side"
        stopped = {
            int(f[2]) for f in map(str.split, events.read_text().splitlines()) if f[0] == "stopped"
        }
        assert old_pids <= stopped

        # SIGKILLed and started again: the same instances, served the same, no duplicates
        pids = {t["id"]: whoami(t)["pid"] for t in second}
        assert keeper.signal(signal.SIGKILL) == -signal.SIGKILL
        restarted_at = time.time()
        keeper.start()
        again = wait_for("the instances found again", lambda: keeper.healthy(version=2))
        assert {t["id"]: whoami(t)["pid"] for t in again} == pids
        time.sleep(3)  # several control steps, each of which could have started a duplicate
        assert sorted(t["id"] for t in keeper.tasks()) == sorted(t["id"] for t in second)
        after = [
            f for f in map(str.split, events.read_text().splitlines()) if float(f[1]) > restarted_at
        ]
        assert after == [], after
        assert get(f"{keeper.api}/v2/apps/hello")["app"]["version"] == 2

        # an instance failing its health check is killed by it and replaced
        sickly = new_cmd.replace("--version 2", "--version 3 --unhealthy-after 3")
        assert put(f"{keeper.api}/v2/apps/hello", {"cmd": sickly})["version"] == 3
        third = wait_for("3 healthy instances at version 3", lambda: keeper.healthy(version=3))
        first_ids = {t["id"] for t in third}
        wait_for(
            "an unhealthy instance replaced",
            lambda: {t["id"] for t in keeper.tasks() if t["version"] == 3} - first_ids,
        )
        stopped_v3 = [
            f for f in map(str.split, events.read_text().splitlines()) if f[0] == "stopped"
        ]
        assert any(f[4] == "3" for f in stopped_v3), "no instance of version 3 was stopped"

        assert keeper.signal(signal.SIGTERM) == 0
    finally:
        if keeper.process is not None and keeper.process.poll() is None:
            keeper.signal(signal.SIGKILL)
        KeeperFramework(one_agent.url, state_dir=state).stop(teardown=True)
