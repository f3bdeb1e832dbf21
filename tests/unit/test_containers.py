"""Container, health check and kill policy builders: checks, Mesos 1.11 JSON, persistence."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any, get_args

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frameworkkit.containers import (
    Container,
    DockerContainer,
    DockerNetwork,
    HealthCheck,
    MesosContainer,
    PortMapping,
    PortProtocol,
    Volume,
    VolumeMode,
)

# ---------------------------------------------------------------------------------------------
# The parts of Mesos 1.11's v1 mesos.proto these builders render: for each message, every field
# as (label, type); a type is a scalar name, "enum:<name>" or another message. The JSON form
# uses the proto field names and enum value names.

ENUMS: dict[str, set[str]] = {
    "ContainerInfo.Type": {"DOCKER", "MESOS"},
    "DockerInfo.Network": {"HOST", "BRIDGE", "NONE", "USER"},
    "Volume.Mode": {"RW", "RO"},
    "Image.Type": {"APPC", "DOCKER"},
    "HealthCheck.Type": {"UNKNOWN", "COMMAND", "HTTP", "TCP"},
    "NetworkInfo.Protocol": {"IPv4", "IPv6"},
}

MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "ContainerInfo": {
        "type": ("required", "enum:ContainerInfo.Type"),
        "volumes": ("repeated", "Volume"),
        "hostname": ("optional", "string"),
        "docker": ("optional", "DockerInfo"),
        "mesos": ("optional", "MesosInfo"),
        "network_infos": ("repeated", "NetworkInfo"),
        "linux_info": ("optional", "opaque"),
        "rlimit_info": ("optional", "opaque"),
        "tty_info": ("optional", "opaque"),
    },
    "DockerInfo": {
        "image": ("required", "string"),
        "network": ("optional", "enum:DockerInfo.Network"),
        "port_mappings": ("repeated", "DockerInfo.PortMapping"),
        "privileged": ("optional", "bool"),
        "parameters": ("repeated", "Parameter"),
        "force_pull_image": ("optional", "bool"),
        "volume_driver": ("optional", "string"),
    },
    "DockerInfo.PortMapping": {
        "host_port": ("required", "uint32"),
        "container_port": ("required", "uint32"),
        "protocol": ("optional", "string"),
    },
    "Parameter": {"key": ("required", "string"), "value": ("required", "string")},
    "MesosInfo": {"image": ("optional", "Image")},
    "Image": {
        "type": ("required", "enum:Image.Type"),
        "appc": ("optional", "opaque"),
        "docker": ("optional", "Image.Docker"),
        "cached": ("optional", "bool"),
    },
    "Image.Docker": {
        "name": ("required", "string"),
        "credential": ("optional", "opaque"),
        "config": ("optional", "opaque"),
    },
    "Volume": {
        "mode": ("required", "enum:Volume.Mode"),
        "container_path": ("required", "string"),
        "host_path": ("optional", "string"),
        "image": ("optional", "Image"),
        "source": ("optional", "opaque"),
    },
    "NetworkInfo": {
        "ip_addresses": ("repeated", "opaque"),
        "name": ("optional", "string"),
        "groups": ("repeated", "string"),
        "labels": ("optional", "opaque"),
        "port_mappings": ("repeated", "opaque"),
    },
    "HealthCheck": {
        "delay_seconds": ("optional", "double"),
        "interval_seconds": ("optional", "double"),
        "timeout_seconds": ("optional", "double"),
        "consecutive_failures": ("optional", "uint32"),
        "grace_period_seconds": ("optional", "double"),
        "type": ("optional", "enum:HealthCheck.Type"),
        "command": ("optional", "CommandInfo"),
        "http": ("optional", "HealthCheck.HTTPCheckInfo"),
        "tcp": ("optional", "HealthCheck.TCPCheckInfo"),
    },
    "HealthCheck.HTTPCheckInfo": {
        "protocol": ("optional", "enum:NetworkInfo.Protocol"),
        "scheme": ("optional", "string"),
        "port": ("required", "uint32"),
        "path": ("optional", "string"),
        "statuses": ("repeated", "uint32"),
    },
    "HealthCheck.TCPCheckInfo": {
        "protocol": ("optional", "enum:NetworkInfo.Protocol"),
        "port": ("required", "uint32"),
    },
    "CommandInfo": {
        "uris": ("repeated", "opaque"),
        "environment": ("optional", "opaque"),
        "shell": ("optional", "bool"),
        "value": ("optional", "string"),
        "arguments": ("repeated", "string"),
        "user": ("optional", "string"),
    },
    "KillPolicy": {"grace_period": ("optional", "DurationInfo")},
    "DurationInfo": {"nanoseconds": ("required", "int64")},
}


def scalar_fits(kind: str, value: object) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "double":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("uint32", "int64"):
        low, high = (0, 2**32 - 1) if kind == "uint32" else (-(2**63), 2**63 - 1)
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind.startswith("enum:"):
        return value in ENUMS[kind.removeprefix("enum:")]
    raise AssertionError(f"unknown scalar kind {kind}")


def assert_conforms(message: str, value: object, where: str = "$") -> None:
    """Fail unless `value` is the JSON form of `message` as Mesos's proto defines it."""
    assert isinstance(value, dict), f"{where}: {message} must be an object"
    fields = MESSAGES[message]
    assert set(value) <= set(fields), f"{where}: unknown fields {set(value) - set(fields)}"
    for name, (label, kind) in fields.items():
        if name not in value:
            assert label != "required", f"{where}.{name}: required by {message}"
            continue
        assert kind != "opaque", f"{where}.{name}: not expected from these builders"
        items = value[name] if label == "repeated" else [value[name]]
        assert isinstance(items, list), f"{where}.{name}: repeated fields are arrays"
        for index, item in enumerate(items):
            here = f"{where}.{name}[{index}]" if label == "repeated" else f"{where}.{name}"
            if kind in MESSAGES:
                assert_conforms(kind, item, here)
            else:
                assert scalar_fits(kind, item), f"{here}: {item!r} is not a {kind}"


