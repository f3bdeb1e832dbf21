from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.containers import HealthCheck
from frameworkkit.protocol import infos, offer_constraints, resources
from tests.unit.protocol.proto_schema import ENUMS, check_message

CPUS = resources.scalar_resource("cpus", 0.5)


def valid(message: str, value: dict[str, Any]) -> dict[str, Any]:
    check_message(message, value)
    return value


# FrameworkInfo


def test_framework_info_with_every_option() -> None:
    info = valid(
        "FrameworkInfo",
        infos.framework_info(
            "root",
            "crunch",
            framework_id="f-1",
            failover_timeout=7 * 24 * 3600,
            checkpoint=True,
            roles=["batch", "ml/gpu"],
            capabilities=["MULTI_ROLE", "RESERVATION_REFINEMENT", "PARTITION_AWARE"],
            principal="crunch",
            hostname="localhost",
            webui_url="http://127.0.0.1:8080",
            labels={"team": "data"},
            offer_filters={"batch": [{"cpus": 1, "mem": 512}]},
        ),
    )
    assert info["failover_timeout"] == 604800.0
    assert info["capabilities"][0] == {"type": "MULTI_ROLE"}
    assert info["offer_filters"]["batch"] == {
        "min_allocatable_resources": {
            "quantities": [{"quantities": {"cpus": {"value": 1.0}, "mem": {"value": 512.0}}}]
        }
    }


def test_a_minimal_framework_info_leaves_mesos_defaults() -> None:
    assert valid("FrameworkInfo", infos.framework_info("root", "crunch")) == {
        "user": "root",
        "name": "crunch",
    }


def test_every_1_11_framework_capability_is_known() -> None:
    assert set(infos.FRAMEWORK_CAPABILITIES) == ENUMS["FrameworkInfo.Capability.Type"] - {"UNKNOWN"}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"user": ""}, "user"),
        ({"name": ""}, "name"),
        ({"failover_timeout": -1}, "failover_timeout"),
        ({"framework_id": ""}, "framework_id"),
        ({"roles": ["batch"]}, "MULTI_ROLE"),
        ({"roles": ["a b"], "capabilities": ["MULTI_ROLE"]}, r"roles\[0\]"),
        ({"capabilities": ["MULTIROLE"]}, r"capabilities\[0\]"),
        ({"capabilities": ["GPU_RESOURCES", "GPU_RESOURCES"]}, "capabilities"),
        ({"offer_filters": {"batch": [{}]}}, "offer_filters"),
        ({"offer_filters": {"batch": [{"cpus": -1}]}}, "offer_filters"),
        ({"webui_url": ""}, "webui_url"),
    ],
)
def test_framework_info_refuses_bad_values_naming_the_field(
    options: dict[str, Any], field: str
) -> None:
    arguments = {"user": "root", "name": "crunch", **options}
    with pytest.raises(ValueError, match=field):
        infos.framework_info(arguments.pop("user"), arguments.pop("name"), **arguments)


role_components = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="/*"), min_size=1
).filter(lambda component: component not in (".", "..") and not component.startswith("-"))


@given(st.lists(role_components, min_size=1, max_size=3).map("/".join))
def test_any_valid_role_name_is_accepted(role: str) -> None:
    info = infos.framework_info("root", "x", roles=[role], capabilities=["MULTI_ROLE"])
    assert info["roles"] == [role]


@pytest.mark.parametrize("role", ["", "/a", "a/", "a//b", "a/./b", "..", "-a", "a/*", "a\tb"])
def test_invalid_role_names_are_refused(role: str) -> None:
    with pytest.raises(ValueError, match="roles"):
        infos.framework_info("root", "x", roles=[role], capabilities=["MULTI_ROLE"])


# Labels, Environment, CommandInfo


def test_labels_from_a_mapping_or_pairs() -> None:
    assert valid("Labels", infos.labels({"a": "1", "b": None})) == {
        "labels": [{"key": "a", "value": "1"}, {"key": "b"}]
    }
    assert infos.labels([("a", "1"), ("a", "2")])["labels"][1] == {"key": "a", "value": "2"}
    with pytest.raises(TypeError, match=r"items\[0\]"):
        infos.labels(["a"])  # type: ignore[list-item]


