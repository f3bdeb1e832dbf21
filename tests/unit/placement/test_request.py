from __future__ import annotations

import dataclasses
import math

import pytest

from frameworkkit.placement import Constraint, Locality, PortSpec, TaskRequest


def test_ports_forms() -> None:
    assert TaskRequest("t", ports=2).ports == (PortSpec(), PortSpec())
    task = TaskRequest("t", ports=["http", 8080, 0, PortSpec("admin", 9000)])
    assert task.ports == (
        PortSpec("http"),
        PortSpec(port=8080),
        PortSpec(),
        PortSpec("admin", 9000),
    )


def test_constraints_in_both_forms() -> None:
    task = TaskRequest(
        "t", constraints=[["hostname", "UNIQUE"], Constraint("rack", "IS", "r1", soft=True)]
    )
    assert task.constraints == (
        Constraint("hostname", "UNIQUE"),
        Constraint("rack", "IS", "r1", soft=True),
    )


def test_scalar_demand_lists_what_is_asked() -> None:
    task = TaskRequest("t", cpus=0.5, mem=256, gpus=1, scalars={"bandwidth": 10})
    assert task.scalar_demand() == {"cpus": 0.5, "mem": 256.0, "gpus": 1.0, "bandwidth": 10.0}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"cpus": -1}, ValueError, "TaskRequest.cpus"),
        ({"mem": math.nan}, ValueError, "TaskRequest.mem"),
        ({"disk": "10"}, TypeError, "TaskRequest.disk"),
        ({"gpus": 0.5}, TypeError, "TaskRequest.gpus"),
        ({"role": ""}, ValueError, "TaskRequest.role"),
        ({"group": 3}, ValueError, "TaskRequest.group"),
        ({"ports": -1}, ValueError, "TaskRequest.ports"),
        ({"ports": [8080, 8080]}, ValueError, "TaskRequest.ports"),
        ({"ports": ["a", "a"]}, ValueError, "TaskRequest.ports"),
        ({"ports": [1.5]}, TypeError, "TaskRequest.ports"),
        ({"ports": [70000]}, ValueError, "PortSpec.port"),
        ({"scalars": {"cpus": 1}}, ValueError, "TaskRequest.scalars"),
        ({"scalars": {"x": -2}}, ValueError, "TaskRequest.scalars\\['x'\\]"),
        (
            {"constraints": [["rack", "MAX_PER"]]},
            ValueError,
            "TaskRequest.constraints\\[0\\].*'rack'",
        ),
        ({"locality": ["datasets"]}, TypeError, "TaskRequest.locality\\[0\\]"),
        ({"volumes": ["v", "v"]}, ValueError, "TaskRequest.volumes"),
        ({"disk_source": "BLOCK"}, ValueError, "TaskRequest.disk_source"),
        ({"allow_revocable": 1}, TypeError, "TaskRequest.allow_revocable"),
    ],
)
def test_bad_requests_fail_naming_the_field(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        TaskRequest("t", **kwargs)  # type: ignore[arg-type]


def test_bad_ids_and_localities() -> None:
    with pytest.raises(ValueError, match=r"TaskRequest\.id"):
        TaskRequest("")
    with pytest.raises(ValueError, match=r"Locality\.items"):
        Locality("datasets", ())
    with pytest.raises(ValueError, match=r"Locality\.attribute"):
        Locality("", ("x",))


def test_replace_keeps_everything_else() -> None:
    task = TaskRequest("t", cpus=1, ports=["http"], constraints=[["hostname", "UNIQUE"]])
    bigger = dataclasses.replace(task, cpus=2)
    assert bigger.scalar_demand() == {"cpus": 2.0}
    assert (bigger.ports, bigger.constraints) == (task.ports, task.constraints)
