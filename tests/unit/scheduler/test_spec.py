"""TaskSpec validates at construction and names the field that is wrong."""

import msgspec
import pytest

from frameworkkit.containers import DockerContainer, HealthCheck, PortMapping
from frameworkkit.placement import Constraint
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
        ({"role": "-ops"}, "role"),
        ({"role": "ops//batch"}, "role"),
        ({"role": "ops/*"}, "role"),
        ({"role": ""}, "role"),
        ({"constraints": [["hostname", "MAX_PER", "x"]]}, "constraints[0]"),
        ({"constraints": [["hostname", "UNIQUE"], ["rack", "LIKE", "("]]}, "constraints[1]"),
        ({"constraints": [["@bogus", "UNIQUE"]]}, "constraints[0]"),
        ({"constraints": [["hostname", "UNIQUE", "1"]]}, "constraints[0]"),
        ({"constraints": [["rack", "GROUP_BY", "-1"]]}, "constraints[0]"),
        ({"constraints": [["rack", "IS"]]}, "constraints[0]"),
        ({"constraints": "hostname:UNIQUE"}, "constraints"),
        ({"cpus": True}, "cpus"),
        ({"mem": "512"}, "mem"),
        ({"gpus": -1}, "gpus"),
        ({"disk": float("inf")}, "disk"),
        ({"ports": 101}, "ports"),
        ({"ports": [0]}, "ports"),
        ({"ports": [70000]}, "ports"),
        ({"ports": [8080, 8080]}, "ports"),
        ({"ports": [True]}, "ports"),
        ({"ports": True}, "ports"),
        ({"group": "a b"}, "group"),
        ({"max_relaunches": -1}, "max_relaunches"),
        ({"retry_backoff_seconds": -1}, "retry_backoff_seconds"),
        ({"data": "text"}, "data"),
    ],
)
def test_invalid_fields_are_named(fields: dict[str, object], field: str) -> None:
    with pytest.raises(TaskSpecError) as error:
        TaskSpec(**{"name": "t", "command": "true", **fields})  # type: ignore[arg-type]
    assert error.value.field == field
    assert f"TaskSpec.{field}:" in str(error.value)


def test_both_constraint_forms_are_parsed_once_and_round_trip_through_a_store() -> None:
    spec = TaskSpec(
        name="web",
        command=["python3", "-m", "http.server"],
        ports=["http"],
        constraints=[Constraint("hostname", "UNIQUE"), ["rack", "LIKE", "r[0-9]+"]],
        data=b"\x00\x01",
    )
    assert spec.constraints == (
        Constraint("hostname", "UNIQUE"),
        Constraint("rack", "LIKE", "r[0-9]+"),
    )
    stored = msgspec.json.decode(msgspec.json.encode(spec.to_builtins()))
    again = TaskSpec.from_builtins(stored)
    assert again == spec
    assert again.constraints[1].accepts_value("r12")
    assert spec.port_names == ["http"]
    assert TaskSpec(name="n", command="x", ports=2).port_names == ["port0", "port1"]


def test_ungrouped_tasks_count_with_those_of_the_same_constraints_only() -> None:
    unique = [
        TaskSpec(name=f"u{i}", command="x", constraints=[["hostname", "UNIQUE"]]) for i in range(2)
    ]
    plain = TaskSpec(name="p", command="x")
    grouped = TaskSpec(name="g", command="x", group="web", constraints=[["hostname", "UNIQUE"]])
    assert unique[0].counting_group == unique[1].counting_group
    assert plain.counting_group != unique[0].counting_group
    assert grouped.counting_group == "web"


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
    assert TaskSpec.from_builtins(spec.to_builtins()) == spec


def test_a_fixed_port_is_asked_of_the_offer_and_exported_by_position() -> None:
    spec = TaskSpec(name="slot", command="serve", ports=["http", 31007])
    assert spec.port_names == ["http", 31007]
    assert TaskSpec.from_builtins(spec.to_builtins()) == spec
    cpus = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}}]
    info = task_info(spec, "slot.1", "agent-7", cpus, [31000, 31007])
    env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
    assert env["PORT_HTTP"] == "31000" and env["PORT1"] == "31007"
    assert "PORT_31007" not in env
