"""The scheduler side: the Framework base class, task specs and handles, state stores.

Names load their module on first use, so the pymesos-compatible driver can use the subscription
loop without loading the placement engine.
"""

from typing import TYPE_CHECKING

from frameworkkit._lazy import lazy_exports

if TYPE_CHECKING:
    from frameworkkit.scheduler.errors import AccessDenied
    from frameworkkit.scheduler.framework import Framework
    from frameworkkit.scheduler.packing import PackedExecutor
    from frameworkkit.scheduler.spec import TaskSpec, TaskSpecError
    from frameworkkit.scheduler.store import FileStateStore, StateStore, ZooKeeperStateStore
    from frameworkkit.scheduler.tasks import Task
    from frameworkkit.states import TaskState

_EXPORTS = {
    "AccessDenied": "frameworkkit.scheduler.errors",
    "FileStateStore": "frameworkkit.scheduler.store",
    "Framework": "frameworkkit.scheduler.framework",
    "PackedExecutor": "frameworkkit.scheduler.packing",
    "StateStore": "frameworkkit.scheduler.store",
    "Task": "frameworkkit.scheduler.tasks",
    "TaskSpec": "frameworkkit.scheduler.spec",
    "TaskSpecError": "frameworkkit.scheduler.spec",
    "TaskState": "frameworkkit.states",
    "ZooKeeperStateStore": "frameworkkit.scheduler.store",
}


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "AccessDenied",
    "FileStateStore",
    "Framework",
    "PackedExecutor",
    "StateStore",
    "Task",
    "TaskSpec",
    "TaskSpecError",
    "TaskState",
    "ZooKeeperStateStore",
]
