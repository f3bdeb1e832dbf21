"""`frameworkkit cluster up --docker|status|down` from a shell, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from frameworkkit.cli import docker_record_path
from frameworkkit.testing import free_port
from frameworkkit.testing.compose import LABEL
from frameworkkit.testing.engine import docker

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def frameworkkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frameworkkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_cluster_up_docker_status_down_with_3_masters_and_30_agents() -> None:
    name = f"frameworkkit-cli-{os.getpid()}"
    zk_port, port = free_port(), free_port("127.0.0.2")
    started = time.monotonic()
    up = frameworkkit(
        "cluster", "up", "--docker", "--masters", "3", "--agents", "30",
        "--name", name, "--zk-port", str(zk_port), "--port", str(port), "-q",
    )  # fmt: skip
    took = time.monotonic() - started
    try:
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == f"zk://127.0.0.1:{zk_port}/mesos"
        print(f"\ncluster up --docker: ready in {took:.1f} s (images built only where missing)")

        status = frameworkkit("cluster", "status", "--name", name, "--json")
        assert status.returncode == 0, status.stderr
        summary = json.loads(status.stdout)
        masters = summary["masters"]
        assert [m["address"] for m in masters] == [f"127.0.0.{i}:{port}" for i in (2, 3, 4)]
        assert [m["container"] for m in masters] == [f"{name}-master-{i}" for i in (1, 2, 3)]
        assert sum(m["leading"] for m in masters) == 1
        assert all(m["state"] == "running" and m["agents_active"] == 10 for m in masters)
        assert len(summary["agents"]) == 30 and all(a["active"] for a in summary["agents"])
        assert summary["zookeeper"]["state"] == "running"

        again = frameworkkit("cluster", "up", "--docker", "--name", name, "--masters", "3")
        assert again.returncode == 0 and "already running" in again.stderr
    finally:
        down = frameworkkit("cluster", "down", "--name", name)
    assert down.returncode == 0, down.stderr
    assert docker("ps", "-aq", "--filter", f"label={LABEL}={name}").split() == []
    assert not docker_record_path(name).exists()
    assert frameworkkit("cluster", "status", "--name", name).returncode != 0
