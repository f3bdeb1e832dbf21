"""pytest plugin: real Mesos fixtures for frameworkkit's tests and for users' own framework tests.

Installed with frameworkkit (entry point ``pytest11``). Fixtures:

* ``mesos_cluster`` (session): an :class:`EmbeddedCluster` with ``--mesos-agents`` agents (default
  10) on a free loopback port; ``.url``, ``.agents``, ``.state()``, ``.stop()``, ``.restart()``.
  ``--mesos-credentials FILE`` and ``--mesos-acls FILE`` secure it (see ``EmbeddedCluster``).
* ``zookeeper`` (session): a :class:`ZooKeeperServer` on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from frameworkkit.testing.embedded import EmbeddedCluster
from frameworkkit.testing.processes import free_port
from frameworkkit.testing.zookeeper import ZooKeeperServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("frameworkkit")
    group.addoption(
        "--mesos-agents",
        type=int,
        default=10,
        help="number of agents of the session's embedded Mesos cluster (default 10)",
    )
    group.addoption(
        "--mesos-credentials",
        default=None,
        help="credentials file: the session's cluster requires framework authentication",
    )
    group.addoption(
        "--mesos-acls", default=None, help="ACLs file the session's cluster authorizes by"
    )


@pytest.fixture(scope="session")
def mesos_cluster(request: pytest.FixtureRequest) -> Iterator[EmbeddedCluster]:
    """A real Mesos 1.11 master with agents, shared by the whole test session."""
    option = request.config.getoption
    cluster = EmbeddedCluster(
        agents=option("--mesos-agents"),
        port=free_port(),
        credentials=option("--mesos-credentials"),
        acls=option("--mesos-acls"),
    )
    with cluster:
        yield cluster


@pytest.fixture(scope="session")
def zookeeper() -> Iterator[ZooKeeperServer]:
    """A ZooKeeper server on loopback, shared by the whole test session."""
    with ZooKeeperServer(port=free_port()) as server:
        yield server
