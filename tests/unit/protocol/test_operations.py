from __future__ import annotations

from typing import Any

import pytest

from frameworkkit.protocol import infos, operations, resources
from tests.unit.protocol.proto_schema import check_message

CPUS = resources.scalar_resource("cpus", 1, allocation_role="batch")
RESERVED = resources.scalar_resource(
    "disk", 1024, allocation_role="batch", reservations=[resources.reservation("batch")]
)
VOLUME = resources.scalar_resource(
    "disk",
    1024,
    allocation_role="batch",
    reservations=[resources.reservation("batch")],
    disk=resources.persistent_volume_disk("pg", "data"),
)
COMMAND_TASK = infos.task_info("web", "t-1", "a-1", [CPUS], command=infos.command_info("true"))


def operation(value: dict[str, Any]) -> dict[str, Any]:
    """Valid ``Offer.Operation`` JSON whose body is named after its type."""
    check_message("Offer.Operation", value)
    assert set(value) - {"type", "id"} == {value["type"].lower()}
    return value


def test_launch() -> None:
    launch = operation(operations.launch([COMMAND_TASK]))
    assert launch == {"type": "LAUNCH", "launch": {"task_infos": [COMMAND_TASK]}}


def test_launch_tasks_need_a_command_or_an_executor() -> None:
    no_command = infos.task_info("web", "t-1", "a-1", [CPUS])
    with pytest.raises(ValueError, match=r"task_infos\[1\] needs a command or an executor"):
        operations.launch([COMMAND_TASK, no_command])
    with pytest.raises(ValueError, match="task_infos: must not be empty"):
        operations.launch([])


def test_launch_group_runs_tasks_in_the_group_executor() -> None:
    executor = infos.executor_info("e-1", executor_type="DEFAULT", resources=[CPUS])
    group = operation(operations.launch_group(executor, [COMMAND_TASK]))
    assert group["launch_group"] == {
        "executor": executor,
        "task_group": {"tasks": [COMMAND_TASK]},
    }


def test_launch_group_checks_the_executor() -> None:
    untyped = infos.executor_info("e-1", command=infos.command_info("x"))
    with pytest.raises(ValueError, match="executor_type"):
        operations.launch_group(untyped, [COMMAND_TASK])
    executor = infos.executor_info("e-1", executor_type="DEFAULT")
    other = infos.executor_info("e-2", executor_type="DEFAULT")
    task = infos.task_info("web", "t-1", "a-1", [CPUS], executor=other)
    with pytest.raises(ValueError, match=r"tasks\[0\].executor differs"):
        operations.launch_group(executor, [task])


def test_reservation_operations() -> None:
    reserve = operation(operations.reserve([RESERVED], source=[CPUS], operation_id="op-1"))
    assert reserve["id"] == {"value": "op-1"}
    assert reserve["reserve"] == {"resources": [RESERVED], "source": [CPUS]}
    unreserve = operation(operations.unreserve([RESERVED]))
    assert unreserve["unreserve"] == {"resources": [RESERVED]}
    with pytest.raises(ValueError, match=r"resources\[0\] carries no reservation"):
        operations.reserve([CPUS])
    with pytest.raises(ValueError, match=r"resources\[0\] carries no reservation"):
        operations.unreserve([CPUS])


def test_volume_operations() -> None:
    assert operation(operations.create([VOLUME]))["create"] == {"volumes": [VOLUME]}
    assert operation(operations.destroy([VOLUME]))["destroy"] == {"volumes": [VOLUME]}
    grow = operation(operations.grow_volume(VOLUME, RESERVED, operation_id="g"))
    assert grow["grow_volume"] == {"volume": VOLUME, "addition": RESERVED}
    shrink = operation(operations.shrink_volume(VOLUME, 256))
    assert shrink["shrink_volume"] == {"volume": VOLUME, "subtract": {"value": 256.0}}
    with pytest.raises(ValueError, match=r"volumes\[0\] is not a persistent volume"):
        operations.create([RESERVED])
    with pytest.raises(ValueError, match="volume is not a persistent volume"):
        operations.grow_volume(RESERVED, RESERVED)
    with pytest.raises(ValueError, match="subtract_mb"):
        operations.shrink_volume(VOLUME, 0)
    with pytest.raises(ValueError, match="volumes: must not be empty"):
        operations.destroy([])


def test_disk_operations() -> None:
    raw = {
        "name": "disk",
        "type": "SCALAR",
        "scalar": {"value": 2048.0},
        "disk": {"source": {"type": "RAW", "id": "csi-1", "profile": "ssd"}},
    }
    create = operation(operations.create_disk(raw, "BLOCK", target_profile="ssd"))
    assert create["create_disk"] == {"source": raw, "target_type": "BLOCK", "target_profile": "ssd"}
    assert operation(operations.destroy_disk(raw))["destroy_disk"] == {"source": raw}
    with pytest.raises(ValueError, match="target_type"):
        operations.create_disk(raw, "RAW")  # type: ignore[arg-type]


def test_operation_ids_are_checked() -> None:
    with pytest.raises(ValueError, match="operation_id"):
        operations.unreserve([RESERVED], operation_id="a/b")
