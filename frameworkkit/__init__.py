"""frameworkkit: write Apache Mesos 1.11 frameworks in Python.

Subclass :class:`Framework`, :meth:`~Framework.submit` :class:`TaskSpec` objects and
:meth:`~Framework.run`; see the documentation for executors, placement and containers.
"""

from frameworkkit._lazy import lazy_exports as _lazy_exports

_TYPE_CHECKING = False  # typing's would load typing, at every executor's start

if _TYPE_CHECKING:
    from frameworkkit.containers import (
        DockerContainer,
        HealthCheck,
        MesosContainer,
        PortMapping,
        Volume,
    )
    from frameworkkit.executor import CommandExecutor, Executor
    from frameworkkit.placement import Constraint
    from frameworkkit.scheduler import (
        AccessDenied,
        FileStateStore,
        Framework,
        PackedExecutor,
        StateStore,
        Task,
        TaskSpec,
        TaskSpecError,
        ZooKeeperStateStore,
    )
    from frameworkkit.states import TaskState
    from frameworkkit.transport import Secret, TransportOptions

# Exported names load their module on first use, so `python -m frameworkkit.executor` (started once
# per task on an agent) does not pay for the scheduler and the placement engine.
_EXPORTS = {
    "AccessDenied": "frameworkkit.scheduler",
    "DockerContainer": "frameworkkit.containers",
    "HealthCheck": "frameworkkit.containers",
    "MesosContainer": "frameworkkit.containers",
    "PortMapping": "frameworkkit.containers",
    "Volume": "frameworkkit.containers",
    "FileStateStore": "frameworkkit.scheduler",
    "Framework": "frameworkkit.scheduler",
    "PackedExecutor": "frameworkkit.scheduler",
    "StateStore": "frameworkkit.scheduler",
    "Task": "frameworkkit.scheduler",
    "TaskSpec": "frameworkkit.scheduler",
    "TaskSpecError": "frameworkkit.scheduler",
    "TaskState": "frameworkkit.states",
    "ZooKeeperStateStore": "frameworkkit.scheduler",
    "CommandExecutor": "frameworkkit.executor",
    "Executor": "frameworkkit.executor",
    "Constraint": "frameworkkit.placement",
    "Secret": "frameworkkit.transport",
    "TransportOptions": "frameworkkit.transport",
}


__getattr__ = _lazy_exports(__name__, _EXPORTS)


__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "CommandExecutor",
    "Constraint",
    "DockerContainer",
    "Executor",
    "FileStateStore",
    "Framework",
    "HealthCheck",
    "MesosContainer",
    "PackedExecutor",
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
