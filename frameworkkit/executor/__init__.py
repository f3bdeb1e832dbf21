"""Mesos executors over the v1 HTTP executor API.

- :class:`Executor`: subclass it, override ``launch(task)``, call ``run()``.
- :class:`CommandExecutor`: runs task commands as processes; ``python -m frameworkkit.executor``.
- :class:`ExecutorClient`: the subscription and reliable-update machinery under both.
- :class:`ExecutorEnvironment`: what the agent tells an executor through ``MESOS_*`` variables.
- :func:`task_ports`: the host ports a task was given.
"""

from frameworkkit.executor.base import DEFAULT_KILL_GRACE_PERIOD, Executor
from frameworkkit.executor.client import (
    AgentApi,
    EventHandler,
    EventStream,
    ExecutorClient,
)
from frameworkkit.executor.command import CommandExecutor
from frameworkkit.executor.environment import (
    ExecutorEnvironment,
    ExecutorEnvironmentError,
    parse_duration,
)
from frameworkkit.executor.health import HealthPolicy, HealthReport
from frameworkkit.executor.ports import task_ports

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
