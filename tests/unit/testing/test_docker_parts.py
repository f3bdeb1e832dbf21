"""The dockerised cluster's pieces that run without an engine: spec, compose file, the harness
``mesos-docker-executor``'s command line, the cgroup check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from frameworkkit.testing.compose import LABEL, ClusterSpec, compose_document, write_compose
from frameworkkit.testing.engine import has_cgroup_v1_cpu
from frameworkkit.testing.harness.docker_executor import docker_run_argv, parse_flags
from frameworkkit.testing.images import _requirements


def spec(tmp_path: Path, **changes: Any) -> ClusterSpec:
    return ClusterSpec(**{"name": "ha", "work_dir": tmp_path, **changes})


def test_agents_are_shared_out_among_the_masters(tmp_path: Path) -> None:
    masters = spec(tmp_path, masters=3, agents=31).master_specs()
    assert [(m.service, m.container, m.address, m.agents) for m in masters] == [
        ("master-1", "ha-master-1", "127.0.0.2:5050", 11),
        ("master-2", "ha-master-2", "127.0.0.3:5050", 10),
        ("master-3", "ha-master-3", "127.0.0.4:5050", 10),
    ]
    assert spec(tmp_path).url == "zk://127.0.0.1:2181/mesos"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "Has Space"}, "name"),
        ({"masters": 0}, "masters"),
        ({"masters": 3, "agents": 2}, "agents"),
        ({"zk_ip": "0.0.0.0"}, "zk_ip"),
        ({"masters": 2, "master_ips": ("127.0.0.2", "0.0.0.0")}, "master_ips"),
        ({"masters": 2, "master_ips": ("127.0.0.2", "127.0.0.2")}, "master_ips"),
        ({"zk_port": 70000}, "zk_port"),
        ({"zk_path": "mesos"}, "zk_path"),
        ({"session_timeout": 1.0}, "session_timeout"),
    ],
)
def test_a_bad_spec_names_the_field(tmp_path: Path, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        spec(tmp_path, **changes)


def test_a_spec_survives_its_json_form(tmp_path: Path) -> None:
    original = spec(tmp_path, masters=2, agents=4, zk_port=3000, session_timeout=6.0)
    assert ClusterSpec.from_json(json.loads(json.dumps(original.to_json()))) == original


def test_every_container_is_on_the_host_network_with_loopback_addresses(tmp_path: Path) -> None:
    document = compose_document(
        spec(tmp_path), "frameworkkit-node:x", docker_client="/usr/bin/docker"
    )
    services = document["services"]
    assert sorted(services) == ["master-1", "master-2", "master-3", "zookeeper"]
    for service in services.values():
        assert service["network_mode"] == "host"
        assert "ports" not in service and "networks" not in service
        assert service["init"] is True
        assert service["labels"] == {LABEL: "ha"}
        assert service["image"] == "frameworkkit-node:x"
    assert "networks" not in document
    master = services["master-2"]
    command = master["command"]
    assert command[:3] == ["python3", "-m", "frameworkkit.testing.master_node"]
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags["--ip"] == "127.0.0.3"
    assert flags["--zk"] == "127.0.0.1:2181"
    assert flags["--work-dir"] == str(tmp_path / "master-2")
    assert f"{tmp_path}:{tmp_path}" in master["volumes"]  # sandboxes at the same path
    assert "/var/run/docker.sock:/var/run/docker.sock" in master["volumes"]


def test_the_compose_file_is_written_into_the_work_dir(tmp_path: Path) -> None:
    path = write_compose(spec(tmp_path / "cluster"), "img", docker_client="/usr/bin/docker")
    assert path == tmp_path / "cluster" / "docker-compose.yml"
    assert json.loads(path.read_text())["version"] == "2.4"


FLAGS = parse_flags(
    [
        "--container=mesos-abc",
        "--docker=/usr/bin/docker",
        "--sandbox_directory=/work/sandbox",
        "--mapped_directory=/mnt/mesos/sandbox",
        '--task_environment={"FROM_AGENT": "1"}',
        "--help=false",  # the agent passes every flag it has; unknown ones are ignored
        "--launcher_dir=/launcher",
    ]
)


def task(container: dict[str, Any], command: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "web",
        "task_id": {"value": "web.1"},
        "agent_id": {"value": "S1"},
        "container": container,
        "command": command,
    }


DOCKER: dict[str, Any] = {"type": "DOCKER", "docker": {"image": "base:1", "network": "HOST"}}


def test_a_shell_command_runs_in_sh_with_the_sandbox_and_environment() -> None:
    command = {
        "shell": True,
        "value": "exec serve $PORT0",
        "environment": {"variables": [{"name": "PORT0", "value": "31000"}]},
    }
    argv = docker_run_argv(task(DOCKER, command), FLAGS)
    assert argv[:5] == ["/usr/bin/docker", "run", "--rm", "--name", "mesos-abc"]
    assert argv[5:9] == ["--net", "host", "-v", "/work/sandbox:/mnt/mesos/sandbox"]
    assert argv[-5:] == ["--entrypoint", "/bin/sh", "base:1", "-c", "exec serve $PORT0"]
    env = [argv[i + 1] for i, word in enumerate(argv) if word == "-e"]
    assert env == [
        "FROM_AGENT=1",
        "MESOS_CONTAINER_NAME=mesos-abc",
        "MESOS_SANDBOX=/mnt/mesos/sandbox",
        "PORT0=31000",
    ]


def test_a_command_without_shell_follows_the_image_entrypoint_as_mesos_does() -> None:
    command = {"shell": False, "value": "python3", "arguments": ["-m", "http.server"]}
    container = {
        **DOCKER,
        "docker": {
            **DOCKER["docker"],
            "network": "NONE",
            "parameters": [{"key": "label", "value": "a=b"}],
        },
        "volumes": [{"container_path": "data", "host_path": "cache", "mode": "RO"}],
    }
    argv = docker_run_argv(task(container, command), FLAGS)
    assert argv[-4:] == ["base:1", "python3", "-m", "http.server"]
    assert "--entrypoint" not in argv
    assert argv[5:7] == ["--net", "none"]
    assert "/work/sandbox/cache:/mnt/mesos/sandbox/data:ro" in argv
    assert "--label=a=b" in argv


@pytest.mark.parametrize(
    ("container", "problem"),
    [
        ({"type": "DOCKER", "docker": {"image": "x", "network": "BRIDGE"}}, "network BRIDGE"),
        ({"type": "MESOS", "mesos": {}}, "no DOCKER container"),
    ],
)
def test_what_the_stand_in_cannot_run_is_refused(container: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        docker_run_argv(task(container, {"shell": True, "value": "true"}), FLAGS)


def test_the_cgroup_v1_cpu_hierarchy_is_recognised(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n"
        "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
    )
    assert has_cgroup_v1_cpu(mounts)
    mounts.write_text("cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n")
    assert not has_cgroup_v1_cpu(mounts)
    mounts.write_text("cgroup /sys/fs/cgroup/cpuacct cgroup rw,cpuacct 0 0\n")
    assert not has_cgroup_v1_cpu(mounts)


def test_the_image_gets_the_installed_versions_of_the_runtime_dependencies() -> None:
    pinned = _requirements()
    names = {requirement.split("==")[0].lower() for requirement in pinned}
    assert {"msgspec", "kazoo"} <= names
    assert not names & {"pytest", "mypy", "mkdocs"}  # extras stay out
    assert all("==" in requirement for requirement in pinned)
