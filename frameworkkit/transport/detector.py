"""Finding the leading master: a fixed list of addresses, or ZooKeeper's `json.info_` znodes."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from frameworkkit._lazy import optional
from frameworkkit.validation import number

from .errors import ConnectionFailed
from .secret import Secret

__all__ = [
    "MASTER_ZNODE_PREFIX",
    "MasterDetector",
    "StaticDetector",
    "ZooKeeperDetector",
    "ZooKeeperTarget",
    "detector_for",
    "leader_znode",
    "master_url_from_info",
    "normalize_master_url",
    "parse_zk_url",
]

log = logging.getLogger("frameworkkit.transport")

MASTER_ZNODE_PREFIX = "json.info_"
_SCHEMES = ("http", "https")


class MasterDetector(abc.ABC):
    """Tells the clients which master to talk to, and when that changes."""

    @abc.abstractmethod
    async def leader(self) -> str:
        """Base URL of the master to contact now; waits while no leader is known."""

    @abc.abstractmethod
    async def wait_for_change(self, known: str) -> str:
        """Wait until the master to contact is no longer `known`; return the new one."""

    def report_failure(self, url: str) -> None:  # noqa: B027 - optional hook
        """Note that `url` did not answer; detectors that can pick another master do so."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release what the detector holds (connections, threads)."""


class _LeaderSlot:
    """The current leader URL (None: unknown) plus a way to wait for it to change."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._changed = asyncio.Event()

    def set(self, url: str | None) -> None:
        if url != self.url:
            self.url = url
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()

    async def wait_for_other(self, known: str | None) -> str:
        while self.url is None or self.url == known:
            await self._changed.wait()
        return self.url


def normalize_master_url(address: str, *, scheme: str = "http") -> str:
    """Turn ``host:port`` or ``http(s)://host:port[/prefix]`` into a base URL without a slash."""
    if not isinstance(address, str):
        raise TypeError(f"master: expected str, got {type(address).__name__}")
    _require_scheme(scheme)
    text = address.strip()
    if "://" not in text:
        text = f"{scheme}://{text}"
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError as exc:
        raise ValueError(f"master: {address!r} is not an address: {exc}") from exc
    if url.scheme.lower() not in _SCHEMES:
        raise ValueError(f"master: {address!r} must use http or https")
    if "@" in url.netloc:
        raise ValueError("master: put credentials in TransportOptions, not in the address")
    if not url.hostname or not port:
        raise ValueError(f"master: {address!r} needs a host and a port, e.g. 127.0.0.1:5050")
    if url.query or url.fragment:
        raise ValueError(f"master: {address!r} must not have a query or fragment")
    host = f"[{url.hostname}]" if ":" in url.hostname else url.hostname
    return f"{url.scheme.lower()}://{host}:{port}{url.path.rstrip('/')}"


class StaticDetector(MasterDetector):
    """Masters from a fixed list: use one until it fails, then rotate to the next.

    Non-leading masters redirect to the leader, so any reachable entry leads to it.
    """

    def __init__(self, urls: Sequence[str], *, scheme: str = "http") -> None:
        if isinstance(urls, str):
            raise TypeError("urls: expected a list of addresses, got one str")
        self._urls = tuple(normalize_master_url(url, scheme=scheme) for url in urls)
        if not self._urls:
            raise ValueError("urls: needs at least one master address")
        self._index = 0
        self._slot = _LeaderSlot(self._urls[0])

    @property
    def urls(self) -> tuple[str, ...]:
        """The masters, in the order they are tried."""
        return self._urls

    def __repr__(self) -> str:
        return f"StaticDetector({list(self._urls)!r})"

    async def leader(self) -> str:
        return self._urls[self._index]

    async def wait_for_change(self, known: str) -> str:
        return await self._slot.wait_for_other(known)

    def report_failure(self, url: str) -> None:
        if url != self._urls[self._index] or len(self._urls) == 1:
            return
        self._index = (self._index + 1) % len(self._urls)
        log.info("master %s failed; trying %s next", url, self._urls[self._index])
        self._slot.set(self._urls[self._index])


