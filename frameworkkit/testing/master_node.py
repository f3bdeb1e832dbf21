"""One master container of the dockerised cluster: a real Mesos master, its agents, a contender.

The container's main program (``python3 -m frameworkkit.testing.master_node``). It starts an
:class:`~frameworkkit.testing.embedded.EmbeddedCluster` (a standalone real master with its
agents) on its own loopback address, then announces it in ZooKeeper with a
:class:`~frameworkkit.testing.contender.MasterContender`, and behaves as ``mesos-master`` does
when its ZooKeeper session expires: the leader exits (the container stops), a standby contends
again. Agents use the Docker containerizer too where the host has the cgroup v1 ``cpu``
hierarchy it needs and the Docker socket is mounted.
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from frameworkkit.testing.contender import MasterContender
from frameworkkit.testing.embedded import ClusterError, EmbeddedCluster
from frameworkkit.testing.engine import has_cgroup_v1_cpu
from frameworkkit.testing.images import IMAGE_RUNTIME_HOME
from frameworkkit.testing.runtime import installed_runtime

log = logging.getLogger("frameworkkit.master_node")

DOCKER_SOCKET = Path("/var/run/docker.sock")
DOCKER_CLIENT = Path("/usr/bin/docker")
EXIT_LOST_LEADERSHIP = 3
START_ATTEMPTS = 5


def containerizers() -> str:
    """``docker,mesos`` where the Docker containerizer can start here, else ``mesos``."""
    usable = DOCKER_SOCKET.exists() and DOCKER_CLIENT.is_file() and has_cgroup_v1_cpu()
    return "docker,mesos" if usable else "mesos"


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m frameworkkit.testing.master_node")
    parser.add_argument("--ip", required=True, help="loopback address of the master")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--resources", required=True, help="each agent's resources")
    parser.add_argument("--work-dir", required=True, type=Path)
    parser.add_argument("--zk", required=True, help="ZooKeeper host:port")
    parser.add_argument("--zk-path", required=True, help="znode the masters announce under")
    parser.add_argument("--session-timeout", type=float, default=10.0)
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped (0), the master dies (1), or leadership is lost (3)."""
    runtime = installed_runtime(IMAGE_RUNTIME_HOME)
    if runtime is None:
        log.error("no Mesos runtime in this image")
        return 1
    kinds = containerizers()
    cluster = EmbeddedCluster(
        agents=args.agents,
        ip=args.ip,
        port=args.port,
        resources=args.resources,
        work_dir=args.work_dir,
        runtime=runtime,
        extra_env={
            "MESOS_CONTAINERIZERS": kinds,
            "MESOS_DOCKER": str(DOCKER_CLIENT),
            # several agents share one engine: none may remove another's containers
            "MESOS_DOCKER_KILL_ORPHANS": "false",
            "MESOS_HOSTNAME": args.ip,
        },
    )
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    if not _start(cluster):
        return 1
    try:
        log.info(
            "master %s ready with %d agents (containerizers %s)", cluster.url, args.agents, kinds
        )
        while not stopping.is_set():
            status = _contend(args, cluster, stopping)
            if status is not None:
                return status
        return 0
    finally:
        cluster.stop()


def _start(cluster: EmbeddedCluster) -> bool:
    """Start a fresh master, trying again when it fails to come up; False if it never did.

    Each agent's Docker containerizer gives ``docker --version`` 5 s at start and the whole
    process exits when it takes longer, as it can on a busy machine with many agents.
    """
    for attempt in range(1, START_ATTEMPTS + 1):
        # a restarted container starts a fresh master: old agent state would not match it
        shutil.rmtree(cluster.work_dir / "mesos", ignore_errors=True)
        try:
            cluster.start()
            return True
        except ClusterError as exc:
            log.warning(
                "the master did not start (attempt %d of %d): %s", attempt, START_ATTEMPTS, exc
            )
            time.sleep(random.uniform(1.0, 3.0))  # the masters beside us may be starting too
    return False


def _contend(
    args: argparse.Namespace, cluster: EmbeddedCluster, stopping: threading.Event
) -> int | None:
    """Hold a znode: 0 once stopped, 1 if the master died, 3 if the session expired while
    leading, None to contend again (the session expired, or ZooKeeper did not answer)."""
    contender = MasterContender(args.zk, args.zk_path, cluster.url, timeout=args.session_timeout)
    leading = False
    try:
        try:
            contender.start()
        except Exception as exc:  # ZooKeeper still starting or restarting
            log.warning("cannot announce %s yet: %s", cluster.url, exc)
            stopping.wait(1.0)
            return None
        log.info("announced %s as %s", cluster.url, contender.znode)
        while not stopping.wait(1.0):
            if not cluster.running():
                log.error("the master process ended:\n%s", cluster.log_tail())
                return 1
            if contender.lost.is_set():
                if leading:
                    log.error("ZooKeeper session expired while leading: exiting, as Mesos does")
                    return EXIT_LOST_LEADERSHIP
                log.warning("ZooKeeper session expired: contending again")
                return None
            try:
                now_leading = contender.leading()
            except Exception as exc:  # ZooKeeper unreachable for a moment: keep the last answer
                log.warning("cannot read the contenders: %s", exc)
                continue
            if now_leading != leading:
                log.info("%s", "elected leader" if now_leading else "no longer leading")
            leading = now_leading
        return 0
    finally:
        contender.close()


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    return run(parse_arguments(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
