"""What a dockerised cluster is made of, and the docker-compose file that starts it.

A :class:`ClusterSpec` names a ZooKeeper and N masters, each master with its own agents, every
container on the host network bound to its own loopback address. :func:`compose_document` turns
it into a docker-compose 1.29 file (JSON, which is YAML too) that ``docker-compose up -d`` and
pytest-docker both start.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frameworkkit.testing.embedded import DEFAULT_RESOURCES

LABEL = "frameworkkit.cluster"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")


def default_master_ips(masters: int) -> tuple[str, ...]:
    """``127.0.0.2``, ``127.0.0.3``, ...: one loopback address per master."""
    return tuple(f"127.0.0.{2 + i}" for i in range(masters))


@dataclass(frozen=True)
class MasterSpec:
    """One master container: its service and container names, address and agent count."""

    service: str
    container: str
    ip: str
    port: int
    agents: int

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


@dataclass(frozen=True)
class ClusterSpec:
    """A ZooKeeper and ``masters`` real Mesos masters sharing ``agents`` agents among them.

    ``name`` is the compose project and the prefix of every container name. ``work_dir`` is
    mounted at the same path in each master container (the Docker engine must see sandboxes
    where the agents put them). ``session_timeout`` is the masters' ZooKeeper session timeout:
    how long a dead or frozen leader keeps its znode.
    """

    name: str
    work_dir: Path
    masters: int = 3
    agents: int = 30
    resources: str = DEFAULT_RESOURCES
    master_port: int = 5050
    master_ips: tuple[str, ...] = ()
    zk_ip: str = "127.0.0.1"
    zk_port: int = 2181
    zk_path: str = "/mesos"
    session_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"name: lower-case letters, digits, '-' or '_', got {self.name!r}")
        if self.masters < 1:
            raise ValueError(f"masters: need at least 1, got {self.masters}")
        if self.agents < self.masters:
            raise ValueError(f"agents: need one per master at least, got {self.agents}")
        ips = self.master_ips or default_master_ips(self.masters)
        object.__setattr__(self, "master_ips", tuple(ips))
        if len(self.master_ips) != self.masters or len(set(self.master_ips)) != self.masters:
            raise ValueError(f"master_ips: need {self.masters} distinct addresses")
        for where, ip in [("zk_ip", self.zk_ip), *(("master_ips", ip) for ip in ips)]:
            if not ipaddress.ip_address(ip).is_loopback:
                raise ValueError(f"{where}: the cluster binds loopback only, got {ip!r}")
        for where, port in (("master_port", self.master_port), ("zk_port", self.zk_port)):
            if not 0 < port < 65536:
                raise ValueError(f"{where}: {port} is not a TCP port")
        if not self.zk_path.startswith("/") or self.zk_path == "/":
            raise ValueError(f"zk_path: an absolute znode path like /mesos, got {self.zk_path!r}")
        if self.session_timeout < 4:
            raise ValueError("session_timeout: ZooKeeper allows 4 s at least (2 ticks)")

    @property
    def zookeeper(self) -> str:
        """``host:port`` of ZooKeeper."""
        return f"{self.zk_ip}:{self.zk_port}"

    @property
    def url(self) -> str:
        """What frameworks are given: ``zk://127.0.0.1:2181/mesos``."""
        return f"zk://{self.zookeeper}{self.zk_path}"

    @property
    def zookeeper_container(self) -> str:
        return f"{self.name}-zookeeper"

    def master_specs(self) -> list[MasterSpec]:
        """The masters, with the agents shared out as evenly as possible."""
        share, extra = divmod(self.agents, self.masters)
        return [
            MasterSpec(
                service=f"master-{i + 1}",
                container=f"{self.name}-master-{i + 1}",
                ip=ip,
                port=self.master_port,
                agents=share + (1 if i < extra else 0),
            )
            for i, ip in enumerate(self.master_ips)
        ]

    def to_json(self) -> dict[str, Any]:
        """The spec as plain data (kept in the CLI's cluster record)."""
        return {
            "name": self.name,
            "work_dir": str(self.work_dir),
            "masters": self.masters,
            "agents": self.agents,
            "resources": self.resources,
            "master_port": self.master_port,
            "master_ips": list(self.master_ips),
            "zk_ip": self.zk_ip,
            "zk_port": self.zk_port,
            "zk_path": self.zk_path,
            "session_timeout": self.session_timeout,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusterSpec:
        fields = {**data, "work_dir": Path(data["work_dir"])}
        return cls(**{**fields, "master_ips": tuple(data["master_ips"])})


def compose_document(spec: ClusterSpec, image: str, *, docker_client: str) -> dict[str, Any]:
    """The docker-compose file (version 2.4) for ``spec``, every container from ``image``.

    ``docker_client`` is the host's docker program, mounted for the agents' Docker containerizer.
    """
    common: dict[str, Any] = {
        "image": image,
        "network_mode": "host",
        "init": True,  # signals reach the program, so a stop is quick
        "labels": {LABEL: spec.name},
    }
    zk_data = spec.work_dir / "zookeeper"
    services: dict[str, Any] = {
        "zookeeper": {
            **common,
            "container_name": spec.zookeeper_container,
            "command": [
                "python3",
                "-m",
                "frameworkkit.testing.zookeeper",
                "--ip",
                spec.zk_ip,
                "--port",
                str(spec.zk_port),
                "--data-dir",
                str(zk_data),
            ],
            "volumes": [f"{zk_data}:{zk_data}"],
        }
    }
    work = str(spec.work_dir)
    for master in spec.master_specs():
        services[master.service] = {
            **common,
            "container_name": master.container,
            "depends_on": ["zookeeper"],
            "command": [
                "python3",
                "-m",
                "frameworkkit.testing.master_node",
                "--ip",
                master.ip,
                "--port",
                str(master.port),
                "--agents",
                str(master.agents),
                "--resources",
                spec.resources,
                "--work-dir",
                str(spec.work_dir / master.service),
                "--zk",
                spec.zookeeper,
                "--zk-path",
                spec.zk_path,
                "--session-timeout",
                f"{spec.session_timeout:g}",
            ],
            "volumes": [
                f"{work}:{work}",
                "/var/run/docker.sock:/var/run/docker.sock",
                f"{docker_client}:/usr/bin/docker:ro",
            ],
        }
    return {"version": "2.4", "services": services}


def write_compose(spec: ClusterSpec, image: str, *, docker_client: str) -> Path:
    """Write ``docker-compose.yml`` into the spec's work directory; return its path."""
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    path = spec.work_dir / "docker-compose.yml"
    document = compose_document(spec, image, docker_client=docker_client)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