@dataclass(frozen=True)
class ZooKeeperTarget:
    """Where masters announce themselves: ZooKeeper `hosts`, the znode `path`, digest auth."""

    hosts: str
    path: str
    username: str | None = None
    password: Secret | None = None

    def __str__(self) -> str:
        credentials = f"{self.username}:{self.password}@" if self.username is not None else ""
        return f"zk://{credentials}{self.hosts}{self.path}"


def parse_zk_url(url: str) -> ZooKeeperTarget:
    """Parse ``zk://[user:password@]host:port[,host:port...]/path``."""
    if not isinstance(url, str):
        raise TypeError(f"master: expected str, got {type(url).__name__}")
    if not url.startswith("zk://"):
        raise ValueError("master: a ZooKeeper URL starts with zk://")
    rest = url[len("zk://") :]
    at = rest.rfind("@")
    credentials, location = (rest[:at], rest[at + 1 :]) if at >= 0 else ("", rest)
    hosts, slash, path = location.partition("/")
    shown = f"zk://{'<credentials>@' if at >= 0 else ''}{location}"
    if not slash or not path.strip("/"):
        raise ValueError(f"master: {shown!r} needs a znode path, e.g. zk://127.0.0.1:2181/mesos")
    host_list = hosts.split(",")
    if not all(host.strip() for host in host_list):
        raise ValueError(f"master: {shown!r} has an empty ZooKeeper host")
    username: str | None = None
    password: Secret | None = None
    if at >= 0:
        user, colon, secret = credentials.partition(":")
        if not (user and colon and secret):
            raise ValueError(f"master: {shown!r} needs credentials as user:password@")
        username, password = user, Secret(secret)
    return ZooKeeperTarget(
        hosts=",".join(host.strip() for host in host_list),
        path="/" + path.strip("/"),
        username=username,
        password=password,
    )


def leader_znode(children: Iterable[str]) -> str | None:
    """The child naming the leading master: the `json.info_` node with the lowest sequence."""
    best: tuple[int, str] | None = None
    for name in children:
        sequence = name[len(MASTER_ZNODE_PREFIX) :]
        if not name.startswith(MASTER_ZNODE_PREFIX) or not (
            sequence.isascii() and sequence.isdigit()
        ):
            continue
        if best is None or int(sequence) < best[0]:
            best = (int(sequence), name)
    return None if best is None else best[1]


