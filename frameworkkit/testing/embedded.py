"""An embedded real Mesos 1.11 cluster: one master and N agents in one local process.

Use it to run frameworks and tests against real Mesos on one machine::

    with EmbeddedCluster(agents=10) as cluster:
        fw = MyFramework(master=cluster.url)

The master answers ``/api/v1/scheduler``, ``/state`` and ``/version`` at the root, like a
``mesos-master``. All agents share the loopback host name and the same resources and attributes.
The agent helper programs Mesos ships but the PyPI bindings lack are supplied by harness
stand-ins (see :mod:`frameworkkit.testing.harness`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from frameworkkit.executor.command import command_line
from frameworkkit.testing.processes import LocalService
from frameworkkit.testing.runtime import Runtime, ensure_runtime

DEFAULT_RESOURCES = "cpus:2;mem:4096;disk:4096;ports:[31000-32000]"
_HARNESS = Path(__file__).parent / "harness"


class ClusterError(RuntimeError):
    """The embedded cluster did not start or stopped unexpectedly; the message quotes its log."""


_DOCKER_EXECUTOR = "frameworkkit.testing.harness.docker_executor"


def _harness_launcher_dir(root: Path) -> Path:
    """Write the agent helper programs (harness stand-ins) for this Python into ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    programs = {
        # both start once per task, in isolated mode (no site): in milliseconds
        "mesos-containerizer": f'"{sys.executable}" -I -S "{_HARNESS / "containerizer.py"}"',
        "mesos-executor": command_line(),
        "mesos-docker-executor": f'"{sys.executable}" -m {_DOCKER_EXECUTOR}',
    }
    for name, command in programs.items():
        path = root / name
        path.write_text(
            "#!/bin/sh\n"
            f"# frameworkkit test harness stand-in for Mesos's {name}; not part of the SDK.\n"
            f'exec {command} "$@"\n'
        )
        path.chmod(0o755)
    return root


def _existing_file(field: str, path: Path | str | None) -> Path | None:
    if path is None:
        return None
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        raise ValueError(f"{field}: no such file: {str(path)!r}")
    return resolved