def decode_roundtrip(value: Any, kind: Any) -> Any:
    return msgspec.json.decode(msgspec.json.encode(value), type=kind)


# ---------------------------------------------------------------------------------------------
# Exact JSON for typical containers.


def test_docker_bridge_container_renders_every_docker_field() -> None:
    container = DockerContainer(
        "registry.local:5000/web:1.2",
        network="BRIDGE",
        port_mappings=[PortMapping(31005, 8080), PortMapping(None, 53, "udp")],
        privileged=True,
        parameters={"label": "team=web", "ulimit": "nofile=4096"},
        force_pull_image=True,
        volumes=[Volume("/data", "/srv/data", "RO"), Volume("/scratch", "scratch")],
        hostname="web-1",
    ).with_host_ports([31001])
    assert container.to_container_info() == {
        "type": "DOCKER",
        "docker": {
            "image": "registry.local:5000/web:1.2",
            "network": "BRIDGE",
            "port_mappings": [
                {"host_port": 31005, "container_port": 8080, "protocol": "tcp"},
                {"host_port": 31001, "container_port": 53, "protocol": "udp"},
            ],
            "privileged": True,
            "parameters": [
                {"key": "label", "value": "team=web"},
                {"key": "ulimit", "value": "nofile=4096"},
            ],
            "force_pull_image": True,
        },
        "volumes": [
            {"container_path": "/data", "host_path": "/srv/data", "mode": "RO"},
            {"container_path": "/scratch", "host_path": "scratch", "mode": "RW"},
        ],
        "network_infos": [],
        "hostname": "web-1",
    }


def test_docker_container_defaults_to_host_network_like_mesos() -> None:
    assert DockerContainer("busybox").to_container_info() == {
        "type": "DOCKER",
        "docker": {
            "image": "busybox",
            "network": "HOST",
            "port_mappings": [],
            "privileged": False,
            "parameters": [],
            "force_pull_image": False,
        },
        "volumes": [],
        "network_infos": [],
    }


