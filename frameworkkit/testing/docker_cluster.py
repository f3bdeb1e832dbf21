"""A dockerised Mesos cluster: ZooKeeper and several real masters with their agents, in containers.

Use it to test a framework's master failover against real Mesos::

    with DockerCluster(ClusterSpec(name="ha", work_dir=tmp, masters=3, agents=30)) as cluster:
        fw = MyFramework(master=cluster.url)          # zk://127.0.0.1:2181/mesos
        cluster.kill(cluster.leader())                 # the next contender leads

Each master container runs a standalone real Mesos 1.11 master with its own agents (see
:mod:`frameworkkit.testing.master_node`); leadership is decided in ZooKeeper. Unlike real Mesos
HA, the masters share no replicated registry, so a failover also loses the old leader's agents
and their tasks (they reconcile as unknown). Everything binds loopback addresses on the host
network; no Docker network is created.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from kazoo.client import KazooClient

from frameworkkit.testing.compose import LABEL, ClusterSpec, MasterSpec, write_compose
from frameworkkit.testing.embedded import ClusterError, get_json
from frameworkkit.testing.engine import (
    DockerError,
    compose_binary,
    docker,
    docker_binary,
    ensure_engine,
    run,
)
from frameworkkit.testing.images import ensure_images
from frameworkkit.transport.detector import leader_znode, master_url_from_info

MISSING = "missing"


class DockerCluster:
    """Start, inspect, disturb and remove one dockerised cluster (see the module doc).

    :meth:`up` builds what is missing and starts the containers with docker-compose;
    :meth:`attach` waits for containers someone else started from :meth:`prepare`'s compose
    file (pytest-docker). :meth:`down` removes every container the cluster made, task
    containers included.
    """

    def __init__(self, spec: ClusterSpec, *, owns_work_dir: bool = False) -> None:
        self.spec = spec
        self.masters = spec.master_specs()
        self.owns_work_dir = owns_work_dir

    @property
    def url(self) -> str:
        """``zk://.../mesos``: give it to frameworks as their master."""
        return self.spec.url

    @property
    def compose_file(self) -> Path:
        return self.spec.work_dir / "docker-compose.yml"

    # --- lifecycle ------------------------------------------------------------------------------

    def prepare(self, *, progress: bool = False) -> Path:
        """Engine, images and compose file, built where missing; returns the compose file."""
        ensure_engine()
        images = ensure_images(progress=progress)
        return write_compose(self.spec, images.node, docker_client=docker_binary())

    def compose(self, *args: str, timeout: float = 300.0) -> str:
        """Run ``docker-compose`` on this cluster's project and file."""
        argv = [compose_binary(), "-p", self.spec.name, "-f", str(self.compose_file), *args]
        return run(argv, timeout=timeout)

    def up(self, timeout: float = 120.0, *, progress: bool = False) -> DockerCluster:
        """Build what is missing, start every container, wait until :meth:`ready`."""
        self.prepare(progress=progress)
        self.compose("up", "-d")
        return self.attach(timeout)

    def attach(self, timeout: float = 120.0) -> DockerCluster:
        """Wait until a leader is elected and every agent registered; ClusterError if not."""
        return self._wait(timeout, "ready", lambda: None)

    def heal(self, timeout: float = 120.0) -> DockerCluster:
        """Unpause and start again whatever a test paused, killed or stopped; wait until ready.

        A master that was frozen while leading exits when thawed (its session expired), so
        containers that stop meanwhile are started too.
        """
        return self._wait(timeout, "healed", self._revive_containers)

    def _revive_containers(self) -> None:
        for container in [self.spec.zookeeper_container, *(m.container for m in self.masters)]:
            state = self.state(container)
            if state == "paused":
                docker("unpause", container)
            elif state in ("exited", "created", "dead"):
                docker("start", container)

    def _wait(self, timeout: float, what: str, each_round: Callable[[], None]) -> DockerCluster:
        deadline = time.monotonic() + timeout
        problem = "no answer yet"
        while time.monotonic() < deadline:
            each_round()
            problem = self.not_ready()
            if not problem:
                return self
            time.sleep(0.5)
        raise ClusterError(
            f"dockerised cluster not {what} after {timeout} s: {self._explain(problem)}"
        )

    def _explain(self, problem: str) -> str:
        """The problem, with the last lines of the container it names."""
        containers = [self.spec.zookeeper_container, *(m.container for m in self.masters)]
        named = next((c for c in containers if problem.startswith(c)), containers[0])
        return f"{problem}\nlast lines of {named}:\n{self.logs(named, 15)}"

    def remove_task_containers(self) -> None:
        """Remove the containers the agents started for tasks (they outlive a killed master)."""
        for container in self.task_containers():
            with contextlib.suppress(DockerError):
                docker("rm", "-f", container)

    def down(self) -> None:
        """Remove every container of this cluster (task containers too) and, if ours, its files."""
        self.remove_task_containers()
        if self.compose_file.is_file():
            self.compose("down", "-v", "--remove-orphans")
        leftovers = docker("ps", "-aq", "--filter", f"label={LABEL}={self.spec.name}").split()
        if leftovers:
            docker("rm", "-f", *leftovers)
        if self.owns_work_dir:
            shutil.rmtree(self.spec.work_dir, ignore_errors=True)

    def __enter__(self) -> DockerCluster:
        try:
            return self.up()
        except BaseException:
            self.down()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.down()

    # --- looking at it --------------------------------------------------------------------------

    def state(self, container: str) -> str:
        """``running``, ``paused``, ``exited``, ... or ``missing``."""
        try:
            return docker("inspect", "--format", "{{.State.Status}}", container).strip()
        except DockerError:
            return MISSING

    def master_state(self, master: MasterSpec, timeout: float = 3.0) -> dict[str, Any] | None:
        """The master's ``/state``, or None if it does not answer."""
        try:
            return get_json(f"{master.url}/state", timeout)
        except OSError:
            return None

    @contextlib.contextmanager
    def _zookeeper(self) -> Iterator[KazooClient]:
        client = KazooClient(hosts=self.spec.zookeeper, timeout=5.0)
        client.start(timeout=5.0)
        try:
            yield client
        finally:
            client.stop()
            client.close()

    def contenders(self) -> tuple[list[str], MasterSpec | None]:
        """The masters' znodes under the ZooKeeper path, and the leading master (None: none)."""
        with self._zookeeper() as client:
            if not client.exists(self.spec.zk_path):
                return [], None
            children = sorted(client.get_children(self.spec.zk_path))
            name = leader_znode(children)
            if name is None:
                return children, None
            data, _ = client.get(f"{self.spec.zk_path}/{name}")
        url = master_url_from_info(data)
        return children, next((m for m in self.masters if m.url == url), None)

    def leader(self) -> MasterSpec:
        """The leading master; ClusterError if none leads."""
        try:
            _, leading = self.contenders()
        except Exception as exc:
            raise ClusterError(f"cannot read ZooKeeper {self.spec.zookeeper}: {exc}") from exc
        if leading is None:
            raise ClusterError("no master leads")
        return leading

    def not_ready(self) -> str:
        """Why the cluster is not ready ('' when it is): a leader and every agent registered."""
        try:
            znodes, leading = self.contenders()
        except Exception as exc:  # ZooKeeper still starting
            return f"ZooKeeper {self.spec.zookeeper}: {type(exc).__name__} {exc}"
        for master in self.masters:
            state = self.master_state(master)
            active = 0 if state is None else int(state.get("activated_slaves", 0))
            if active < master.agents:
                return f"{master.container}: {active}/{master.agents} agents active"
        if len(znodes) < len(self.masters):
            return f"{len(znodes)}/{len(self.masters)} masters announced in ZooKeeper"
        if leading is None:
            return "no leader elected"
        return ""

    def status(self) -> dict[str, Any]:
        """What ``cluster status --json`` prints: ZooKeeper, each master, each agent."""
        try:
            _, leading = self.contenders()
        except Exception:
            leading = None
        masters, agents = [], []
        for master in self.masters:
            state = self.master_state(master)
            masters.append(
                {
                    "name": master.service,
                    "container": master.container,
                    "address": master.address,
                    "state": self.state(master.container),
                    "leading": master == leading,
                    "agents": master.agents,
                    "agents_active": None
                    if state is None
                    else int(state.get("activated_slaves", 0)),
                }
            )
            for agent in [] if state is None else state.get("slaves", []):
                agents.append(
                    {
                        "id": agent.get("id"),
                        "master": master.service,
                        "pid": agent.get("pid"),
                        "hostname": agent.get("hostname"),
                        "active": agent.get("active"),
                    }
                )
        return {
            "kind": "docker",
            "name": self.spec.name,
            "url": self.url,
            "zookeeper": {
                "address": self.spec.zookeeper,
                "container": self.spec.zookeeper_container,
                "state": self.state(self.spec.zookeeper_container),
            },
            "masters": masters,
            "agents": agents,
        }

    def task_containers(self) -> list[str]:
        """Containers the agents' Docker containerizer started (their sandbox is in work_dir)."""
        names = docker("ps", "-a", "--filter", "name=mesos-", "--format", "{{.Names}}").split()
        if not names:
            return []
        mounts = docker("inspect", "--format", "{{.Name}} {{json .Mounts}}", *names)
        work = str(self.spec.work_dir.resolve()) + "/"
        found = []
        for line in mounts.splitlines():
            name, _, listing = line.partition(" ")
            sources = [str(m.get("Source", "")) for m in json.loads(listing or "[]")]
            if any(source.startswith(work) for source in sources):
                found.append(name.lstrip("/"))
        return found

    # --- disturbing it --------------------------------------------------------------------------

    def kill(self, master: MasterSpec) -> None:
        """SIGKILL the master's container: master, agents and executors die at once."""
        docker("kill", master.container)

    def pause(self, master: MasterSpec) -> None:
        """Freeze the master's container (``docker pause``): open connections stay, silent."""
        docker("pause", master.container)

    def unpause(self, master: MasterSpec) -> None:
        docker("unpause", master.container)

    def restart_zookeeper(self) -> None:
        """Restart the ZooKeeper container; its data (and so the sessions) survive."""
        docker("restart", "--time", "5", self.spec.zookeeper_container)

    def logs(self, container: str, lines: int = 40) -> str:
        """The last lines a container printed (stdout and stderr)."""
        proc = subprocess.run(
            [docker_binary(), "logs", "--tail", str(lines), container],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout + proc.stderr
