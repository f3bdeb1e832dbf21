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
import json
import logging
import math
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from frameworkkit.executor import CommandExecutor, ExecutorEnvironment, ExecutorEnvironmentError

JsonDict = dict[str, Any]

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


def docker_run_argv(task: JsonDict, flags: argparse.Namespace) -> list[str]:
    """The ``docker run`` command line for ``task`` (TaskInfo JSON); ValueError for what is not
    supported."""
    container: JsonDict = task.get("container") or {}
    docker_info: JsonDict = container.get("docker") or {}
    image = docker_info.get("image")
    if container.get("type") != "DOCKER" or not image:
        raise ValueError("the task has no DOCKER container with an image")
    network = str(docker_info.get("network", "HOST"))
    if network not in _NETWORKS:
        raise ValueError(f"network {network} is not supported by this harness (HOST, NONE)")
    command: JsonDict = task.get("command") or {}
    environment = dict(json.loads(flags.task_environment))
    for variable in (command.get("environment") or {}).get("variables", []):
        environment.setdefault(variable["name"], variable.get("value") or "")
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
    value = command.get("value")
    if command.get("shell", True) is not False:
        if not value:
            raise ValueError("a shell command needs a value")
        return [*argv, "--entrypoint", "/bin/sh", str(image), "-c", str(value)]
    words = ([str(value)] if value else []) + [str(a) for a in command.get("arguments", [])]
    return [*argv, str(image), *words]


class DockerTaskExecutor(CommandExecutor):
    """Runs the one task of a Docker command task as ``docker run`` (see the module doc)."""

    def __init__(self, flags: argparse.Namespace, environment: ExecutorEnvironment) -> None:
        super().__init__(environment)
        self.flags = flags

    def _launch(self, task_id: str, task: JsonDict) -> None:
        try:
            argv = docker_run_argv(task, self.flags)
        except ValueError as exc:
            self.send_status(task_id, "TASK_FAILED", f"harness docker executor: {exc}")
            return
        plain = {key: value for key, value in task.items() if key != "container"}
        plain["command"] = {"shell": False, "value": argv[0], "arguments": argv}
        super()._launch(task_id, plain)

    def _kill(self, run: Any, grace_period: float) -> None:
        super()._kill(run, grace_period)  # marks the kill, signals `docker run`
        self._docker("stop", "-t", str(math.ceil(grace_period)), self.flags.container)

    def _waited(self, run: Any, returncode: int | None, error: BaseException | None) -> None:
        self._docker("rm", "-f", self.flags.container)  # a container is always removed
        super()._waited(run, returncode, error)

    def _docker(self, *args: str) -> None:
        subprocess.run(
            [self.flags.docker, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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
