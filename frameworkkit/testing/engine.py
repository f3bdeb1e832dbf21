"""The Docker engine under the dockerised cluster: Debian's ``docker.io`` and ``docker-compose``.

Call :func:`ensure_engine` before building images or starting containers: it installs the
packages (root, ``apt-get``) and, on a machine without systemd, starts ``dockerd`` itself with
host networking only (no bridge, no iptables rules). :func:`docker` runs the Debian client.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from frameworkkit.testing.runtime import InstallError, apt_install, default_home

PACKAGES = ("docker.io", "docker-compose", "debootstrap")
DOCKERD_FLAGS = (
    "--storage-driver=overlay2",
    "--iptables=false",
    "--ip6tables=false",
    "--bridge=none",
)
# Debian's client: the `docker` found first on PATH may be a newer one
_DEBIAN_DOCKER = Path("/usr/bin/docker")
_DEBIAN_COMPOSE = Path("/usr/bin/docker-compose")


class DockerError(RuntimeError):
    """A docker or docker-compose command failed; the message quotes its last output lines."""


def _program(debian: Path, name: str) -> str:
    """Debian's copy of a program if installed, else the first ``name`` on PATH."""
    if debian.is_file():
        return str(debian)
    found = shutil.which(name)
    if found is None:
        raise DockerError(f"{name} is not installed (run: frameworkkit setup --docker)")
    return found


def docker_binary() -> str:
    """The docker client to run: Debian's if installed, else the first on PATH."""
    return _program(_DEBIAN_DOCKER, "docker")


def compose_binary() -> str:
    """Debian's ``docker-compose`` 1.29 (the v2 ``docker compose`` plugin is not packaged)."""
    return _program(_DEBIAN_COMPOSE, "docker-compose")


def run(argv: Sequence[str], *, timeout: float = 600.0, stdin: bytes | None = None) -> str:
    """Run a command; return its stdout, or raise DockerError with the tail of its output."""
    try:
        proc = subprocess.run(
            list(argv), input=stdin, capture_output=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise DockerError(f"command not found: {argv[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise DockerError(f"`{' '.join(argv)}` did not finish in {timeout:g} s") from exc
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).decode(errors="replace").strip()
        tail = "\n".join(output.splitlines()[-8:])
        raise DockerError(f"`{' '.join(argv)}` exited {proc.returncode}:\n{tail}")
    return proc.stdout.decode(errors="replace")


def docker(*args: str, timeout: float = 600.0, stdin: bytes | None = None) -> str:
    """Run the docker client with ``args``; return its stdout."""
    return run([docker_binary(), *args], timeout=timeout, stdin=stdin)


def engine_running() -> bool:
    """True if a Docker engine answers on the default socket."""
    try:
        docker("version", "--format", "{{.Server.Version}}", timeout=20)
    except DockerError:
        return False
    return True


def dockerd_log() -> Path:
    return default_home().parent / "dockerd.log"


def ensure_engine(timeout: float = 60.0) -> None:
    """Install docker.io, docker-compose and debootstrap; start ``dockerd`` unless one answers.

    The engine started here outlives this process (it serves every later command) and logs to
    ``dockerd.log`` beside the Mesos runtime.
    """
    apt_install("docker engine", PACKAGES)
    if engine_running():
        return
    daemon = shutil.which("dockerd")
    if daemon is None:
        raise InstallError("docker engine", "dockerd is missing after installing docker.io")
    log_path = dockerd_log()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [daemon, *DOCKERD_FLAGS],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine_running():
            return
        if process.poll() is not None:
            break
        time.sleep(0.3)
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-6:])
    raise InstallError("docker engine", f"dockerd did not answer (log {log_path}):\n{tail}")


def has_cgroup_v1_cpu(mounts: Path = Path("/proc/mounts")) -> bool:
    """True if a cgroup v1 hierarchy with the ``cpu`` controller is mounted.

    Mesos's Docker containerizer refuses to start without one (a cgroup2-only host).
    """
    for line in mounts.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "cgroup" and "cpu" in fields[3].split(","):
            return True
    return False
