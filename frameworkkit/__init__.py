"""frameworkkit: write Apache Mesos 1.11 frameworks in Python.

Subclass :class:`Framework`, :meth:`~Framework.submit` :class:`TaskSpec` objects and
:meth:`~Framework.run`; see the documentation for executors, placement and containers.
"""

from frameworkkit.containers import (
    DockerContainer,
    HealthCheck,
    KillPolicy,
    MesosContainer,
    PortMapping,
    Volume,
)
from frameworkkit.scheduler import (
    FileStateStore,
    Framework,
    StateStore,
    Task,
    TaskSpec,
    TaskSpecError,
    TaskState,
    ZooKeeperStateStore,
)
from frameworkkit.transport import Secret, TransportOptions

__version__ = "0.1.0"

__all__ = [
    "DockerContainer",
    "FileStateStore",
    "Framework",
    "HealthCheck",
    "KillPolicy",
    "MesosContainer",
    "PortMapping",
    "Secret",
    "StateStore",
    "Task",
    "TaskSpec",
    "TaskSpecError",
    "TaskState",
    "TransportOptions",
    "Volume",
    "ZooKeeperStateStore",
    "__version__",
]