def test_environment() -> None:
    assert valid("Environment", infos.environment({"PORT": "31000"})) == {
        "variables": [{"name": "PORT", "type": "VALUE", "value": "31000"}]
    }
    with pytest.raises(TypeError, match="variables"):
        infos.environment({"PORT": 31000})  # type: ignore[dict-item]


def test_a_shell_command() -> None:
    command = valid(
        "CommandInfo",
        infos.command_info(
            "python crunch.py 7",
            uris=["http://127.0.0.1/data.tgz", infos.command_uri("http://127.0.0.1/x", cache=True)],
            environment={"A": "1"},
            user="nobody",
        ),
    )
    assert command["value"] == "python crunch.py 7"
    assert "shell" not in command  # Mesos default: true
    assert command["uris"] == [
        {"value": "http://127.0.0.1/data.tgz"},
        {"value": "http://127.0.0.1/x", "cache": True},
    ]


def test_a_command_run_without_a_shell_gets_argv() -> None:
    command = valid("CommandInfo", infos.command_info("/bin/echo", shell=False))
    assert command == {"value": "/bin/echo", "shell": False, "arguments": ["/bin/echo"]}
    explicit = infos.command_info("/bin/echo", shell=False, arguments=["echo", "hi"])
    assert explicit["arguments"] == ["echo", "hi"]


def test_a_container_entrypoint_command_has_no_value() -> None:
    command = valid("CommandInfo", infos.command_info(None, shell=False, arguments=["--port=1"]))
    assert command == {"shell": False, "arguments": ["--port=1"]}


def test_command_info_checks() -> None:
    with pytest.raises(ValueError, match="value"):
        infos.command_info("")
    with pytest.raises(ValueError, match="value: is required"):
        infos.command_info(None)
    with pytest.raises(ValueError, match="arguments"):
        infos.command_info("echo", arguments=["x"])
    with pytest.raises(TypeError, match="arguments"):
        infos.command_info("/bin/echo", shell=False, arguments="hi")


# HealthCheck (the model lives in frameworkkit.containers), KillPolicy


def test_the_health_check_model_renders_what_mesos_accepts() -> None:
    command_check = valid(
        "HealthCheck", HealthCheck.command("curl -f 127.0.0.1:8080").to_health_check()
    )
    assert command_check["type"] == "COMMAND"
    assert command_check["command"]["value"] == "curl -f 127.0.0.1:8080"
    http = HealthCheck.http(8080, path="/health", interval_seconds=5, consecutive_failures=2)
    http_check = valid("HealthCheck", http.to_health_check())
    assert http_check["http"] == {"port": 8080, "path": "/health", "scheme": "http"}
    assert http_check["interval_seconds"] == 5.0
    tcp_check = valid("HealthCheck", HealthCheck.tcp(5432, timeout_seconds=1).to_health_check())
    assert tcp_check["tcp"] == {"port": 5432} and tcp_check["timeout_seconds"] == 1.0


@given(st.floats(0, 3600, allow_nan=False))
def test_kill_policy_grace_period_in_nanoseconds(seconds: float) -> None:
    policy = valid("KillPolicy", infos.kill_policy(seconds))
    assert abs(policy["grace_period"]["nanoseconds"] - seconds * 1e9) <= 1


def test_kill_policy_refuses_a_negative_or_endless_grace_period() -> None:
    with pytest.raises(ValueError, match="grace_period_seconds"):
        infos.kill_policy(-1)
    with pytest.raises(ValueError, match="grace_period_seconds"):
        infos.kill_policy(1e10)


# ExecutorInfo, TaskInfo