def test_docker_user_network_names_the_network_in_network_infos() -> None:
    info = DockerContainer(
        "app", network="USER", network_name="overlay-a", port_mappings=[PortMapping(None, 80)]
    ).with_host_ports([31000])
    rendered = info.to_container_info()
    assert rendered["docker"]["network"] == "USER"
    assert rendered["network_infos"] == [{"name": "overlay-a"}]
    assert rendered["docker"]["port_mappings"] == [
        {"host_port": 31000, "container_port": 80, "protocol": "tcp"}
    ]


def test_mesos_container_with_a_docker_image() -> None:
    container = MesosContainer(
        "python:3.11-slim",
        force_pull_image=True,
        volumes=[Volume("cache", "/var/cache/pip", "RO")],
        network_names=["cni-a", "cni-b"],
    )
    assert container.to_container_info() == {
        "type": "MESOS",
        "mesos": {
            "image": {"type": "DOCKER", "docker": {"name": "python:3.11-slim"}, "cached": False}
        },
        "volumes": [{"container_path": "cache", "host_path": "/var/cache/pip", "mode": "RO"}],
        "network_infos": [{"name": "cni-a"}, {"name": "cni-b"}],
    }


def test_mesos_container_without_an_image_sets_no_mesos_info() -> None:
    assert MesosContainer().to_container_info() == {
        "type": "MESOS",
        "volumes": [],
        "network_infos": [],
    }
    assert MesosContainer(image="alpine").to_container_info()["mesos"]["image"]["cached"] is True


def test_health_check_defaults_are_mesos_defaults() -> None:
    check = HealthCheck.command("test -f /tmp/ready")
    assert check.to_health_check() == {
        "type": "COMMAND",
        "command": {"shell": True, "value": "test -f /tmp/ready"},
        "delay_seconds": 15.0,
        "interval_seconds": 10.0,
        "timeout_seconds": 20.0,
        "consecutive_failures": 3,
        "grace_period_seconds": 10.0,
    }


def test_http_and_tcp_health_checks() -> None:
    http = HealthCheck.http(
        8080,
        path="/healthz",
        scheme="https",
        delay_seconds=1,
        interval_seconds=2.5,
        timeout_seconds=0,
        consecutive_failures=7,
        grace_period_seconds=30,
    )
    assert http.to_health_check() == {
        "type": "HTTP",
        "http": {"port": 8080, "path": "/healthz", "scheme": "https"},
        "delay_seconds": 1.0,
        "interval_seconds": 2.5,
        "timeout_seconds": 0.0,
        "consecutive_failures": 7,
        "grace_period_seconds": 30.0,
    }
    tcp = HealthCheck.tcp(5432).to_health_check()
    assert tcp["type"] == "TCP"
    assert tcp["tcp"] == {"port": 5432}
    assert "http" not in tcp and "command" not in tcp


def test_every_example_conforms_to_the_proto() -> None:
    assert_conforms("ContainerInfo", DockerContainer("x").to_container_info())
    assert_conforms("ContainerInfo", MesosContainer("x").to_container_info())
    assert_conforms(
        "HealthCheck", HealthCheck.http(port_index=0).resolve_port([1]).to_health_check()
    )


# ---------------------------------------------------------------------------------------------
# Host ports chosen by the placement.


def test_open_host_ports_are_counted_and_filled_in_order() -> None:
    container = DockerContainer(
        "web",
        network="BRIDGE",
        port_mappings=[
            PortMapping(None, 80),
            PortMapping(31500, 81),
            PortMapping(None, 82),
        ],
    )
    assert container.host_ports_needed() == 2
    assert container.host_ports() == (31500,)
    placed = container.with_host_ports([31007, 31003])
    assert [m.host_port for m in placed.port_mappings] == [31007, 31500, 31003]
    assert placed.host_ports_needed() == 0
    assert placed.host_ports() == (31007, 31500, 31003)
    assert container.host_ports_needed() == 2, "the original stays as it was"


def test_rendering_before_the_host_ports_are_chosen_names_the_mapping() -> None:
    container = DockerContainer(
        "web", network="BRIDGE", port_mappings=[PortMapping(31000, 80), PortMapping(None, 81)]
    )
    with pytest.raises(ValueError, match=r"port_mappings\[1\]\.host_port"):
        container.to_container_info()


