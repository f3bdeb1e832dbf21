"""Mesos executors over the v1 HTTP executor API.

- :class:`Executor`: subclass it, override ``launch(task)``, call ``run()`` (asyncio inside).
- :class:`CommandExecutor`: runs task commands as processes; ``python -m frameworkkit.executor``.
- :class:`ExecutorClient`: the subscription and reliable-update machinery under both.
- :class:`ExecutorEnvironment`: what the agent tells an executor through ``MESOS_*`` variables.
- :func:`task_ports`: the host ports a task was given.

Names load their module on first use: the command executor, started once per task, never loads
asyncio, and no executor loads httpx, the scheduler or the placement engine.
"""

from frameworkkit._lazy import lazy_exports as _lazy_exports

_TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if _TYPE_CHECKING:
    from frameworkkit.executor.base import Executor
    from frameworkkit.executor.client import ExecutorClient
    from frameworkkit.executor.command import CommandExecutor
    from frameworkkit.executor.environment import (
        ExecutorEnvironment,
        ExecutorEnvironmentError,
        parse_duration,
    )
    from frameworkkit.executor.health import HealthPolicy, HealthReport
    from frameworkkit.executor.interfaces import AgentApi, EventHandler, EventStream
    from frameworkkit.executor.ports import task_ports
    from frameworkkit.executor.rules import DEFAULT_KILL_GRACE_PERIOD

_MODULES = {
    "base": ("Executor",),
    "client": ("ExecutorClient",),
    "command": ("CommandExecutor",),
    "environment": ("ExecutorEnvironment", "ExecutorEnvironmentError", "parse_duration"),
    "health": ("HealthPolicy", "HealthReport"),
    "interfaces": ("AgentApi", "EventHandler", "EventStream"),
    "ports": ("task_ports",),
    "rules": ("DEFAULT_KILL_GRACE_PERIOD",),
}
__getattr__ = _lazy_exports(
    __name__,
    {name: f"{__name__}.{module}" for module, names in _MODULES.items() for name in names},
)

__all__ = [
    "DEFAULT_KILL_GRACE_PERIOD",
    "AgentApi",
    "CommandExecutor",
    "EventHandler",
    "EventStream",
    "Executor",
    "ExecutorClient",
    "ExecutorEnvironment",
    "ExecutorEnvironmentError",
    "HealthPolicy",
    "HealthReport",
    "parse_duration",
    "task_ports",
]
