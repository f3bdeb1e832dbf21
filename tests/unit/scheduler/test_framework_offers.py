"""Offer handling against the transport's unit-test seam: launches, acks, retries, filters."""

import asyncio
from pathlib import Path

from frameworkkit.placement import Unplaced
from frameworkkit.scheduler import FileStateStore, Framework, Task, TaskSpec, TaskState
from tests.unit.scheduler.master_seam import ScriptedMaster, launched, offer, update


async def test_a_failed_attempt_is_acked_retried_with_short_filters_and_revived(
    tmp_path: Path,
) -> None:
    master = ScriptedMaster()
    next_call = master.next_call
    fw = master.framework(Framework, tmp_path)
    task = fw.submit(
        TaskSpec(
            name="flaky", command="exit 1", cpus=1, mem=64, max_retries=1, retry_backoff_seconds=0.3
        )
    )
    runner = asyncio.create_task(fw.run_async(until="forever"))
    master.subscribe()
    master.push(offer("o1"))
    accept = await next_call("ACCEPT")
    first_id = launched(accept)[0]["task_id"]["value"]
    assert launched(accept)[0]["resources"][0]["allocation_info"] == {"role": "*"}

    master.push(update(first_id, "TASK_FAILED"))
    ack = await next_call("ACKNOWLEDGE")
    assert ack["acknowledge"]["task_id"] == {"value": first_id}
    assert task.state is TaskState.PENDING and task.attempts == 1

    master.push(offer("o2"))  # arrives during the backoff: declined, briefly
    decline = await next_call("DECLINE")
    assert decline["decline"]["filters"] == {"refuse_seconds": 5.0}
    await next_call("REVIVE")  # the backoff passed: offers are asked for again

    master.push(offer("o3"))
    second = await next_call("ACCEPT")
    second_id = launched(second)[0]["task_id"]["value"]
    assert second_id != first_id
    master.push(update(second_id, "TASK_FINISHED"))
    await next_call("ACKNOWLEDGE")
    # the last launch left nothing waiting: offers were suppressed, just before its ACCEPT left
    last_accept = len(master.seen) - 1 - master.seen[::-1].index("ACCEPT")
    assert master.seen[last_accept - 1] == "SUPPRESS", master.seen
    assert master.seen[last_accept:].count("SUPPRESS") == 0, master.seen
    assert task.state is TaskState.TASK_FINISHED and task.attempts == 2
    fw.stop()
    await asyncio.wait_for(runner, 10)


async def test_a_launched_task_knows_its_host_ports_and_keeps_them_in_its_record(
    tmp_path: Path,
) -> None:
    master = ScriptedMaster()
    fw = master.framework(Framework, tmp_path)
    task = fw.submit(TaskSpec(name="web", command="serve", ports=["http", "admin"]))
    assert task.ports == []
    runner = asyncio.create_task(fw.run_async(until="forever"))
    master.subscribe()
    master.push(offer("o1"))
    [info] = launched(await master.next_call("ACCEPT"))
    env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
    assert len(task.ports) == 2
    assert [env["PORT0"], env["PORT1"]] == [str(p) for p in task.ports]
    assert env["PORT_ADMIN"] == str(task.ports[1])
    fw.stop()
    await asyncio.wait_for(runner, 10)
    stored = {t.key: t for t in FileStateStore(tmp_path).load().tasks}
    assert stored["web"].ports == task.ports


async def test_tasks_alike_left_unplaced_are_explained_once_and_each_by_its_own_name(
    tmp_path: Path,
) -> None:
    master = ScriptedMaster()
    fw = master.framework(Framework, tmp_path)
    too_big = fw.submit_many(TaskSpec(name=f"big-{i}", command="x", cpus=100) for i in range(3))
    small = fw.submit_many(TaskSpec(name=f"small-{i}", command="x", cpus=1) for i in range(4))
    explained: list[str] = []
    explain = fw.matcher.explain

    def counting(task: Task) -> Unplaced | None:
        explained.append(task.name)
        return explain(task)

    fw.matcher.explain = counting  # type: ignore[method-assign]
    runner = asyncio.create_task(fw.run_async(until="forever"))
    master.subscribe()
    master.push(offer("o1"))  # 2 cpus: two small tasks fit, the others wait
    assert len(launched(await master.next_call("ACCEPT"))) == 2
    fw.stop()
    await asyncio.wait_for(runner, 10)
    assert len(explained) == 2  # one task of each shape
    unplaced = fw.unplaced
    assert sorted(unplaced) == sorted(
        [t.name for t in too_big] + [t.name for t in small if t.state is TaskState.PENDING]
    )
    for name, why in unplaced.items():
        assert repr(name) in str(why)
    assert all("fits none of 1 agent(s): cpus" in str(unplaced[t.name]) for t in too_big)
