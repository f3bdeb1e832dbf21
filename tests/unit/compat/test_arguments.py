from __future__ import annotations

from typing import Any

import addict
import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.compat import arguments
from frameworkkit.transport import Secret, TransportOptions

ids = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=20)


@given(st.lists(ids, min_size=1, max_size=5))
def test_id_lists_from_mappings_addicts_or_strings(values: list[str]) -> None:
    assert arguments.id_values("offer_ids", [{"value": v} for v in values]) == values
    assert arguments.id_values("offer_ids", [addict.Dict(value=v) for v in values]) == values
    assert arguments.id_values("offer_ids", values) == values
    assert arguments.id_values("offer_ids", {"value": values[0]}) == values[:1]


@pytest.mark.parametrize("bad", [42, {"id": "x"}, {"value": 3}, [{"value": "a"}, None]])
def test_bad_ids_name_the_argument(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"offer_ids"):
        arguments.id_values("offer_ids", bad)


def test_optional_ids_treat_absent_as_none() -> None:
    assert arguments.optional_id_value("agent_id", None) is None
    assert arguments.optional_id_value("agent_id", addict.Dict().agent_id) is None
    assert arguments.optional_id_value("agent_id", {"value": "a-1"}) == "a-1"


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False) | st.integers(0, 10**9))
def test_refuse_seconds_from_filters(seconds: float) -> None:
    assert arguments.refuse_seconds({"refuse_seconds": seconds}) == float(seconds)
    assert arguments.refuse_seconds(addict.Dict(refuse_seconds=seconds)) == float(seconds)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("10.0.0.1", "10.0.0.1:5050"),
        ("10.0.0.1:5051", "10.0.0.1:5051"),
        ("m1,m2:6000", "m1:5050,m2:6000"),
        ("http://m1:5050", "http://m1:5050"),
        ("zoo://127.0.0.1:2181/mesos", "zk://127.0.0.1:2181/mesos"),
        ("zk://127.0.0.1:2181,127.0.0.2:2181/mesos", "zk://127.0.0.1:2181,127.0.0.2:2181/mesos"),
    ],
)
def test_master_addresses_as_pymesos_takes_them(uri: str, expected: str) -> None:
    assert arguments.master_address(uri) == expected


@pytest.mark.parametrize("bad", ["http://m1", "ftp://m1:21", "m1:5050?x=1"])
def test_bad_master_addresses_name_the_argument(bad: str) -> None:
    with pytest.raises(ValueError, match="master_uri"):
        arguments.master_address(bad)


def test_framework_info_gets_pymesos_defaults_and_is_a_copy() -> None:
    framework = addict.Dict(user="root", name="fw")
    framework.capabilities = [{"type": "GPU_RESOURCES"}, {"type": "MULTI_ROLE"}]
    info = arguments.framework_info(framework)
    assert type(info) is dict
    assert info == {
        "user": "root",
        "name": "fw",
        "capabilities": [{"type": "MULTI_ROLE"}, {"type": "GPU_RESOURCES"}],
        "failover_timeout": arguments.PYMESOS_FAILOVER_TIMEOUT,
    }
    info["name"] = "changed"
    assert framework.name == "fw"
    assert (
        arguments.framework_info({"user": "u", "name": "n", "failover_timeout": 7})[
            "failover_timeout"
        ]
        == 7
    )


@pytest.mark.parametrize(
    ("framework", "error", "field"),
    [
        ({"name": "fw"}, (TypeError, ValueError), "user"),
        ({"user": "root", "name": ""}, ValueError, "name"),
        ({"user": "root", "name": "fw", "capabilities": ["GPU"]}, TypeError, "capabilities"),
        ({"user": "root", "name": "fw", "labels": object()}, TypeError, "framework"),
        ("fw", TypeError, "framework"),
    ],
)
def test_bad_framework_info_names_the_field(
    framework: Any, error: type[Exception] | tuple[type[Exception], ...], field: str
) -> None:
    with pytest.raises(error, match=field):
        arguments.framework_info(framework)


def test_credentials_become_basic_auth() -> None:
    options = arguments.transport_options(TransportOptions(tls=True), "fw", "s3cret")
    assert options.tls and options.principal == "fw"
    assert options.secret == Secret("s3cret")
    assert arguments.transport_options(None, None, None) == TransportOptions()
    with pytest.raises(ValueError, match="principal, secret"):
        arguments.transport_options(None, "fw", None)