def test_a_custom_executor_needs_a_command() -> None:
    executor = valid(
        "ExecutorInfo",
        infos.executor_info(
            "e-1",
            command=infos.command_info("python -m frameworkkit.executor"),
            framework_id="f-1",
            name="crunch executor",
            resources=[CPUS],
            data=b"\x00config",
            labels={"a": "b"},
            shutdown_grace_period_seconds=10,
        ),
    )
    assert base64.b64decode(executor["data"]) == b"\x00config"
    assert executor["shutdown_grace_period"] == {"nanoseconds": 10_000_000_000}
    with pytest.raises(ValueError, match="command"):
        infos.executor_info("e-1")
    with pytest.raises(ValueError, match="executor_type"):
        infos.executor_info("e-1", executor_type="OTHER")  # type: ignore[arg-type]


def test_the_default_executor_takes_no_command() -> None:
    executor = valid("ExecutorInfo", infos.executor_info("e-1", executor_type="DEFAULT"))
    assert executor == {"executor_id": {"value": "e-1"}, "type": "DEFAULT"}
    with pytest.raises(ValueError, match="command"):
        infos.executor_info("e-1", executor_type="DEFAULT", command=infos.command_info("x"))


def test_task_info_with_every_option() -> None:
    task = valid(
        "TaskInfo",
        infos.task_info(
            "part-7",
            "part-7.1",
            "agent-1",
            [CPUS, resources.ranges_resource("ports", [(31000, 31000)])],
            command=infos.command_info("python crunch.py 7"),
            container={"type": "MESOS"},
            health_check=HealthCheck.tcp(31000).to_health_check(),
            kill_policy=infos.kill_policy(3),
            data=b"abc",
            labels=[("k", "v")],
            discovery={"visibility": "FRAMEWORK"},
            max_completion_time_seconds=60,
            limits={"cpus": 2, "mem": 1024},
        ),
    )
    assert task["max_completion_time"] == {"nanoseconds": 60_000_000_000}
    assert task["limits"] == {"cpus": {"value": 2.0}, "mem": {"value": 1024.0}}


