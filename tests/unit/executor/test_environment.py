from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frameworkkit.executor import ExecutorEnvironment, ExecutorEnvironmentError, parse_duration
from frameworkkit.executor.environment import (
    DEFAULT_RECOVERY_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE_PERIOD,
    DEFAULT_SUBSCRIPTION_BACKOFF_MAX,
)

UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "ms": 1e-3,
    "secs": 1,
    "mins": 60,
    "hrs": 3600,
    "days": 86400,
    "weeks": 7 * 86400,
}

AGENT_ENV = {
    "MESOS_FRAMEWORK_ID": "framework-7",
    "MESOS_EXECUTOR_ID": "executor-7",
    "MESOS_SLAVE_PID": "slave(3)@127.0.0.1:5051",
    "MESOS_AGENT_ENDPOINT": "127.0.0.1:5051",
    "MESOS_SLAVE_ID": "agent-7",
    "MESOS_CHECKPOINT": "1",
    "MESOS_RECOVERY_TIMEOUT": "15mins",
    "MESOS_SUBSCRIPTION_BACKOFF_MAX": "2secs",
    "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "100ms",
    "MESOS_DIRECTORY": "/var/lib/mesos/slaves/a/frameworks/f/executors/e/runs/r",
    "MESOS_SANDBOX": "/mnt/mesos/sandbox",
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15mins", 900.0),
        ("2secs", 2.0),
        ("100ms", 0.1),
        ("1.5hrs", 5400.0),
        ("3days", 259200.0),
        ("1weeks", 604800.0),
        ("250us", 0.00025),
        ("10ns", 1e-8),
        ("0secs", 0.0),
    ],
)
def test_parse_duration_reads_mesos_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@given(
    number=st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_parse_duration_scales_any_number_by_its_unit(number: object, unit: str) -> None:
    text = f"{number}{unit}"
    assert parse_duration(text) == pytest.approx(float(text[: -len(unit)]) * UNITS[unit])


@pytest.mark.parametrize(
    "text", ["", "15", "secs", "2 secs", "2s", "2SECS", "-1secs", "1.2.3secs", "1e3secs", "2secs "]
)
def test_parse_duration_refuses_what_mesos_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_duration_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match="duration"):
        parse_duration(5)  # type: ignore[arg-type]


def test_from_environ_reads_what_the_agent_sets() -> None:
    env = ExecutorEnvironment.from_environ(AGENT_ENV)
    assert env.framework_id == "framework-7"
    assert env.executor_id == "executor-7"
    assert env.agent_id == "agent-7"
    assert env.checkpoint is True
    assert env.recovery_timeout == 900.0
    assert env.subscription_backoff_max == 2.0
    assert env.shutdown_grace_period == pytest.approx(0.1)
    assert env.directory == Path(AGENT_ENV["MESOS_DIRECTORY"])
    assert env.work_directory == Path("/mnt/mesos/sandbox")
    assert env.authentication_token is None


def test_from_environ_uses_the_agent_defaults_for_unset_timings() -> None:
    minimal = {
        k: AGENT_ENV[k] for k in ("MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID", "MESOS_SLAVE_PID")
    }
    env = ExecutorEnvironment.from_environ(minimal)
    assert env.checkpoint is False
    assert env.recovery_timeout == DEFAULT_RECOVERY_TIMEOUT
    assert env.subscription_backoff_max == DEFAULT_SUBSCRIPTION_BACKOFF_MAX
    assert env.shutdown_grace_period == DEFAULT_SHUTDOWN_GRACE_PERIOD
    assert env.work_directory == Path.cwd()


def test_from_environ_keeps_the_authentication_token_secret() -> None:
    env = ExecutorEnvironment.from_environ(
        {**AGENT_ENV, "MESOS_EXECUTOR_AUTHENTICATION_TOKEN": "s3cret"}
    )
    assert env.authentication_token is not None
    assert env.authentication_token.reveal() == "s3cret"
    assert "s3cret" not in repr(env)


@pytest.mark.parametrize("name", ["MESOS_FRAMEWORK_ID", "MESOS_EXECUTOR_ID", "MESOS_SLAVE_PID"])
def test_a_missing_required_variable_is_named(name: str) -> None:
    environ = {k: v for k, v in AGENT_ENV.items() if k != name}
    with pytest.raises(ExecutorEnvironmentError, match=name):
        ExecutorEnvironment.from_environ(environ)


@pytest.mark.parametrize(
    "name",
    [
        "MESOS_RECOVERY_TIMEOUT",
        "MESOS_SUBSCRIPTION_BACKOFF_MAX",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
    ],
)
def test_a_malformed_duration_is_named(name: str) -> None:
    with pytest.raises(ExecutorEnvironmentError, match=name):
        ExecutorEnvironment.from_environ({**AGENT_ENV, name: "soon"})


@pytest.mark.parametrize(
    ("pid", "url"),
    [
        ("slave(1)@127.0.0.1:5051", "http://127.0.0.1:5051/slave(1)/api/v1/executor"),
        ("slave(12)@127.0.0.2:31337", "http://127.0.0.2:31337/slave(12)/api/v1/executor"),
    ],
)
def test_the_agent_url_path_comes_from_the_agent_pid(pid: str, url: str) -> None:
    env = ExecutorEnvironment.from_environ({**AGENT_ENV, "MESOS_SLAVE_PID": pid})
    assert env.url == url
    assert env.agent_host == url.split("//")[1].split(":")[0]


@pytest.mark.parametrize("pid", ["127.0.0.1:5051", "slave(1)@127.0.0.1", "slave(1)@:5051"])
def test_a_malformed_agent_pid_is_named(pid: str) -> None:
    with pytest.raises(ExecutorEnvironmentError, match="MESOS_SLAVE_PID"):
        ExecutorEnvironment.from_environ({**AGENT_ENV, "MESOS_SLAVE_PID": pid})


def test_bad_constructor_arguments_are_named() -> None:
    with pytest.raises(ExecutorEnvironmentError, match="framework_id"):
        ExecutorEnvironment(framework_id="", executor_id="e", agent_pid="slave(1)@127.0.0.1:5051")
    with pytest.raises(ExecutorEnvironmentError, match="recovery_timeout"):
        ExecutorEnvironment(
            framework_id="f",
            executor_id="e",
            agent_pid="slave(1)@127.0.0.1:5051",
            recovery_timeout=-1,
        )
