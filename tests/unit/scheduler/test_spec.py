"""TaskSpec validates at construction and names the field that is wrong."""

import msgspec
import pytest

from frameworkkit.containers import DockerContainer, HealthCheck, PortMapping
from frameworkkit.scheduler import TaskSpec, TaskSpecError
from frameworkkit.scheduler.launch import task_info


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cpus": -1}, "cpus"),
        ({"mem": float("nan")}, "mem"),
        ({"cpus": 0, "mem": 0}, "cpus"),
        ({"gpus": 1.5}, "gpus"),
        ({"resources": {"bogus resource": 1}}, "resources"),
        ({"resources": {"cpus": 1}}, "resources"),
        ({"resources": {"fpgas": -2}}, "resources['fpgas']"),
        ({"constraints": [["hostname", "UNIQ"]]}, "constraints[0]"),
        ({"constraints": [["hostname"]]}, "constraints[0]"),
        ({"ports": -1}, "ports"),
        ({"ports": ["http", "http"]}, "ports"),
        ({"ports": ["Bad Name"]}, "ports"),
        ({"env": {"1X": "y"}}, "env"),
        ({"command": ""}, "command"),
        ({"command": []}, "command"),
        ({"max_retries": -1}, "max_retries"),
        ({"kill_grace_seconds": -0.5}, "kill_grace_seconds"),
        ({"name": "-x"}, "name"),
        ({"role": "a/.b c"}, "role"),
    ],
)
def test_invalid_fields_are_named(fields: dict[str, object], field: str) -> None:
    with pytest.raises(TaskSpecError) as error:
        TaskSpec(**{"name": "t", "command": "true", **fields})  # type: ignore[arg-type]
    assert error.value.field == field
    assert f"TaskSpec.{field}:" in str(error.value)


class Unique:
    def to_marathon(self) -> list[str]:
        return ["hostname", "UNIQUE"]


def test_builder_objects_become_plain_and_round_trip() -> None:
    spec = TaskSpec(
        name="web",
        command=["python3", "-m", "http.server"],
        ports=["http"],
        constraints=[Unique(), ["rack", "GROUP_BY", "2"]],  # type: ignore[list-item]
        data=b"\x00\x01",
    )
    assert spec.constraints == [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "2"]]
    again = msgspec.json.decode(msgspec.json.encode(spec), type=TaskSpec)
    assert again == spec
    assert spec.port_names == ["http"]
    assert TaskSpec(name="n", command="x", ports=2).port_names == ["port0", "port1"]


def test_container_ports_and_health_check_port_must_be_asked_for() -> None:
    bridge = DockerContainer(
        "web:1", network="BRIDGE", port_mappings=[PortMapping(None, 80), PortMapping(None, 443)]
    )
    with pytest.raises(TaskSpecError) as error:
        TaskSpec(name="w", command="serve", container=bridge, ports=1)
    assert error.value.field == "ports"
    with pytest.raises(TaskSpecError) as error:
        TaskSpec(name="w", command="serve", health_check=HealthCheck.tcp(port_index=0))
    assert error.value.field == "health_check"
    with pytest.raises(TaskSpecError) as error:
        TaskSpec(name="w", command="serve", container={"type": "DOCKER"})  # type: ignore[arg-type]
    assert error.value.field == "container"


def test_task_info_fills_host_ports_env_and_health_check_port() -> None:
    bridge = DockerContainer("web:1", network="BRIDGE", port_mappings=[PortMapping(None, 80)])
    spec = TaskSpec(
        name="w",
        command="serve",
        ports=["http", "admin"],
        container=bridge,
        health_check=HealthCheck.http(port_index=1, path="/ok"),
        kill_grace_seconds=2,
        env={"MODE": "x"},
    )
    info = task_info(
        spec,
        "w.1.1",
        "agent-7",
        [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}],
        [31005, 31006],
    )
    env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
    assert env["PORT_HTTP"] == "31005" and env["PORT_ADMIN"] == "31006"
    assert env["PORTS"] == "31005,31006" and env["MODE"] == "x"
    assert info["container"]["docker"]["port_mappings"][0] == {
        "host_port": 31005,
        "container_port": 80,
        "protocol": "tcp",
    }
    assert info["health_check"]["http"]["port"] == 31006
    assert info["kill_policy"] == {"grace_period": {"nanoseconds": 2_000_000_000}}
    assert info["task_id"] == {"value": "w.1.1"} and info["agent_id"] == {"value": "agent-7"}
    round_trip = msgspec.json.decode(msgspec.json.encode(spec), type=TaskSpec)
    assert round_trip == spec
