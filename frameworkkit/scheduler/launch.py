"""Turn a placed task into the ``TaskInfo`` Mesos launches: command, env, ports, container."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from frameworkkit.containers import DockerContainer
from frameworkkit.protocol import infos
from frameworkkit.scheduler.spec import TaskSpec


def port_environment(spec: TaskSpec, ports: Sequence[int]) -> dict[str, str]:
    """``PORT0``.., ``PORT_<NAME>`` and ``PORTS`` for the host ports a task was given."""
    env = {f"PORT{i}": str(p) for i, p in enumerate(ports)}
    if not isinstance(spec.ports, int):
        named = zip(spec.ports, ports, strict=False)
        env.update({f"PORT_{n.upper()}": str(p) for n, p in named if isinstance(n, str)})
    if ports:
        env["PORTS"] = ",".join(str(p) for p in ports)
    return env


def task_info(
    spec: TaskSpec,
    task_id: str,
    agent_id: str,
    resources: Sequence[Mapping[str, Any]],
    ports: Sequence[int],
    *,
    executor: Mapping[str, Any] | None = None,
    commands_in_data: bool = True,
) -> dict[str, Any]:
    """The ``TaskInfo`` for one attempt of ``spec`` on ``agent_id`` with the given resources;
    with an ``executor``, the command goes in the task's data (``commands_in_data``) or the
    task's own data stays."""
    env = {**spec.env, **port_environment(spec, ports), "FRAMEWORKKIT_TASK_ID": task_id}
    command: dict[str, Any] | None = None
    if isinstance(spec.command, str):
        command = infos.command_info(spec.command, environment=env)
    elif isinstance(spec.command, list):
        command = infos.command_info(
            spec.command[0], shell=False, arguments=spec.command, environment=env
        )
    elif spec.container is not None:  # run the image's own entrypoint
        command = {"shell": False, "environment": infos.environment(env)}
    container = spec.container
    if isinstance(container, DockerContainer) and container.host_ports_needed():
        container = container.with_host_ports(ports[: container.host_ports_needed()])
    health_check = spec.health_check.resolve_port(ports) if spec.health_check else None
    kill_policy = (
        infos.kill_policy(spec.kill_grace_seconds) if spec.kill_grace_seconds is not None else None
    )
    data = spec.data
    if executor is not None:  # a task of an executor of ours has no command of its own
        if commands_in_data:  # the command executor reads it from the task's data
            data = msgspec.json.encode(command)
        command = None
    return infos.task_info(
        spec.name,
        task_id,
        agent_id,
        resources,
        command=command,
        executor=executor,
        container=container.to_container_info() if container else None,
        health_check=health_check.to_health_check() if health_check else None,
        kill_policy=kill_policy,
        data=data,
        labels=spec.labels or None,
    )
