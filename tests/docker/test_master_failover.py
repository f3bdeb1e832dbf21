"""Master failover on the dockerised cluster: the leader killed, frozen, ZooKeeper restarted.

Each master here is standalone (no replicated registry), so a failover also loses the old
leader's agents: the framework must find the new leader through ZooKeeper, re-subscribe with the
same framework id, learn by reconciliation that its tasks are gone, and relaunch them.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

from frameworkkit import TaskSpec, TaskState
from frameworkkit.testing.docker_cluster import DockerCluster
from frameworkkit.transport import EndReason
from tests.docker.support import (
    PACKED,
    counting,
    framework_on,
    recording,
    wait_until,
    waiting_tasks,
)

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]


async def test_leader_killed_with_300_tasks_in_flight(
    dockerised_mesos: DockerCluster, tmp_path: Path
) -> None:
    cluster = dockerised_mesos
    old = cluster.leader()
    release = cluster.spec.work_dir / f"release-{uuid.uuid4().hex}"
    fw = counting("docker-failover-load")(
        cluster.url, state_dir=tmp_path / "state", executor=PACKED
    )
    handles = fw.submit_many(waiting_tasks("load", 300, release))
    runner = asyncio.create_task(fw.run_async(timeout=840, teardown=True))

    took = await wait_until(
        lambda: all(h.state is TaskState.TASK_RUNNING for h in handles),
        300,
        "300 tasks running",
        runner,
    )
    print(f"\n300 tasks running on {old.address} after {took:.1f} s")
    in_flight = sum(not h.done for h in handles)
    framework_id, subscribed = fw.framework_id, len(fw.subscriptions)
    assert framework_id is not None and in_flight == 300

    killed_at = time.monotonic()
    await asyncio.to_thread(cluster.kill, old)
    await wait_until(lambda: len(fw.subscriptions) > subscribed, 180, "re-subscription", runner)
    resubscribed_after = fw.subscriptions[-1][0] - killed_at
    new = cluster.leader()
    print(f"killed leader {old.address}: re-subscribed to {new.address}", end=" ")
    print(f"after {resubscribed_after:.1f} s")
    assert new != old
    assert fw.subscriptions[-1][1] == framework_id
    assert (framework_on(new, framework_id) or {}).get("active") is True

    took = await wait_until(
        lambda: all(h.state is TaskState.TASK_RUNNING for h in handles),
        300,
        "the lost tasks relaunched and running",
        runner,
    )
    relaunched = sum(h.relaunches for h in handles)
    print(f"{relaunched} tasks relaunched, all running again {took:.1f} s after re-subscribing")
    release.touch()
    await asyncio.wait_for(runner, 300)

    assert [h.state for h in handles] == [TaskState.TASK_FINISHED] * 300
    assert fw.finished == {h.key: 1 for h in handles}  # each finished exactly once
    assert not fw.failed
    # every task was on the killed leader's agents: relaunched once, no retry spent
    assert all(h.relaunches >= 1 and h.retries == 0 for h in handles)


async def test_paused_leader_is_left_behind_and_reports_nothing_twice(
    dockerised_mesos: DockerCluster, tmp_path: Path
) -> None:
    """Two frameworks on a leader that is frozen: one follows ZooKeeper, one has a fixed list
    of masters and only its missed-heartbeat watchdog can tell that the leader went silent."""
    cluster = dockerised_mesos
    old = cluster.leader()
    others = [m for m in cluster.masters if m != old]
    release = cluster.spec.work_dir / f"release-{uuid.uuid4().hex}"
    via_zk = counting("docker-pause-zk")(cluster.url, state_dir=tmp_path / "zk", executor=PACKED)
    via_list = counting("docker-pause-list")(
        [old.address, *(m.address for m in others)], state_dir=tmp_path / "list", executor=PACKED
    )
    zk_tasks = via_zk.submit_many(waiting_tasks("zk", 20, release))
    list_tasks = via_list.submit_many(waiting_tasks("list", 20, release))
    with recording("frameworkkit.scheduler") as log:
        runners = [
            asyncio.create_task(fw.run_async(timeout=840, teardown=True))
            for fw in (via_zk, via_list)
        ]
        await wait_until(
            lambda: all(h.state is TaskState.TASK_RUNNING for h in zk_tasks + list_tasks),
            180,
            "40 tasks running",
            *runners,
        )
        subscribed = {fw.name: len(fw.subscriptions) for fw in (via_zk, via_list)}
        paused_at = time.monotonic()
        await asyncio.to_thread(cluster.pause, old)

        await wait_until(
            lambda: len(via_zk.subscriptions) > subscribed[via_zk.name], 120, "zk re-subscription"
        )
        ended = log.first(via_zk.name, "ended")
        print(f"\npaused leader {old.address}")
        print(
            f"zk framework: re-subscribed after {via_zk.subscriptions[-1][0] - paused_at:.1f} s"
            f" ({'' if ended is None else ended[1]})"
        )
        await wait_until(
            lambda: log.first(via_list.name, EndReason.HEARTBEAT_MISSED.value) is not None,
            150,
            "the watchdog of the framework with a fixed master list",
            *runners,
        )
        fired = log.first(via_list.name, EndReason.HEARTBEAT_MISSED.value)
        assert fired is not None
        print(f"list framework: watchdog ended its subscription after {fired[0] - paused_at:.1f} s")
        await wait_until(
            lambda: len(via_list.subscriptions) > subscribed[via_list.name],
            120,
            "the list framework re-subscribed elsewhere while the old leader is still frozen",
            *runners,
        )
        print(
            "list framework: re-subscribed to another master "
            f"{via_list.subscriptions[-1][0] - fired[0]:.1f} s after its watchdog fired"
        )
        await asyncio.to_thread(cluster.unpause, old)
        await wait_until(
            lambda: cluster.state(old.container) == "exited",
            60,
            "the thawed old leader exits (its ZooKeeper session expired while it led)",
        )
        await wait_until(
            lambda: all(h.state is TaskState.TASK_RUNNING for h in zk_tasks + list_tasks),
            180,
            "every task running again",
            *runners,
        )
        release.touch()
        await asyncio.wait_for(asyncio.gather(*runners), 300)

    for fw, handles in ((via_zk, zk_tasks), (via_list, list_tasks)):
        ids = {framework_id for _, framework_id in fw.subscriptions}
        assert len(ids) == 1, ids  # re-subscribed with the same framework id
        assert [h.state for h in handles] == [TaskState.TASK_FINISHED] * 20
        assert fw.finished == {h.key: 1 for h in handles}
        assert not fw.failed


async def test_zookeeper_restart_then_failover_is_still_followed(
    dockerised_mesos: DockerCluster, tmp_path: Path
) -> None:
    cluster = dockerised_mesos
    fw = counting("docker-zk-restart")(cluster.url, state_dir=tmp_path / "state", executor=PACKED)
    runner = asyncio.create_task(fw.run_async("forever", timeout=840))
    first = fw.submit_many(TaskSpec(name=f"before-{i}", command="true") for i in range(10))
    await wait_until(lambda: all(h.done for h in first), 120, "10 tasks done", runner)
    znodes_before, _ = cluster.contenders()

    restarted_at = time.monotonic()
    await asyncio.to_thread(cluster.restart_zookeeper)
    took = await wait_until(lambda: not cluster.not_ready(), 120, "cluster ready again")
    znodes_after, leader = cluster.contenders()
    print(
        f"\nZooKeeper restarted, cluster ready after {time.monotonic() - restarted_at:.1f} s;"
        f" contenders {'kept their sessions' if znodes_after == znodes_before else 're-announced'}"
        f" ({took:.1f} s waiting)"
    )
    assert leader is not None

    second = fw.submit_many(TaskSpec(name=f"after-{i}", command="true") for i in range(10))
    await wait_until(lambda: all(h.done for h in second), 120, "10 tasks after the restart", runner)
    subscribed = len(fw.subscriptions)
    killed_at = time.monotonic()
    await asyncio.to_thread(cluster.kill, leader)
    await wait_until(lambda: len(fw.subscriptions) > subscribed, 180, "re-subscription", runner)
    print(f"leader killed: re-subscribed after {fw.subscriptions[-1][0] - killed_at:.1f} s")
    third = fw.submit_many(TaskSpec(name=f"later-{i}", command="true") for i in range(10))
    await wait_until(lambda: all(h.done for h in third), 120, "10 tasks on the new leader", runner)
    fw.stop(teardown=True)
    await asyncio.wait_for(runner, 60)

    handles = first + second + third
    assert [h.state for h in handles] == [TaskState.TASK_FINISHED] * 30
    assert fw.finished == {h.key: 1 for h in handles}
    assert len({framework_id for _, framework_id in fw.subscriptions}) == 1