class EmbeddedCluster(LocalService):
    """A real Mesos 1.11 master with ``agents`` real agents, started in a background process.

    ``resources`` and ``attributes`` use the agent flag syntax (``cpus:2;mem:4096``,
    ``rack:r1;zone:a``). ``ip`` may be any 127.0.0.x address. With ``credentials`` (a Mesos
    credentials file: JSON ``{"credentials": [{"principal": ..., "secret": ...}]}`` or
    ``principal secret`` lines) the master requires HTTP basic authentication of frameworks;
    ``acls`` (a file of Mesos ACLs as JSON) makes it authorize them. Only the files' paths go to
    the cluster's flags, never their contents. ``extra_env`` adds or overrides
    ``MESOS_*``/``LIBPROCESS_*`` flags for the master and agents. A ``detached`` cluster
    outlives the process that started it (the CLI's ``cluster up``); otherwise it stops by
    itself when that process ends.
    """

    def __init__(
        self,
        agents: int = 3,
        *,
        ip: str = "127.0.0.1",
        port: int = 5050,
        resources: str = DEFAULT_RESOURCES,
        attributes: str | None = None,
        work_dir: Path | str | None = None,
        credentials: Path | str | None = None,
        acls: Path | str | None = None,
        extra_env: Mapping[str, str] | None = None,
        runtime: Runtime | None = None,
        progress: bool = False,
        detached: bool = False,
    ) -> None:
        if agents < 1:
            raise ValueError(f"agents: need at least 1 agent, got {agents}")
        if not 0 < port < 65536:
            raise ValueError(f"port: {port} is not a TCP port")
        if not ip.startswith("127."):
            raise ValueError(f"ip: the embedded cluster binds loopback only, got {ip!r}")
        self.agents = agents
        self.ip = ip
        self.port = port
        self.resources = resources
        self.attributes = attributes
        self.credentials = _existing_file("credentials", credentials)
        self.acls = _existing_file("acls", acls)
        self.extra_env = dict(extra_env or {})
        self._runtime = runtime
        self._progress = progress
        self._detached = detached
        super().__init__(work_dir, "frameworkkit-mesos-")

    @property
    def url(self) -> str:
        """The master's base URL, e.g. ``http://127.0.0.1:5050``."""
        return f"http://{self.ip}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "cluster.log"

    def environment(self) -> dict[str, str]:
        """The ``MESOS_*``/``LIBPROCESS_*`` flags the cluster process is started with."""
        env = {
            "MESOS_NUM_SLAVES": str(self.agents),
            "MESOS_WORK_DIR": str(self.work_dir / "mesos"),
            "MESOS_LAUNCHER": "posix",
            "MESOS_ISOLATION": "posix/cpu,posix/mem",
            "MESOS_CONTAINERIZERS": "mesos",
            "MESOS_SYSTEMD_ENABLE_SUPPORT": "false",
            "MESOS_REGISTRY": "in_memory",
            "MESOS_RESOURCES": self.resources,
            "MESOS_LAUNCHER_DIR": str(_harness_launcher_dir(self.work_dir / "launcher")),
            "MESOS_HOSTNAME": "localhost",
            "LIBPROCESS_IP": self.ip,
            "LIBPROCESS_PORT": str(self.port),
        }
        if self.attributes:
            env["MESOS_ATTRIBUTES"] = self.attributes
        if self.credentials is not None:
            env["MESOS_AUTHENTICATE_HTTP_FRAMEWORKS"] = "true"
            env["MESOS_HTTP_FRAMEWORK_AUTHENTICATORS"] = "basic"
            env["MESOS_CREDENTIALS"] = str(self.credentials)
        if self.acls is not None:
            env["MESOS_ACLS"] = f"file://{self.acls}"
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 60.0) -> EmbeddedCluster:
        """Start the cluster and return once every agent is registered and active."""
        if self.running():
            return self
        runtime = self._runtime or ensure_runtime(progress=self._progress)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MESOS_", "LIBPROCESS_", "PYTHON"))
        }
        env.update(self.environment())
        env["FRAMEWORKKIT_HARNESS_PARENT"] = "0" if self._detached else str(os.getpid())
        argv = [str(runtime.python2), str(_HARNESS / "embedded_master.py"), str(runtime.site_dir)]
        self._spawn(argv, env, self.log_path)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the master reports ``agents`` active agents; raise ClusterError if not."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            status = self._exit_status()
            if status is not None:
                raise ClusterError(f"cluster process exited with {status}:\n{self.log_tail()}")
            try:
                state = self.state()
                active = int(state.get("activated_slaves", 0))
                if active >= self.agents:
                    return
                last = f"{active}/{self.agents} agents active"
            except (OSError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise ClusterError(f"cluster not ready after {timeout} s ({last}):\n{self.log_tail()}")

    def state(self, timeout: float = 5.0) -> dict[str, Any]:
        """The master's ``/state`` document."""
        return get_json(f"{self.url}/state", timeout)

    def version(self, timeout: float = 5.0) -> str:
        """The master's Mesos version, from ``/version``."""
        return str(get_json(f"{self.url}/version", timeout)["version"])

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def restart(self, timeout: float = 60.0) -> EmbeddedCluster:
        """Stop and start again (a fresh master: frameworks must re-subscribe)."""
        self.stop()
        shutil.rmtree(self.work_dir / "mesos", ignore_errors=True)
        return self.start(timeout)


LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_json(url: str, timeout: float) -> dict[str, Any]:
    """GET a JSON document from a loopback master (no proxies); OSError if it does not answer."""
    try:
        with LOOPBACK_OPENER.open(url, timeout=timeout) as response:
            document: dict[str, Any] = json.load(response)
            return document
    except urllib.error.HTTPError as exc:  # 503 while the master starts
        raise OSError(f"{url} answered {exc.code}") from exc