def master_url_from_info(data: bytes | str, *, scheme: str = "http") -> str:
    """Base URL of the master a `json.info_` znode describes (its MasterInfo as JSON).

    Uses `address.ip`, else `address.hostname`, with `address.port`; without `address`, the
    ``master@ip:port`` of `pid`.
    """
    _require_scheme(scheme)
    try:
        info = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"MasterInfo: not JSON: {exc}") from exc
    if not isinstance(info, dict):
        raise ValueError("MasterInfo: expected a JSON object")
    address = info.get("address")
    host: object
    port: object
    if isinstance(address, dict):
        host = address.get("ip") or address.get("hostname")
        port = address.get("port")
    elif isinstance(info.get("pid"), str) and "@" in info["pid"]:
        host, _, port_text = info["pid"].partition("@")[2].rpartition(":")
        port = int(port_text) if port_text.isdigit() else None
    else:
        raise ValueError("MasterInfo: has neither address nor pid")
    if not isinstance(host, str) or not host:
        raise ValueError(f"MasterInfo: no usable host in {info!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"MasterInfo: no usable port in {info!r}")
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


class ZooKeeperDetector(MasterDetector):
    """Follows the leading master that Mesos masters announce in ZooKeeper.

    Connects on first use; kazoo's watch threads hand every change to the event loop.
    """

    def __init__(self, url: str, *, scheme: str = "http", connect_timeout: float = 10.0) -> None:
        self.target = parse_zk_url(url)
        _require_scheme(scheme)
        self._scheme = scheme
        self._connect_timeout = number("connect_timeout", connect_timeout, above=True)
        self._slot = _LeaderSlot(None)
        self._start_lock = asyncio.Lock()
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._generation = 0
        self._watching_children = False
        self._tasks: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"ZooKeeperDetector({str(self.target)!r})"

    async def leader(self) -> str:
        await self._start()
        if self._slot.url is None:
            log.info("waiting for a leading master in ZooKeeper %s", self.target)
        return await self._slot.wait_for_other(None)

    async def wait_for_change(self, known: str) -> str:
        await self._start()
        return await self._slot.wait_for_other(known)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.stop)
            await asyncio.to_thread(client.close)

    async def _start(self) -> None:
        async with self._start_lock:
            if self._client is not None:
                return
            self._loop = asyncio.get_running_loop()
            auth = None
            if self.target.username is not None and self.target.password is not None:
                digest = f"{self.target.username}:{self.target.password.reveal()}"
                auth = [("digest", digest)]
            kazoo = optional("kazoo.client", "zookeeper", "a zk:// master")
            client = kazoo.KazooClient(
                hosts=self.target.hosts, timeout=self._connect_timeout, auth_data=auth
            )
            try:
                await asyncio.to_thread(client.start, self._connect_timeout)
            except Exception as exc:
                raise ConnectionFailed(str(self.target), exc) from exc
            self._client = client
            log.info("watching ZooKeeper %s for the leading master", self.target)
            await asyncio.to_thread(client.DataWatch, self.target.path, self._on_path_node)

    # kazoo threads: touch nothing of the loop's but call_soon_threadsafe.

    def _on_path_node(self, data: bytes | None, stat: object | None, event: object = None) -> bool:
        if stat is None:
            self._watching_children = False
            return self._post([])
        if not self._watching_children and self._client is not None:
            self._watching_children = True
            self._client.ChildrenWatch(self.target.path, self._post)
        return True

    def _post(self, children: list[str]) -> bool:
        """Hand a children list to the loop; False stops the kazoo watch once the loop is gone."""
        loop = self._loop
        if loop is None or self._client is None:
            return False
        try:
            loop.call_soon_threadsafe(self._children_changed, list(children))
        except RuntimeError:
            return False
        return True

    # event loop thread

    def _children_changed(self, children: list[str]) -> None:
        self._generation += 1
        name = leader_znode(children)
        if name is None:
            if self._slot.url is not None:
                log.warning("no master announced under ZooKeeper %s", self.target)
            self._slot.set(None)
            return
        task = asyncio.get_running_loop().create_task(self._load_leader(name, self._generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load_leader(self, name: str, generation: int) -> None:
        from kazoo.exceptions import KazooException, NoNodeError

        path = f"{self.target.path}/{name}"
        try:
            data, _stat = await asyncio.to_thread(self._client.get, path)
            url: str | None = master_url_from_info(data, scheme=self._scheme)
        except NoNodeError:
            return  # the node went away; the children watch reports what replaced it
        except KazooException as exc:
            log.warning("cannot read %s from ZooKeeper %s: %s", path, self.target, exc)
            return
        except ValueError as exc:
            log.error("leading master's znode %s is unusable: %s", path, exc)
            url = None
        if generation != self._generation:
            return
        if url is not None and url != self._slot.url:
            log.info("leading master is %s (ZooKeeper %s)", url, path)
        self._slot.set(url)


def detector_for(master: str | Sequence[str], *, tls: bool = False) -> MasterDetector:
    """Pick a detector: ``zk://...`` follows ZooKeeper; URLs or ``host:port`` (a list, or
    comma-separated) are tried in turn. `tls` gives https to addresses without a scheme."""
    scheme = "https" if tls else "http"
    if isinstance(master, str):
        text = master.strip()
        if text.startswith("zk://"):
            return ZooKeeperDetector(text, scheme=scheme)
        addresses: list[str] = text.split(",")
    elif isinstance(master, Sequence):
        addresses = list(master)
        if any(isinstance(entry, str) and entry.strip().startswith("zk://") for entry in addresses):
            raise ValueError("master: give a zk:// URL alone, not in a list")
    else:
        raise TypeError(f"master: expected str or list of str, got {type(master).__name__}")
    return StaticDetector(addresses, scheme=scheme)


def _require_scheme(scheme: str) -> None:
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme: expected 'http' or 'https', got {scheme!r}")
