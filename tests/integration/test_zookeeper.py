"""The ZooKeeper starter gives a working server on loopback."""

from kazoo.client import KazooClient

from frameworkkit.testing.zookeeper import ZooKeeperServer


def test_zookeeper_serves_ephemeral_sequential_nodes(zookeeper: ZooKeeperServer) -> None:
    assert zookeeper.healthy()
    client = KazooClient(hosts=zookeeper.connect_string, timeout=5)
    client.start(timeout=10)
    try:
        client.ensure_path("/zk-check")
        first = client.create("/zk-check/json.info_", b"{}", ephemeral=True, sequence=True)
        second = client.create("/zk-check/json.info_", b"{}", ephemeral=True, sequence=True)
        assert first < second
        assert sorted(client.get_children("/zk-check")) == [
            first.rsplit("/", 1)[1],
            second.rsplit("/", 1)[1],
        ]
    finally:
        client.stop()
        client.close()
