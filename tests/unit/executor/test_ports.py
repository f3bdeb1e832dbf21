"""The ports a task was given, read from its TaskInfo."""

from __future__ import annotations

import msgspec

from frameworkkit.executor import task_ports
from frameworkkit.protocol.messages import TaskInfo


def task_with(resources: list[dict[str, object]]) -> TaskInfo:
    body = {"name": "t", "task_id": {"value": "t.1"}, "agent_id": {"value": "a"}}
    return msgspec.convert({**body, "resources": resources}, TaskInfo)


def test_the_ports_of_every_ports_range_come_back_in_ascending_order() -> None:
    task = task_with(
        [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1.0}},
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {
                    "range": [{"begin": 31005, "end": 31006}, {"begin": 31000, "end": 31000}]
                },
            },
            {
                "name": "ports",
                "type": "RANGES",
                "ranges": {"range": [{"begin": 4000, "end": 4000}]},
            },
        ]
    )
    assert task_ports(task) == [4000, 31000, 31005, 31006]


def test_a_task_without_ports_has_none() -> None:
    assert (
        task_ports(task_with([{"name": "mem", "type": "SCALAR", "scalar": {"value": 64.0}}])) == []
    )
