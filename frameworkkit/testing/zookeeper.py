"""A standalone ZooKeeper server on loopback for HA tests, from Debian's ``zookeeper`` package.

Use it when a test needs ``zk://`` master detection or ZooKeeper-backed framework state::

    with ZooKeeperServer(port=2181) as zk:
        print(zk.connect_string)   # "127.0.0.1:2181"

``python -m frameworkkit.testing.zookeeper --port 2181 --data-dir DIR`` runs one in the
foreground until SIGTERM (the dockerised cluster's ZooKeeper container does).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from frameworkkit.testing.processes import LocalService
from frameworkkit.testing.runtime import InstallError, apt_install

_SERVER_SCRIPT = Path("/usr/share/zookeeper/bin/zkServer.sh")


def ensure_zookeeper() -> Path:
    """Install Debian's ZooKeeper and a headless JRE unless present; return the server script."""
    if not _SERVER_SCRIPT.is_file():
        apt_install("zookeeper", ["zookeeper", "default-jre-headless"])
    if not _SERVER_SCRIPT.is_file():
        raise InstallError("zookeeper", f"{_SERVER_SCRIPT} missing after installing zookeeper")
    return _SERVER_SCRIPT


class ZooKeeperServer(LocalService):
    """One ZooKeeper server with its own config and data directory, bound to ``ip:port``.

    ``tick_time_ms`` sets the session-timeout floor (2 x tick): lower it to make an ephemeral node
    of a killed client disappear sooner.
    """

    def __init__(
        self,
        port: int = 2181,
        *,
        ip: str = "127.0.0.1",
        data_dir: Path | str | None = None,
        tick_time_ms: int = 2000,
    ) -> None:
        if not ip.startswith("127."):
            raise ValueError(f"ip: ZooKeeper binds loopback only here, got {ip!r}")
        self.ip = ip
        self.port = port
        self.tick_time_ms = tick_time_ms
        super().__init__(data_dir, "frameworkkit-zk-")

    @property
    def connect_string(self) -> str:
        return f"{self.ip}:{self.port}"

    def start(self, timeout: float = 30.0) -> ZooKeeperServer:
        """Start the server and return once it answers ``ruok``."""
        script = ensure_zookeeper()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "zoo.cfg"
        config.write_text(
            f"tickTime={self.tick_time_ms}\n"
            f"dataDir={self.work_dir / 'data'}\n"
            f"clientPort={self.port}\n"
            f"clientPortAddress={self.ip}\n"
            "maxClientCnxns=0\n"
            "admin.enableServer=false\n"
            "4lw.commands.whitelist=ruok,srvr\n"
        )
        env = {
            **os.environ,
            "ZOO_LOG_DIR": str(self.work_dir),
            "ZOO_LOG4J_PROP": "INFO,CONSOLE",
            "JVMFLAGS": "-Xmx256m",
        }
        argv = [str(script), "start-foreground", str(config)]
        self._spawn(argv, env, self.work_dir / "zookeeper.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self._exit_status()
            if status is not None:
                raise RuntimeError(f"zookeeper exited with {status}")
            if self.healthy():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"zookeeper did not answer on {self.connect_string} in {timeout} s")

    def healthy(self) -> bool:
        """True if the server answers the ``ruok`` four-letter word with ``imok``."""
        try:
            with socket.create_connection((self.ip, self.port), timeout=1) as sock:
                sock.sendall(b"ruok")
                return sock.recv(4) == b"imok"
        except OSError:
            return False


def main(argv: Sequence[str] | None = None) -> int:
    """Serve in the foreground until SIGTERM; the exit status is 1 if the server dies."""
    parser = argparse.ArgumentParser(prog="python -m frameworkkit.testing.zookeeper")
    parser.add_argument("--ip", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2181)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--tick-time-ms", type=int, default=2000)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    server = ZooKeeperServer(
        args.port, ip=args.ip, data_dir=args.data_dir, tick_time_ms=args.tick_time_ms
    )
    with server:
        print(f"zookeeper serving on {server.connect_string}", file=sys.stderr, flush=True)
        while not stopping.wait(1.0):
            if not server.running():
                print(f"zookeeper exited; log in {server.work_dir}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
