"""zk:// master detection and ZooKeeper-kept framework state, with a real master and ZooKeeper."""

import asyncio
from pathlib import Path

from frameworkkit.scheduler import Framework, TaskSpec, TaskState, ZooKeeperStateStore
from frameworkkit.testing import EmbeddedCluster, free_port
from frameworkkit.testing.contender import MasterContender, master_info
from frameworkkit.testing.zookeeper import ZooKeeperServer
from frameworkkit.transport import ZooKeeperDetector


def test_a_framework_finds_the_master_through_zookeeper_and_keeps_state_there(
    mesos_cluster: EmbeddedCluster, zookeeper: ZooKeeperServer, tmp_path: Path
) -> None:
    with MasterContender(zookeeper.connect_string, "/mesos-a", mesos_cluster.url):
        store = ZooKeeperStateStore(zookeeper.connect_string, "/ha-framework")
        fw = Framework(f"zk://{zookeeper.connect_string}/mesos-a", store=store)
        handles = fw.submit_many(TaskSpec(name=f"zk-{i}", command="true") for i in range(3))
        fw.put_data("progress", "submitted 3")
        fw.put_data("scratch", "gone soon")
        fw.put_data("scratch", None)
        fw.run(timeout=120)
        assert [h.state for h in handles] == [TaskState.TASK_FINISHED] * 3
        store.close()

    again = ZooKeeperStateStore(zookeeper.connect_string, "/ha-framework")
    state = again.load()
    again.close()
    assert state.framework_id == fw.framework_id
    assert state.data == {"progress": "submitted 3"}
    assert sorted((t.spec["name"], t.state) for t in state.tasks) == [
        (f"zk-{i}", "TASK_FINISHED") for i in range(3)
    ]


def test_the_lowest_znode_leads_and_its_withdrawal_hands_over(
    mesos_cluster: EmbeddedCluster, zookeeper: ZooKeeperServer
) -> None:
    standby = EmbeddedCluster(agents=1, port=free_port())

    async def scenario() -> tuple[str, str]:
        first = MasterContender(zookeeper.connect_string, "/mesos-b", mesos_cluster.url).start()
        second = MasterContender(zookeeper.connect_string, "/mesos-b", standby.url).start()
        detector = ZooKeeperDetector(f"zk://{zookeeper.connect_string}/mesos-b")
        try:
            leader = await asyncio.wait_for(detector.leader(), 20)
            assert first.znode is not None and second.znode is not None
            assert first.znode < second.znode
            first.close()  # the leader withdraws: its ephemeral node goes at once
            return leader, await asyncio.wait_for(detector.wait_for_change(leader), 20)
        finally:
            second.close()
            await detector.aclose()

    with standby:
        leader, after = asyncio.run(scenario())
    assert leader == url_of(master_info(mesos_cluster.url))
    assert after == standby.url


def url_of(info: dict[str, object]) -> str:
    address = info["address"]
    assert isinstance(address, dict)
    return f"http://{address['ip']}:{address['port']}"