@pytest.mark.parametrize(
    ("ports", "error", "field"),
    [
        ([], ValueError, "needs 1 host port"),
        ([31000, 31001], ValueError, "needs 1 host port"),
        ([0], ValueError, r"ports\[0\]"),
        ([65536], ValueError, r"ports\[0\]"),
        ([True], TypeError, r"ports\[0\]"),
        ((31000.0,), TypeError, r"ports\[0\]"),
        (31000, TypeError, "ports"),
        ([31500], ValueError, r"port_mappings\[1\]\.host_port.*twice"),
    ],
)
def test_with_host_ports_checks_the_ports(ports: Any, error: type[Exception], field: str) -> None:
    container = DockerContainer(
        "web", network="BRIDGE", port_mappings=[PortMapping(31500, 80), PortMapping(None, 81)]
    )
    with pytest.raises(error, match=field):
        container.with_host_ports(ports)


def test_host_port_reuse_on_another_protocol_is_allowed() -> None:
    container = DockerContainer(
        "dns",
        network="BRIDGE",
        port_mappings=[PortMapping(31053, 53, "tcp"), PortMapping(31053, 53, "udp")],
    )
    assert container.host_ports() == (31053, 31053)


def test_health_check_port_index_resolves_from_the_task_ports() -> None:
    check = HealthCheck.http(port_index=1, path="/ping")
    with pytest.raises(ValueError, match="port_index: not resolved"):
        check.to_health_check()
    resolved = check.resolve_port([31000, 31042])
    assert resolved.port == 31042 and resolved.port_index is None
    assert resolved.to_health_check()["http"] == {"port": 31042, "path": "/ping", "scheme": "http"}
    with pytest.raises(ValueError, match="port_index: 1 is past the task's 1 port"):
        check.resolve_port([31000])
    fixed = HealthCheck.tcp(9000)
    assert fixed.resolve_port([31000]) is fixed


# ---------------------------------------------------------------------------------------------
# Checks at construction, each naming the field.


def loose(cls: type) -> Any:
    """`cls` untyped, so arguments of the wrong type reach its runtime checks."""
    return cls


