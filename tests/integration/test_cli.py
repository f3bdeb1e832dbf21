"""`frameworkkit cluster up|status|down` from a shell, as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

from frameworkkit.cli import record_path
from frameworkkit.testing import free_port
from frameworkkit.testing.processes import alive
from tests.integration.streams import processes_using, subscribe_until_offers


def frameworkkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frameworkkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_cluster_up_status_down_with_100_agents() -> None:
    port = free_port()
    up = frameworkkit("cluster", "up", "--agents", "100", "--port", str(port))
    assert up.returncode == 0, up.stderr
    url = up.stdout.strip()
    assert url == f"http://127.0.0.1:{port}"
    try:
        status = frameworkkit("cluster", "status", "--port", str(port), "--json")
        assert status.returncode == 0, status.stderr
        summary = json.loads(status.stdout)
        assert summary["version"] == "1.11.0"
        assert summary["agents"] == {"active": 100, "total": 100}
        assert summary["resources"]["total"]["cpus"] == 200.0

        events = subscribe_until_offers(url, name="cli-check")
        assert b'"type":"SUBSCRIBED"' in events[0]

        again = frameworkkit("cluster", "up", "--agents", "100", "--port", str(port))
        assert again.returncode == 0 and "already running" in again.stderr
        record = json.loads(record_path(port).read_text())
        pid = int(record["pid"])
        assert alive(pid)
    finally:
        down = frameworkkit("cluster", "down", "--port", str(port))
    assert down.returncode == 0, down.stderr
    assert not alive(pid)
    assert processes_using(Path(record["work_dir"])) == []
    assert not Path(record["work_dir"]).exists()
    assert frameworkkit("cluster", "status", "--port", str(port)).returncode != 0


def test_a_failed_install_names_the_step(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FRAMEWORKKIT_HOME": str(tmp_path),  # an empty home: the runtime must be installed
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",  # nothing listens: "no network"
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "2",
    }
    result = frameworkkit("cluster", "up", "--port", str(free_port()), "-q", env=env)
    assert result.returncode == 1
    assert "failed at step 'mesos bdists'" in result.stderr
    assert "Traceback" not in result.stderr
