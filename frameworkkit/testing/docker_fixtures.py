"""pytest fixtures for the dockerised cluster, started by pytest-docker (opt-in plugin).

Load it from the root ``conftest.py``::

    pytest_plugins = ["frameworkkit.testing.docker_fixtures"]

It sets pytest-docker up for Debian's docker-compose 1.29 (``docker_compose_command`` is
``docker-compose``; ``docker_setup`` is ``["up -d"]``, without which 1.29 prints its usage and
starts nothing) and gives the compose file of a :class:`~frameworkkit.testing.compose.ClusterSpec`.
Fixtures:

* ``mesos_docker`` (session): the :class:`~frameworkkit.testing.docker_cluster.DockerCluster`,
  ready (a leader elected, every agent registered). ``--docker-masters`` (3) and
  ``--docker-agents`` (30) size it.
* ``dockerised_mesos`` (function): the same cluster, healed first (paused containers thawed,
  stopped ones started again), for tests that kill or pause parts of it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from frameworkkit.testing import free_port
from frameworkkit.testing.compose import ClusterSpec
from frameworkkit.testing.docker_cluster import DockerCluster

RESOURCES = "cpus:4;mem:4096;disk:4096;ports:[31000-32000]"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("frameworkkit")
    group.addoption("--docker-masters", type=int, default=3, help="masters (default 3)")
    group.addoption("--docker-agents", type=int, default=30, help="agents in all (default 30)")


@pytest.fixture(scope="session")
def docker_compose_command() -> str:
    return "docker-compose"


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    return ["up -d"]


@pytest.fixture(scope="session")
def docker_cleanup() -> list[str]:
    return ["down -v --remove-orphans"]


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return f"frameworkkit-test-{os.getpid()}"


@pytest.fixture(scope="session")
def mesos_docker_spec(
    request: pytest.FixtureRequest,
    docker_compose_project_name: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> ClusterSpec:
    """What the session's dockerised cluster is: free ports, a temporary work directory."""
    return ClusterSpec(
        name=docker_compose_project_name,
        work_dir=tmp_path_factory.mktemp("docker-cluster"),
        masters=request.config.getoption("--docker-masters"),
        agents=request.config.getoption("--docker-agents"),
        resources=RESOURCES,
        master_port=free_port("127.0.0.2"),
        zk_port=free_port(),
    )


@pytest.fixture(scope="session")
def docker_compose_file(mesos_docker_spec: ClusterSpec) -> str:
    """The compose file, after the engine and the images are made ready."""
    return str(DockerCluster(mesos_docker_spec).prepare(progress=True))


@pytest.fixture(scope="session")
def mesos_docker(
    docker_services: object, mesos_docker_spec: ClusterSpec
) -> Iterator[DockerCluster]:
    """The session's dockerised cluster, once ready; its task containers go at the end."""
    cluster = DockerCluster(mesos_docker_spec).attach()
    try:
        yield cluster
    finally:
        cluster.remove_task_containers()


@pytest.fixture
def dockerised_mesos(mesos_docker: DockerCluster) -> DockerCluster:
    """The session's cluster, whole again after what earlier tests did to it."""
    return mesos_docker.heal()