BAD_ARGUMENTS: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    ("empty image", lambda: DockerContainer(""), ValueError, r"DockerContainer\.image"),
    ("image with space", lambda: DockerContainer("a b"), ValueError, r"DockerContainer\.image"),
    ("image not str", lambda: loose(DockerContainer)(None), TypeError, r"DockerContainer\.image"),
    (
        "bad network",
        lambda: loose(DockerContainer)("x", network="bridge"),
        ValueError,
        r"\.network",
    ),
    (
        "mappings on HOST",
        lambda: DockerContainer("x", port_mappings=[PortMapping(31000, 80)]),
        ValueError,
        r"DockerContainer\.port_mappings: need network 'BRIDGE' or 'USER'.*'HOST'",
    ),
    (
        "mappings on NONE",
        lambda: DockerContainer("x", network="NONE", port_mappings=[PortMapping(None, 80)]),
        ValueError,
        r"DockerContainer\.port_mappings",
    ),
    (
        "duplicate container port",
        lambda: DockerContainer(
            "x", network="BRIDGE", port_mappings=[PortMapping(None, 80), PortMapping(None, 80)]
        ),
        ValueError,
        r"port_mappings\[1\]\.container_port: 80/tcp is mapped twice",
    ),
    (
        "duplicate host port",
        lambda: DockerContainer(
            "x", network="BRIDGE", port_mappings=[PortMapping(31000, 80), PortMapping(31000, 81)]
        ),
        ValueError,
        r"port_mappings\[1\]\.host_port",
    ),
    (
        "mapping not a PortMapping",
        lambda: loose(DockerContainer)("x", network="BRIDGE", port_mappings=[(31000, 80)]),
        TypeError,
        r"port_mappings\[0\]",
    ),
    ("container port 0", lambda: PortMapping(None, 0), ValueError, r"PortMapping\.container_port"),
    ("container port big", lambda: PortMapping(None, 65536), ValueError, r"\.container_port"),
    ("host port 0", lambda: PortMapping(0, 80), ValueError, r"PortMapping\.host_port"),
    ("host port bool", lambda: PortMapping(True, 80), TypeError, r"PortMapping\.host_port"),
    ("port as str", lambda: loose(PortMapping)(None, "80"), TypeError, r"\.container_port"),
    (
        "bad protocol",
        lambda: loose(PortMapping)(None, 80, "TCP"),
        ValueError,
        r"PortMapping\.protocol",
    ),
    (
        "privileged int",
        lambda: loose(DockerContainer)("x", privileged=1),
        TypeError,
        r"\.privileged",
    ),
    (
        "force pull str",
        lambda: loose(DockerContainer)("x", force_pull_image="yes"),
        TypeError,
        r"DockerContainer\.force_pull_image",
    ),
    (
        "parameter name",
        lambda: DockerContainer("x", parameters={"name": "mine"}),
        ValueError,
        r"parameters\[0\]\.key.*'name'",
    ),
    (
        "parameter dashes",
        lambda: DockerContainer("x", parameters={"--label": "a"}),
        ValueError,
        r"parameters\[0\]\.key",
    ),
    (
        "parameter value int",
        lambda: loose(DockerContainer)("x", parameters=[("label", "a"), ("cpus", 2)]),
        TypeError,
        r"parameters\[1\]\.value",
    ),
    (
        "parameter not a pair",
        lambda: loose(DockerContainer)("x", parameters=[("label",)]),
        TypeError,
        r"parameters\[0\]",
    ),
    (
        "parameters a string",
        lambda: loose(DockerContainer)("x", parameters="label=a"),
        TypeError,
        r"DockerContainer\.parameters",
    ),
    (
        "hostname on HOST",
        lambda: DockerContainer("x", hostname="h"),
        ValueError,
        r"DockerContainer\.hostname",
    ),
    (
        "empty hostname",
        lambda: DockerContainer("x", network="BRIDGE", hostname=""),
        ValueError,
        r"DockerContainer\.hostname",
    ),
    (
        "USER without name",
        lambda: DockerContainer("x", network="USER"),
        ValueError,
        r"DockerContainer\.network_name: required",
    ),
    (
        "name without USER",
        lambda: DockerContainer("x", network="BRIDGE", network_name="n"),
        ValueError,
        r"DockerContainer\.network_name: only for network 'USER'",
    ),
    (
        "relative both",
        lambda: DockerContainer("x", volumes=[Volume("d", "d")]),
        ValueError,
        "both relative",
    ),
    (
        "colon in docker path",
        lambda: DockerContainer("x", volumes=[Volume("/a:b", "/a")]),
        ValueError,
        r"volumes\[0\]\.container_path",
    ),
    (
        "same mount twice",
        lambda: MesosContainer(volumes=[Volume("/d", "/a"), Volume("/d/", "/b")]),
        ValueError,
        r"MesosContainer\.volumes\[1\]\.container_path",
    ),
    ("empty container path", lambda: Volume("", "/a"), ValueError, r"Volume\.container_path"),
    ("root container path", lambda: Volume("/", "/a"), ValueError, r"Volume\.container_path"),
    ("climbing host path", lambda: Volume("/a", "../etc"), ValueError, r"Volume\.host_path"),
    ("climbing container path", lambda: Volume("a/../../b", "/a"), ValueError, r"\.container_path"),
    ("empty host path", lambda: Volume("/a", ""), ValueError, r"Volume\.host_path"),
    ("host path None", lambda: loose(Volume)("/a", None), TypeError, r"Volume\.host_path"),
    ("bad mode", lambda: loose(Volume)("/a", "/b", "rw"), ValueError, r"Volume\.mode"),
    (
        "volume not a Volume",
        lambda: loose(MesosContainer)(volumes=[("/a", "/b")]),
        TypeError,
        r"MesosContainer\.volumes\[0\]",
    ),
    ("mesos empty image", lambda: MesosContainer(""), ValueError, r"MesosContainer\.image"),
    (
        "pull without image",
        lambda: MesosContainer(force_pull_image=True),
        ValueError,
        r"MesosContainer\.force_pull_image",
    ),
    (
        "duplicate network",
        lambda: MesosContainer(network_names=["a", "a"]),
        ValueError,
        r"network_names\[1\]",
    ),
    ("network names str", lambda: MesosContainer(network_names="a"), TypeError, r"network_names"),
    ("empty command", lambda: HealthCheck.command("  "), ValueError, r"\.shell_command"),
    ("no port", lambda: HealthCheck.http(), ValueError, r"HealthCheck\.port"),
    ("both ports", lambda: HealthCheck.tcp(80, port_index=0), ValueError, r"HealthCheck\.port"),
    ("port 0", lambda: HealthCheck.tcp(0), ValueError, r"HealthCheck\.port"),
    ("index -1", lambda: HealthCheck.tcp(port_index=-1), ValueError, r"HealthCheck\.port_index"),
    ("relative path", lambda: HealthCheck.http(80, path="ok"), ValueError, r"HealthCheck\.path"),
    ("bad scheme", lambda: loose(HealthCheck).http(80, scheme="ftp"), ValueError, r"\.scheme"),
    (
        "negative delay",
        lambda: HealthCheck.tcp(80, delay_seconds=-1),
        ValueError,
        r"\.delay_seconds",
    ),
    (
        "nan interval",
        lambda: HealthCheck.tcp(80, interval_seconds=math.nan),
        ValueError,
        r"\.interval_seconds",
    ),
    (
        "inf timeout",
        lambda: HealthCheck.tcp(80, timeout_seconds=math.inf),
        ValueError,
        r"\.timeout_seconds",
    ),
    (
        "negative grace",
        lambda: HealthCheck.tcp(80, grace_period_seconds=-0.5),
        ValueError,
        r"\.grace_period",
    ),
    (
        "str delay",
        lambda: loose(HealthCheck).tcp(80, delay_seconds="5"),
        TypeError,
        r"\.delay_seconds",
    ),
    (
        "zero failures",
        lambda: HealthCheck.tcp(80, consecutive_failures=0),
        ValueError,
        r"\.consecutive_failures",
    ),
    (
        "float failures",
        lambda: loose(HealthCheck).tcp(80, consecutive_failures=2.0),
        TypeError,
        r"\.consecutive_failures",
    ),
    ("bad kind", lambda: loose(HealthCheck)(kind="GRPC"), ValueError, r"HealthCheck\.kind"),
    (
        "command with port",
        lambda: HealthCheck(kind="COMMAND", shell_command="true", port=80),
        ValueError,
        r"HealthCheck\.port",
    ),
    (
        "tcp with command",
        lambda: HealthCheck(kind="TCP", port=80, shell_command="true"),
        ValueError,
        r"\.shell_command",
    ),
    (
        "tcp with path",
        lambda: HealthCheck(kind="TCP", port=80, path="/x"),
        ValueError,
        r"HealthCheck\.path",
    ),
]


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [pytest.param(build, error, field, id=case) for case, build, error, field in BAD_ARGUMENTS],
)
def test_bad_arguments_fail_at_construction_naming_the_field(
    build: Callable[[], object], error: type[Exception], field: str
) -> None:
    with pytest.raises(error, match=field):
        build()


