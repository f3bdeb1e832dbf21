"""The host ports a task was given, as its executor reads them from the task's ``TaskInfo``."""

from __future__ import annotations

from frameworkkit.protocol.messages import TaskInfo

__all__ = ["task_ports"]


def task_ports(task: TaskInfo) -> list[int]:
    """The host ports in ``task``'s ``ports`` resources, in ascending order.

    A task of your own executor carries no command, hence no ``PORT0`` variables: this is
    where its ports are, e.g. ``port = task_ports(task)[0]`` for ``TaskSpec(ports=1)``.
    """
    return sorted(
        port
        for resource in task.resources
        if resource.name == "ports" and resource.ranges is not None
        for span in resource.ranges.range
        for port in range(span.begin, span.end + 1)
    )
