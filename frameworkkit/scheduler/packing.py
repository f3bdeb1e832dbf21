"""One long-lived executor per agent that runs many of the framework's tasks (packing).

Use :class:`PackedExecutor` when tasks are short or many: the agent starts one executor per agent
for the framework instead of one per task, which saves an executor start-up per task. By default
the executor is frameworkkit's command executor (``python -m frameworkkit.executor --multi_task``),
which must then be installed on the agents; ``command`` names another one: a subclass of
:class:`~frameworkkit.executor.CommandExecutor`, or, with ``commands=False``, your own
:class:`~frameworkkit.executor.Executor`, whose tasks get their ``TaskSpec.data`` as ``task.data``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from frameworkkit import validation
from frameworkkit.containers import Container
from frameworkkit.protocol import infos
from frameworkkit.scheduler.spec import TaskSpec


class PackedExecutor(msgspec.Struct, frozen=True, kw_only=True):
    """The executor every task of the framework runs in, one per agent (or one per task).

    ``cpus``/``mem``/``disk`` are the executor's own share, taken from the first offer of an
    agent that does not run it yet. With ``per_task`` each task gets an executor of its own
    instead, whose id is the task's Mesos task id and whose share is taken with the task's
    resources: for long-lived tasks that must each be a process of their own, as Spark's
    executors are. With ``commands`` (the default) each task's command travels in
    its ``TaskInfo.data`` as a JSON ``CommandInfo`` (Mesos refuses a task with both a command and
    an executor), so its ``TaskSpec.data`` must stay empty; with ``commands=False`` tasks have no
    command and their ``TaskSpec.data`` is the ``TaskInfo.data`` the executor's ``launch`` gets.
    ``container`` runs the executor in a container (e.g. a Docker image holding your code).
    """

    executor_id: str = "frameworkkit-packed"
    cpus: float = 0.1
    mem: float = 64.0
    disk: float = 0.0
    command: str | None = None
    commands: bool = True
    container: Container | None = None
    per_task: bool = False

    def __post_init__(self) -> None:
        for field in ("cpus", "mem", "disk"):
            validation.number(f"PackedExecutor.{field}", getattr(self, field))
        validation.flag("PackedExecutor.commands", self.commands)
        validation.flag("PackedExecutor.per_task", self.per_task)
        if not self.commands and self.command is None:
            raise ValueError(
                "PackedExecutor.commands: False needs a command that starts your own executor"
            )
        if not self.executor_id or "/" in self.executor_id:
            raise ValueError(f"PackedExecutor.executor_id: {self.executor_id!r} is not usable")

    @property
    def scalars(self) -> dict[str, float]:
        """The executor's scalar resources, by name (zeros left out)."""
        amounts = {"cpus": self.cpus, "mem": self.mem, "disk": self.disk}
        return {name: value for name, value in amounts.items() if value}

    def executor_info(
        self,
        framework_id: str,
        resources: Sequence[Mapping[str, Any]],
        executor_id: str | None = None,
    ) -> dict[str, Any]:
        """The ``ExecutorInfo``; identical for every task on an agent, as Mesos requires
        (``executor_id``, for a ``per_task`` executor, in place of the shared one)."""
        command = self.command or f'"{sys.executable}" -m frameworkkit.executor --multi_task'
        return infos.executor_info(
            executor_id or self.executor_id,
            command=infos.command_info(command),
            executor_type="CUSTOM",
            framework_id=framework_id,
            name="frameworkkit packed executor",
            resources=resources,
            container=self.container.to_container_info() if self.container else None,
        )


def check_runs(executor: PackedExecutor | None, spec: TaskSpec, field: str) -> None:
    """Refuse a task that cannot run the way the framework runs its tasks: what a task hands
    its executor must be what that executor reads (``field`` names the task in the error)."""
    if executor is None:
        if spec.command is None and spec.container is None:
            raise ValueError(
                f"{field}.command: a task run by Mesos's command executor needs a command "
                f"(or a container whose entrypoint runs)"
            )
    elif executor.commands and spec.data is not None:
        raise ValueError(
            f"{field}.data: the packed command executor reads the task's command from its "
            f"data; use PackedExecutor(commands=False) for your own executor"
        )
    elif not executor.commands and spec.command is not None:
        raise ValueError(
            f"{field}.command: your own executor (commands=False) gets the task's data, "
            f"not a command"
        )