def test_positional_arguments_stop_after_the_image() -> None:
    with pytest.raises(TypeError):
        DockerContainer("x", "BRIDGE")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        MesosContainer("x", True)  # type: ignore[call-arg]


def test_mesos_accepts_volume_paths_docker_refuses() -> None:
    # sandbox-to-sandbox volumes are fine for the Mesos containerizer
    assert MesosContainer(volumes=[Volume("out", "work/out")]).volumes == (
        Volume("out", "work/out"),
    )


def test_containers_are_frozen_and_hashable() -> None:
    container = DockerContainer("x", network="BRIDGE", parameters={"label": "a"})
    with pytest.raises(AttributeError):
        container.image = "y"  # type: ignore[misc]
    assert hash(container) == hash(
        DockerContainer("x", network="BRIDGE", parameters={"label": "a"})
    )


def test_parameters_as_dict_or_pairs_are_the_same_and_keep_their_order() -> None:
    from_dict = DockerContainer("x", parameters={"label": "a=1", "env": "B=2"})
    from_pairs = DockerContainer("x", parameters=[("label", "a=1"), ("env", "B=2")])
    assert from_dict == from_pairs
    assert from_dict.parameters == (("label", "a=1"), ("env", "B=2"))
    repeated = DockerContainer("x", parameters=[("label", "a=1"), ("label", "b=2")])
    assert repeated.to_container_info()["docker"]["parameters"] == [
        {"key": "label", "value": "a=1"},
        {"key": "label", "value": "b=2"},
    ]


