"""The scheduler side: the Framework base class, task specs and handles, state stores."""

from frameworkkit.scheduler.framework import Framework
from frameworkkit.scheduler.packing import PackedExecutor
from frameworkkit.scheduler.spec import TaskSpec, TaskSpecError
from frameworkkit.scheduler.store import FileStateStore, StateStore, ZooKeeperStateStore
from frameworkkit.scheduler.tasks import Task
from frameworkkit.states import TaskState

__all__ = [
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