@pytest.mark.parametrize(
    ("arguments", "options", "field"),
    [
        (("", "t", "a", [CPUS]), {}, "name"),
        (("n", "", "a", [CPUS]), {}, "task_id"),
        (("n", "t", "", [CPUS]), {}, "agent_id"),
        (("n", "t", "a", []), {}, "resources: must not be empty"),
        (("n", "t", "a", [{"name": "cpus", "type": "SCALAR"}]), {}, "needs 'scalar'"),
        (("n", "t", "a", [{"type": "SCALAR", "scalar": {"value": 1}}]), {}, r"resources\[0\].name"),
        (("n", "t", "a", [{"name": "x", "type": "TEXT"}]), {}, r"resources\[0\].type"),
        (
            ("n", "t", "a", [CPUS]),
            {"command": {"value": "x"}, "executor": {"executor_id": {"value": "e"}}},
            "not both",
        ),
        (("n", "t", "a", [CPUS]), {"limits": {"cpus": -1}}, "limits"),
        (("n", "t", "a", [CPUS]), {"max_completion_time_seconds": -1}, "max_completion_time"),
    ],
)
def test_task_info_refuses_bad_values(
    arguments: tuple[Any, ...], options: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        infos.task_info(*arguments, **options)


def test_task_info_type_errors_name_the_field() -> None:
    with pytest.raises(TypeError, match="data"):
        infos.task_info("n", "t", "a", [CPUS], data="text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="command"):
        infos.task_info("n", "t", "a", [CPUS], command="echo")  # type: ignore[arg-type]


# Resources


def test_resource_builders() -> None:
    reservation = valid(
        "Resource.ReservationInfo",
        resources.reservation("batch", principal="ops", labels={"owner": "etl"}),
    )
    assert reservation["type"] == "DYNAMIC"
    scalar = valid(
        "Resource",
        resources.scalar_resource("mem", 512, allocation_role="batch", reservations=[reservation]),
    )
    assert scalar == {
        "name": "mem",
        "type": "SCALAR",
        "scalar": {"value": 512.0},
        "reservations": [reservation],
        "allocation_info": {"role": "batch"},
    }
    ports = valid("Resource", resources.ranges_resource("ports", [(31000, 31005), (31010, 31010)]))
    assert ports["ranges"] == {
        "range": [{"begin": 31000, "end": 31005}, {"begin": 31010, "end": 31010}]
    }
    devices = valid("Resource", resources.set_resource("gpus", ["gpu0", "gpu1"]))
    assert devices["set"] == {"item": ["gpu0", "gpu1"]}
    volume = resources.persistent_volume_disk("pg", "data", read_only=True)
    assert volume == {
        "persistence": {"id": "pg"},
        "volume": {"mode": "RO", "container_path": "data"},
    }


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: resources.scalar_resource("", 1), "name"),
        (lambda: resources.scalar_resource("cpus", -1), "value"),
        (lambda: resources.ranges_resource("ports", [(5, 4)]), r"ranges\[0\].end"),
        (lambda: resources.ranges_resource("ports", []), "ranges: must not be empty"),
        (lambda: resources.set_resource("gpus", []), "items: must not be empty"),
        (lambda: resources.reservation("batch", reservation_type="X"), "reservation_type"),  # type: ignore[arg-type]
        (lambda: resources.scalar_resource("cpus", 1, allocation_role=""), "allocation_role"),
        (lambda: resources.persistent_volume_disk("a/b", "data"), "persistence_id"),
    ],
)
def test_resource_builders_refuse_bad_values(build: Any, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        build()


# Offer constraints


def test_attribute_constraint_predicates() -> None:
    def predicate(**options: Any) -> dict[str, Any]:
        constraint = offer_constraints.attribute_constraint(attribute="rack", **options)
        check_message("scheduler.AttributeConstraint", constraint)
        return constraint["predicate"]  # type: ignore[no-any-return]

    assert predicate(exists=True) == {"exists": {}}
    assert predicate(exists=False) == {"not_exists": {}}
    assert predicate(equals="r1") == {"text_equals": {"value": "r1"}}
    assert predicate(not_equals="r1") == {"text_not_equals": {"value": "r1"}}
    assert predicate(matches="r[0-9]") == {"text_matches": {"regex": "r[0-9]"}}
    assert predicate(not_matches="r[0-9]") == {"text_not_matches": {"regex": "r[0-9]"}}
    hostname = offer_constraints.attribute_constraint(pseudoattribute="HOSTNAME", equals="h")
    assert hostname["selector"] == {"pseudoattribute_type": "HOSTNAME"}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"exists": True}, "attribute, pseudoattribute"),
        ({"attribute": "a", "pseudoattribute": "ZONE", "exists": True}, "attribute, pseudo"),
        ({"attribute": "a"}, "exactly one of exists"),
        ({"attribute": "a", "equals": "x", "matches": "y"}, "exactly one of exists"),
        ({"pseudoattribute": "RACK", "exists": True}, "pseudoattribute"),
        ({"attribute": "", "exists": True}, "attribute"),
    ],
)
def test_attribute_constraint_refuses_bad_values(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        offer_constraints.attribute_constraint(**options)


def test_offer_constraints_need_constraints_in_each_group() -> None:
    valid(
        "scheduler.OfferConstraints",
        offer_constraints.offer_constraints(
            {"batch": [[offer_constraints.attribute_constraint(attribute="a", exists=True)]]}
        ),
    )
    with pytest.raises(ValueError, match=r"role_groups\['batch'\]\[0\]: must not be empty"):
        offer_constraints.offer_constraints({"batch": [[]]})
    with pytest.raises(ValueError, match="role_groups key"):
        offer_constraints.offer_constraints({"/bad": []})


@pytest.mark.parametrize("task_id", ["a/b", "a\\b", "tab\there", "nul\x00", "del\x7f", ".", ".."])
def test_a_task_id_mesos_would_refuse_is_refused_naming_the_field(task_id: str) -> None:
    with pytest.raises(ValueError, match="task_id"):
        infos.task_info("name", task_id, "agent-1", [CPUS], command=infos.command_info("true"))


@pytest.mark.parametrize("task_id", ["web-1.2_x", "tâche-é", "a\u2028b", "x" * 255])
def test_a_task_id_mesos_takes_is_kept(task_id: str) -> None:
    info = infos.task_info("name", task_id, "agent-1", [CPUS], command=infos.command_info("true"))
    assert info["task_id"] == {"value": task_id}
