"""Test-harness stand-in for Mesos's ``mesos-docker-executor``; not part of the SDK.

The PyPI Mesos bindings lack the agent's helper programs. An agent's Docker containerizer runs
``<launcher_dir>/mesos-docker-executor --container=NAME --sandbox_directory=... ...`` for a
command task whose container is ``DOCKER``. This stand-in is frameworkkit's command executor
running the task as ``docker run`` of the task's image, named as the agent asked, with the
sandbox mounted at ``--mapped_directory`` and the command run the way Mesos runs it (``/bin/sh
-c`` for a shell command, else the image's entrypoint with the command's words). A kill stops the
container (``docker stop`` with the kill's grace period); a container is always removed at the
end. Networks ``HOST`` and ``NONE`` only: no traffic goes to container-network addresses here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import sys
from collections.abc import Sequence
from typing import Any

import msgspec

from frameworkkit import TaskState
from frameworkkit.executor import CommandExecutor, ExecutorEnvironment, ExecutorEnvironmentError
from frameworkkit.protocol.messages import CommandInfo, TaskInfo

logger = logging.getLogger("frameworkkit.harness.docker_executor")

_NETWORKS = {"HOST": "host", "NONE": "none"}


def parse_flags(argv: Sequence[str]) -> argparse.Namespace:
    """The flags an agent passes to ``mesos-docker-executor`` (unknown ones are ignored)."""
    parser = argparse.ArgumentParser(
        prog="mesos-docker-executor (frameworkkit harness)", add_help=False, allow_abbrev=False
    )
    parser.add_argument("--container", required=True)
    parser.add_argument("--docker", default="docker")
    parser.add_argument("--sandbox_directory", required=True)
    parser.add_argument("--mapped_directory", default="/mnt/mesos/sandbox")
    parser.add_argument("--task_environment", default="{}")
    flags, _ = parser.parse_known_args(argv)
    return flags


def docker_run_argv(task: TaskInfo, flags: argparse.Namespace) -> list[str]:
    """The ``docker run`` command line for ``task``; ValueError for what is not supported."""
    container: dict[str, Any] = task.container or {}
    docker_info: dict[str, Any] = container.get("docker") or {}
    image = docker_info.get("image")
    if container.get("type") != "DOCKER" or not image:
        raise ValueError("the task has no DOCKER container with an image")
    network = str(docker_info.get("network", "HOST"))
    if network not in _NETWORKS:
        raise ValueError(f"network {network} is not supported by this harness (HOST, NONE)")
    command = task.command or CommandInfo()
    environment = dict(json.loads(flags.task_environment))
    if command.environment is not None:
        for variable in command.environment.variables:
            environment.setdefault(variable.name, variable.value or "")
    environment["MESOS_SANDBOX"] = flags.mapped_directory
    environment["MESOS_CONTAINER_NAME"] = flags.container
    argv = [flags.docker, "run", "--rm", "--name", flags.container]
    argv += ["--net", _NETWORKS[network]]
    argv += ["-v", f"{flags.sandbox_directory}:{flags.mapped_directory}"]
    for volume in container.get("volumes", []):
        target = str(volume["container_path"])
        if not target.startswith("/"):
            target = f"{flags.mapped_directory}/{target}"
        source = str(volume.get("host_path") or "")
        if source and not source.startswith("/"):
            source = f"{flags.sandbox_directory}/{source}"
        mode = "ro" if volume.get("mode") == "RO" else "rw"
        argv += ["-v", f"{source}:{target}:{mode}" if source else target]
    for name, value in sorted(environment.items()):
        argv += ["-e", f"{name}={value}"]
    for parameter in docker_info.get("parameters", []):
        argv.append(f"--{parameter['key']}={parameter['value']}")
    if docker_info.get("privileged"):
        argv.append("--privileged")
    shell = command.shell is not False
    if shell:
        if not command.value:
            raise ValueError("a shell command needs a value")
        return [*argv, "--entrypoint", "/bin/sh", str(image), "-c", command.value]
    words = ([command.value] if command.value else []) + list(command.arguments)
    return [*argv, str(image), *words]


class DockerTaskExecutor(CommandExecutor):
    """Runs the one task of a Docker command task as ``docker run`` (see the module doc)."""

    def __init__(self, flags: argparse.Namespace, environment: ExecutorEnvironment) -> None:
        super().__init__(environment)
        self.flags = flags

    async def launch(self, task: TaskInfo) -> None:
        try:
            argv = docker_run_argv(task, self.flags)
        except ValueError as exc:
            self.send_status(task.task_id.value, "TASK_FAILED", f"harness docker executor: {exc}")
            return
        command = CommandInfo(shell=False, value=argv[0], arguments=argv)
        try:
            await super().launch(msgspec.structs.replace(task, command=command, container=None))
        finally:
            await self._docker("rm", "-f", self.flags.container)

    async def kill(self, task_id: str, grace_period: float) -> None:
        await super().kill(task_id, grace_period)  # marks the kill, signals `docker run`
        await self._docker("stop", "-t", str(math.ceil(grace_period)), self.flags.container)

    async def acknowledged(self, task_id: str, state: str) -> None:
        await super().acknowledged(task_id, state)
        if TaskState(state).is_terminal:  # one task per container: done once its end is heard
            self.stop()

    async def _docker(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec(
            self.flags.docker,
            *args,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    flags = parse_flags(sys.argv[1:] if argv is None else argv)
    try:
        environment = ExecutorEnvironment.from_environ()
    except ExecutorEnvironmentError as exc:
        logger.error("cannot start: %s", exc)
        return 2
    logger.info("harness docker executor for container %s", flags.container)
    return DockerTaskExecutor(flags, environment).run()


if __name__ == "__main__":
    sys.exit(main())
