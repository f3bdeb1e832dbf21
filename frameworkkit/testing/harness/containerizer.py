"""Test-harness stand-in for Mesos's ``mesos-containerizer launch``; not part of the SDK.

The PyPI Mesos bindings lack the agent's helper programs. A local-mode agent runs
``<launcher_dir>/mesos-containerizer launch`` and passes its flags as environment variables; this
program does what the real one does for the posix launcher: waits for the agent's go-ahead on the
pipe, sets the environment and working directory, sends stdout/stderr to the sandbox files, runs
the pre-exec commands and execs the executor's command.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # typing's would load typing: this runs once per task
if TYPE_CHECKING:
    from typing import Any


def _wait_for_agent() -> None:
    """Close our copy of the pipe's write end and block until the agent writes its byte."""
    read_fd = os.environ.get("MESOS_CONTAINERIZER_PIPE_READ")
    write_fd = os.environ.get("MESOS_CONTAINERIZER_PIPE_WRITE")
    if write_fd:
        os.close(int(write_fd))
    if read_fd:
        os.read(int(read_fd), 1)
        os.close(int(read_fd))


def _program(command: dict[str, Any]) -> tuple[str, list[str]]:
    """The file to execute and its argv, from a CommandInfo (argv[0] included, as Mesos does)."""
    value = str(command.get("value", ""))
    if command.get("shell", True):
        return "/bin/sh", ["sh", "-c", value]
    return value, [str(a) for a in command.get("arguments", [])] or [value]


def _redirect_output(sandbox: str) -> None:
    for fd, name in ((1, "stdout"), (2, "stderr")):
        target = os.open(os.path.join(sandbox, name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)


def launch(info: dict[str, Any]) -> None:
    """Run the container described by a ContainerLaunchInfo (JSON form); never returns."""
    _wait_for_agent()
    variables = info.get("environment", {}).get("variables", [])
    if variables:
        os.environ.clear()
        os.environ.update({v["name"]: str(v.get("value", "")) for v in variables})
    sandbox = info.get("working_directory") or os.environ.get("MESOS_SANDBOX")
    if sandbox:
        os.chdir(sandbox)
        _redirect_output(sandbox)
    pre_exec = info.get("pre_exec_commands", [])
    if pre_exec:
        import subprocess  # rarely needed: kept off the start of every task
    for pre in pre_exec:
        program, args = _program(pre)
        status = subprocess.call(args, executable=program)
        if status != 0:
            print(f"pre-exec command {pre.get('value')!r} exited {status}", file=sys.stderr)
            os._exit(1)
    program, args = _program(info["command"])
    os.execvp(program, args)


def main() -> None:
    if sys.argv[1:2] != ["launch"]:
        print("harness mesos-containerizer supports only 'launch'", file=sys.stderr)
        sys.exit(2)
    launch(json.loads(os.environ["MESOS_CONTAINERIZER_LAUNCH_INFO"]))


if __name__ == "__main__":
    main()