# ---------------------------------------------------------------------------------------------
# Persistence through msgspec.


@dataclasses.dataclass(frozen=True)
class Holder:
    """Stands for a persisted record (a task spec) that holds a container and checks."""

    container: Container | None
    health_check: HealthCheck | None = None


def test_a_container_field_decodes_to_the_right_class() -> None:
    docker = Holder(DockerContainer("x", network="BRIDGE", port_mappings=[PortMapping(None, 80)]))
    mesos = Holder(MesosContainer("y"), HealthCheck.http(port_index=0))
    for holder in (docker, mesos, Holder(None)):
        assert decode_roundtrip(holder, Holder) == holder
        assert msgspec.convert(msgspec.to_builtins(holder), Holder) == holder
    assert msgspec.to_builtins(docker)["container"]["containerizer"] == "DOCKER"
    assert msgspec.to_builtins(mesos)["container"]["containerizer"] == "MESOS"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["container"].update(network="bridge"), r"'bridge'.*network"),
        (lambda d: d["container"].update(network="HOST"), r"DockerContainer\.port_mappings"),
        (lambda d: d["container"]["port_mappings"][0].update(container_port=0), r"container_port"),
        (lambda d: d["container"].update(parameters=[["name", "a"]]), r"parameters\[0\]\.key"),
    ],
)
def test_decoding_checks_the_stored_data_again(
    change: Callable[[dict[str, Any]], None], field: str
) -> None:
    stored = msgspec.to_builtins(
        Holder(DockerContainer("x", network="BRIDGE", port_mappings=[PortMapping(31000, 80)]))
    )
    change(stored)
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.convert(stored, Holder)
    with pytest.raises(msgspec.ValidationError, match=field):
        msgspec.json.decode(json.dumps(stored), type=Holder)


# ---------------------------------------------------------------------------------------------
# Properties over generated containers and checks.

ports = st.integers(min_value=1, max_value=65535)
words = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":/"),
    min_size=1,
    max_size=12,
)
absolute_paths = st.lists(words.filter(lambda w: w not in (".", "..")), min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(parts)
)
relative_paths = st.lists(words.filter(lambda w: w not in (".", "..")), min_size=1, max_size=3).map(
    "/".join
)
parameter_keys = words.filter(lambda w: w != "name" and not w.startswith("-") and "=" not in w)


@st.composite
def port_mappings(draw: st.DrawFn) -> list[PortMapping]:
    container_ports = draw(st.lists(ports, max_size=6, unique=True))
    host_ports = draw(st.lists(ports, min_size=len(container_ports), max_size=6, unique=True))
    protocol = draw(st.sampled_from(get_args(PortProtocol)))
    return [
        PortMapping(draw(st.sampled_from([None, host])), container, protocol)
        for host, container in zip(host_ports, container_ports, strict=False)
    ]


@st.composite
def docker_volumes(draw: st.DrawFn) -> list[Volume]:
    targets = draw(st.lists(absolute_paths, max_size=4, unique_by=lambda p: p.rstrip("/")))
    return [
        Volume(
            target,
            draw(st.one_of(absolute_paths, relative_paths)),
            draw(st.sampled_from(get_args(VolumeMode))),
        )
        for target in targets
    ]


@st.composite
def docker_containers(draw: st.DrawFn) -> DockerContainer:
    network = draw(st.sampled_from(get_args(DockerNetwork)))
    return DockerContainer(
        draw(words),
        network=network,
        port_mappings=draw(port_mappings()) if network in ("BRIDGE", "USER") else [],
        privileged=draw(st.booleans()),
        parameters=draw(st.lists(st.tuples(parameter_keys, st.text(max_size=10)), max_size=4)),
        force_pull_image=draw(st.booleans()),
        volumes=draw(docker_volumes()),
        hostname=draw(st.one_of(st.none(), words)) if network != "HOST" else None,
        network_name=draw(words) if network == "USER" else None,
    )


