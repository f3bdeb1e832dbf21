"""The keeper's app definitions: Marathon's JSON, its defaults, and errors that name the field."""

import re

import pytest
from appdef import AppDefinitionError, parse_app, task_spec, updated, with_service_ports

WEB = {"id": "/shop/web", "cmd": "serve --port $PORT0", "instances": 3}


def test_marathon_defaults_apply_where_a_field_is_left_out() -> None:
    app = parse_app(
        {**WEB, "healthChecks": [{"path": "/health"}], "upgradeStrategy": {}, "ports": [0, 0]}
    )
    check = app.health_checks[0]
    assert (check.protocol, check.port_index) == ("HTTP", 0)
    assert (check.grace_period_seconds, check.interval_seconds, check.timeout_seconds) == (
        300,
        60,
        20,
    )
    assert check.max_consecutive_failures == 3
    assert (app.backoff_seconds, app.backoff_factor, app.max_launch_delay_seconds) == (
        1,
        1.15,
        3600,
    )
    strategy = app.upgrade_strategy
    assert (strategy.minimum_health_capacity, strategy.maximum_over_capacity) == (1.0, 1.0)
    assert (app.cpus, app.mem, app.disk) == (1.0, 128.0, 0.0)
    assert parse_app({"id": "solo", "cmd": "x"}).ports == [0]
    assert parse_app({"id": "solo", "cmd": "x"}).instances == 1


def test_an_instance_runs_as_a_task_with_the_apps_resources_ports_checks_and_version() -> None:
    app = parse_app(
        {
            **WEB,
            "cpus": 0.5,
            "mem": 64,
            "ports": [0, 0],
            "env": {"MODE": "live"},
            "constraints": [["hostname", "UNIQUE"]],
            "healthChecks": [{"path": "/health", "portIndex": 1, "intervalSeconds": 2}],
            "labels": {"team": "shop"},
        }
    )
    spec = task_spec(app, "shop_web.7", version=4)
    assert (spec.name, spec.command, spec.cpus, spec.mem, spec.ports) == (
        "shop_web.7",
        "serve --port $PORT0",
        0.5,
        64,
        2,
    )
    assert spec.group == "shop_web" and str(spec.constraints[0]) == "hostname:UNIQUE"
    assert spec.env["MODE"] == "live" and spec.env["MARATHON_APP_VERSION"] == "4"
    assert spec.labels == {"team": "shop", "app_id": "/shop/web", "app_version": "4"}
    check = spec.health_check
    assert check is not None and (check.kind, check.port_index, check.path) == (
        "HTTP",
        1,
        "/health",
    )
    assert (check.delay_seconds, check.interval_seconds, check.grace_period_seconds) == (0, 2, 300)
    assert spec.max_retries == 0  # the keeper replaces an instance that ends


def test_a_bridged_docker_app_maps_its_ports_and_checks_the_container_port() -> None:
    app = parse_app(
        {
            "id": "api",
            "container": {
                "type": "DOCKER",
                "docker": {
                    "image": "api:2",
                    "network": "BRIDGE",
                    "portMappings": [{"containerPort": 8080, "servicePort": 9000}],
                    "parameters": [{"key": "label", "value": "team=api"}],
                },
                "volumes": [{"containerPath": "/data", "hostPath": "/srv/api", "mode": "RO"}],
            },
            "healthChecks": [{"protocol": "TCP"}],
        }
    )
    assert app.service_ports == [9000] and app.host_ports == 1
    spec = task_spec(app, "api.1", version=1)
    assert spec.command is None and spec.ports == 1
    assert spec.container is not None and spec.container.host_ports_needed() == 1
    assert spec.health_check is not None and spec.health_check.port == 8080


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "Web"}, "id"),
        ({"cmd": None}, "cmd"),
        ({"args": ["a"]}, "cmd"),  # cmd and args together
        ({"instances": -1}, "instances"),
        ({"instances": "3"}, "$.instances"),
        ({"cpus": float("nan")}, "cpus"),
        ({"ports": [80, 80]}, "ports"),
        ({"ports": [70000]}, "ports"),
        ({"healthChecks": [{"portIndex": 1}]}, "healthChecks[0].portIndex"),
        ({"healthChecks": [{"protocol": "GRPC"}]}, "$.healthChecks[0].protocol"),
        ({"healthChecks": [{"protocol": "COMMAND"}]}, "command"),
        ({"healthChecks": [{"ignoreHttp1xx": True}]}, "ignoreHttp1xx"),
        ({"healthChecks": [{}, {}]}, "healthChecks"),
        ({"constraints": [["hostname", "BOGUS"]]}, "constraints[0]"),
        ({"env": {"A B": "x"}}, "env"),
        ({"upgradeStrategy": {"minimumHealthCapacity": 1.5}}, "minimumHealthCapacity"),
        ({"backoffFactor": 0.5}, "backoffFactor"),
        ({"dependencies": []}, "dependencies"),  # not a field this keeper knows
        (
            {"container": {"docker": {"image": "i", "portMappings": [{"containerPort": 1}]}}},
            "portMappings",
        ),
    ],
)
def test_a_bad_field_is_named(changes: dict[str, object], field: str) -> None:
    with pytest.raises(AppDefinitionError, match=re.escape(field)):
        parse_app({**WEB, **changes})


def test_zero_service_ports_are_assigned_and_kept_across_versions() -> None:
    first = with_service_ports(parse_app({**WEB, "ports": [0, 10000, 0]}), None)
    assert first.ports == [10001, 10000, 10002]
    second = with_service_ports(updated(first, {"ports": [0, 0, 0, 0]}), first)
    assert second.ports == [10001, 10000, 10002, 10003]


def test_an_update_replaces_the_fields_it_gives_and_keeps_the_id() -> None:
    app = parse_app(WEB)
    new = updated(app, {"cmd": "serve --v2", "instances": 5})
    assert (new.cmd, new.instances, new.id) == ("serve --v2", 5, "/shop/web")
    with pytest.raises(AppDefinitionError, match="id: '/other' is not this app"):
        updated(app, {"id": "/other"})
    with pytest.raises(AppDefinitionError, match="a JSON object"):
        updated(app, ["cmd"])
