"""Real Mesos for tests and demos: the embedded cluster, ZooKeeper, and the pytest plugin."""

from frameworkkit.testing.embedded import ClusterError, EmbeddedCluster
from frameworkkit.testing.processes import free_port
from frameworkkit.testing.runtime import InstallError, ensure_runtime

__all__ = ["ClusterError", "EmbeddedCluster", "InstallError", "ensure_runtime", "free_port"]