@st.composite
def mesos_containers(draw: st.DrawFn) -> MesosContainer:
    image = draw(st.one_of(st.none(), words))
    targets = draw(st.lists(relative_paths, max_size=4, unique=True))
    return MesosContainer(
        image,
        force_pull_image=image is not None and draw(st.booleans()),
        volumes=[Volume(target, draw(absolute_paths)) for target in targets],
        network_names=draw(st.lists(words, max_size=3, unique=True)),
    )


seconds = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def health_checks(draw: st.DrawFn) -> HealthCheck:
    timing: dict[str, Any] = {
        "delay_seconds": draw(seconds),
        "interval_seconds": draw(seconds),
        "timeout_seconds": draw(seconds),
        "consecutive_failures": draw(st.integers(min_value=1, max_value=2**32 - 1)),
        "grace_period_seconds": draw(seconds),
    }
    port: dict[str, Any] = draw(
        st.one_of(
            ports.map(lambda p: {"port": p}),
            st.integers(min_value=0, max_value=5).map(lambda i: {"port_index": i}),
        )
    )
    return draw(
        st.one_of(
            st.text(min_size=1, max_size=30)
            .filter(str.strip)
            .map(lambda c: HealthCheck.command(c, **timing)),
            st.builds(
                lambda path, scheme: HealthCheck.http(**port, path=path, scheme=scheme, **timing),
                st.one_of(st.just("/"), absolute_paths),
                st.sampled_from(["http", "https"]),
            ),
            st.just(HealthCheck.tcp(**port, **timing)),
        )
    )


@settings(max_examples=80)
@given(docker_containers(), st.data())
def test_placed_docker_containers_render_proto_conformant_json(
    container: DockerContainer, data: st.DataObject
) -> None:
    needed = container.host_ports_needed()
    free = data.draw(
        st.lists(ports, min_size=needed, max_size=needed, unique=True).filter(
            lambda chosen: not set(chosen) & set(container.host_ports())
        )
    )
    placed = container.with_host_ports(free)
    info = placed.to_container_info()
    assert_conforms("ContainerInfo", info)
    json.dumps(info)
    assert info["docker"]["image"] == container.image
    assert sorted(m["host_port"] for m in info["docker"]["port_mappings"]) == sorted(
        [*container.host_ports(), *free]
    )
    assert [m["container_port"] for m in info["docker"]["port_mappings"]] == [
        m.container_port for m in container.port_mappings
    ]
    assert len(info["network_infos"]) == (1 if container.network == "USER" else 0)


@settings(max_examples=80)
@given(st.one_of(docker_containers(), mesos_containers()))
def test_containers_survive_a_msgspec_round_trip(container: Container) -> None:
    assert decode_roundtrip(container, Container) == container
    assert msgspec.convert(msgspec.to_builtins(container), Container) == container
    assert hash(decode_roundtrip(container, Container)) == hash(container)


@given(mesos_containers())
def test_mesos_containers_render_proto_conformant_json(container: MesosContainer) -> None:
    info = container.to_container_info()
    assert_conforms("ContainerInfo", info)
    assert ("mesos" in info) == (container.image is not None)


@given(health_checks(), st.lists(ports, min_size=6, max_size=6))
def test_health_checks_render_and_round_trip(check: HealthCheck, task_ports: list[int]) -> None:
    assert decode_roundtrip(check, HealthCheck) == check
    resolved = check.resolve_port(task_ports)
    rendered = resolved.to_health_check()
    assert_conforms("HealthCheck", rendered)
    assert rendered["type"] == check.kind
    if check.port_index is not None:
        assert resolved.port == task_ports[check.port_index]
    for name in ("delay_seconds", "interval_seconds", "timeout_seconds", "grace_period_seconds"):
        assert rendered[name] == getattr(check, name)
