"""A task in a real Docker container, started by a real agent's Docker containerizer."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from frameworkkit import DockerContainer, TaskSpec, TaskState
from frameworkkit.testing.docker_cluster import DockerCluster
from frameworkkit.testing.embedded import LOOPBACK_OPENER, get_json
from frameworkkit.testing.engine import has_cgroup_v1_cpu
from frameworkkit.testing.images import base_tag
from tests.docker.support import counting, wait_until

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]


def answers(url: str) -> bytes | None:
    try:
        with LOOPBACK_OPENER.open(url, timeout=2) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


def mesos_task(master_url: str, task_id: str) -> dict[str, Any]:
    state = get_json(f"{master_url}/state", 10.0)
    for framework in state["frameworks"]:
        for task in framework["tasks"]:
            if task["id"] == task_id:
                return dict(task)
    raise AssertionError(f"{task_id} is not on {master_url}")


async def test_docker_task_serves_http_on_its_port_then_is_killed_cleanly(
    dockerised_mesos: DockerCluster, tmp_path: Path
) -> None:
    # Mesos 1.11's Docker containerizer needs a cgroup v1 cpu hierarchy; without one the agents
    # run the mesos containerizer only and this test cannot show anything: it fails, not skips
    assert has_cgroup_v1_cpu(), "no cgroup v1 cpu hierarchy: no Docker containerizer"
    cluster = dockerised_mesos
    leader = cluster.leader()
    fw = counting("docker-web")(cluster.url, state_dir=tmp_path / "state")
    web = fw.submit(
        TaskSpec(
            name="web",
            command='exec python3 -m http.server "$PORT0" --bind "$BIND"',
            ports=1,
            env={"BIND": leader.ip},
            container=DockerContainer(base_tag(), network="HOST"),
            kill_grace_seconds=2,
        )
    )
    runner = asyncio.create_task(fw.run_async("forever", timeout=540, teardown=True))
    await wait_until(lambda: web.state is TaskState.TASK_RUNNING, 180, "web running", runner)
    assert web.task_id is not None
    task = mesos_task(leader.url, web.task_id)
    first, _, last = task["resources"]["ports"].strip("[]").partition("-")  # "[31000-31000]"
    assert first == last
    container = "mesos-" + task["statuses"][-1]["container_status"]["container_id"]["value"]
    assert cluster.state(container) == "running"
    url = f"http://{leader.ip}:{first}/"
    took = await wait_until(lambda: answers(url) is not None, 60, f"{url} answers", runner)
    print(f"\n{container} answers on {url} ({took:.1f} s after TASK_RUNNING)")
    assert b"Directory listing" in (answers(url) or b"")

    fw.kill(web)
    await wait_until(lambda: web.done, 60, "web killed", runner)
    assert web.state is TaskState.TASK_KILLED
    await wait_until(lambda: cluster.state(container) == "missing", 60, "container removed")
    assert answers(url) is None
    fw.stop(teardown=True)
    await asyncio.wait_for(runner, 60)
    assert not fw.finished and not fw.failed
