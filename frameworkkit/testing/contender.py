"""Announce an embedded master in ZooKeeper as a real ``mesos-master`` does, for HA tests.

A local-mode Mesos process has no ZooKeeper contender of its own. :class:`MasterContender` writes
the master's ``MasterInfo`` (from the v1 operator call ``GET_MASTER``) into an ephemeral
sequential ``json.info_`` znode under ``path``; the lowest sequence number leads, so frameworks
using ``zk://.../path`` find the leader exactly as on a production cluster. Closing the
contender (or its ZooKeeper session expiring) removes the znode, which is a leader failover.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from types import TracebackType

from kazoo.client import KazooClient, KazooState

from frameworkkit.testing.embedded import LOOPBACK_OPENER
from frameworkkit.transport.detector import MASTER_ZNODE_PREFIX, leader_znode


def master_info(master_url: str, timeout: float = 10.0) -> dict[str, object]:
    """The master's ``MasterInfo``, as the operator API's ``GET_MASTER`` returns it."""
    request = urllib.request.Request(
        f"{master_url}/api/v1",
        data=b'{"type": "GET_MASTER"}',
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    with LOOPBACK_OPENER.open(request, timeout=timeout) as response:
        answer = json.load(response)
    info: dict[str, object] = answer["get_master"]["master_info"]
    return info


class MasterContender:
    """Holds one master's ``json.info_`` znode under ``path`` while it is open."""

    def __init__(self, zk_hosts: str, path: str, master_url: str, *, timeout: float = 10.0):
        self.path = path
        self.master_url = master_url
        self._client = KazooClient(hosts=zk_hosts, timeout=timeout)
        self._timeout = timeout
        self.znode: str | None = None
        self.lost = threading.Event()
        """Set once the ZooKeeper session expired (the znode is gone)."""
        self._client.add_listener(self._on_state)

    def _on_state(self, state: str) -> None:
        if state == KazooState.LOST:
            self.lost.set()

    def leading(self) -> bool:
        """True while this contender's znode is the lowest under ``path``."""
        if self.znode is None or self.lost.is_set():
            return False
        children = self._client.get_children(self.path)
        return f"{self.path}/{leader_znode(children)}" == self.znode

    def start(self) -> MasterContender:
        info = master_info(self.master_url, self._timeout)
        self._client.start(timeout=self._timeout)
        self._client.ensure_path(self.path)
        self.znode = self._client.create(
            f"{self.path}/{MASTER_ZNODE_PREFIX}",
            json.dumps(info).encode(),
            ephemeral=True,
            sequence=True,
        )
        return self

    def close(self) -> None:
        """Withdraw: the znode goes, and the next-lowest contender leads."""
        self._client.stop()
        self._client.close()

    def __enter__(self) -> MasterContender:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
