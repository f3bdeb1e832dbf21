"""The embedded cluster is a real Mesos 1.11 master with real agents, like mesos-master."""

from frameworkkit.testing import EmbeddedCluster
from tests.integration.streams import subscribe_until_offers


def test_master_reports_version_and_every_agent(mesos_cluster: EmbeddedCluster) -> None:
    assert mesos_cluster.version() == "1.11.0"
    state = mesos_cluster.state()
    assert state["version"] == "1.11.0"
    assert int(state["activated_slaves"]) == mesos_cluster.agents
    assert len(state["slaves"]) == mesos_cluster.agents
    assert all(agent["resources"]["cpus"] == 2.0 for agent in state["slaves"])


def test_scheduler_api_streams_subscribed_then_offers(mesos_cluster: EmbeddedCluster) -> None:
    events = subscribe_until_offers(mesos_cluster.url)
    assert b'"type":"SUBSCRIBED"' in events[0]
    assert b'"heartbeat_interval_seconds":15.0' in events[0]
    offers = next(e for e in events if b'"type":"OFFERS"' in e)
    assert b'"name":"cpus"' in offers
