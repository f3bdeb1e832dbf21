"""Containers for tasks and executors: Docker or Mesos containerizer, and health checks.

Give a task or an executor a :class:`DockerContainer` (run by the agent's Docker containerizer) or a
:class:`MesosContainer` (the agent's own containerizer, optionally with a Docker image). Each one
checks its arguments when it is built, raising ``TypeError``/``ValueError`` naming the field, and
renders the ``ContainerInfo`` JSON that Mesos 1.11 expects with ``to_container_info()``.
:class:`HealthCheck` (the one model of a health check) renders ``HealthCheck`` the same way.

All of them are frozen ``msgspec`` structs holding plain fields, so a state store can keep them with
``msgspec.to_builtins`` / ``msgspec.json.encode`` and rebuild them with ``msgspec.convert`` /
``msgspec.json.decode``; rebuilding checks them again. The two containers carry a tag field,
``containerizer``, so a field typed :data:`Container` decodes to the right class.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict, TypeVar, get_args

import msgspec
from msgspec.structs import force_setattr, replace

from .protocol.messages import JsonObject

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "Container",
    "DockerContainer",
    "DockerNetwork",
    "HealthCheck",
    "HealthCheckKind",
    "HealthCheckTiming",
    "HttpScheme",
    "MesosContainer",
    "PortMapping",
    "PortProtocol",
    "Volume",
    "VolumeMode",
]

DockerNetwork = Literal["HOST", "BRIDGE", "USER", "NONE"]
"""``ContainerInfo.DockerInfo.Network``: how a Docker container joins the network."""

PortProtocol = Literal["tcp", "udp", "sctp"]
"""The protocol a :class:`PortMapping` publishes."""

VolumeMode = Literal["RW", "RO"]
"""``Volume.Mode``: read-write or read-only."""

HealthCheckKind = Literal["COMMAND", "HTTP", "TCP"]
"""``HealthCheck.Type``."""

HttpScheme = Literal["http", "https"]
"""The schemes Mesos's HTTP health check supports."""

MAX_PORT = 65535
MAX_UINT32 = 2**32 - 1

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# Argument checks: each returns the checked value or raises naming the field.


def _require(field: str, value: object, expected: type[T], name: str) -> T:
    """`value` if it is an instance of `expected` (a bool never passes for a number)."""
    if not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise TypeError(f"{field}: expected {name}, got {type(value).__name__}")
    return value


def _require_list(field: str, value: object, name: str) -> Sequence[object]:
    """`value` if it is a list or a tuple."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{field}: expected {name}, got {type(value).__name__}")
    return value


def _check_items(field: str, values: object, item_type: type[T]) -> tuple[T, ...]:
    """A list or tuple whose items are all `item_type`, as a tuple."""
    items = _require_list(field, values, f"a list of {item_type.__name__}")
    return tuple(
        _require(f"{field}[{index}]", item, item_type, item_type.__name__)
        for index, item in enumerate(items)
    )


def _check_word(field: str, value: object) -> str:
    """A non-empty string without whitespace or control characters (image, name, hostname)."""
    word = _require(field, value, str, "a string")
    if not word:
        raise ValueError(f"{field}: must not be empty")
    if any(char.isspace() or not char.isprintable() for char in word):
        raise ValueError(
            f"{field}: must not contain whitespace or control characters, got {word!r}"
        )
    return word


def _check_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        expected = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{field}: expected one of {expected}, got {value!r}")
    return value


def _check_int(field: str, value: object, low: int, high: int) -> int:
    number = _require(field, value, int, "an int")
    if not low <= number <= high:
        raise ValueError(f"{field}: must be in {low}..{high}, got {number}")
    return number


def _check_port(field: str, value: object) -> int:
    return _check_int(field, value, 1, MAX_PORT)


def _check_seconds(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{field}: expected seconds (a number), got {type(value).__name__}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{field}: must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def _check_path(field: str, value: object) -> str:
    """A non-empty path that does not climb out of where it points with ``..``."""
    path = _require(field, value, str, "a path string")
    if not path:
        raise ValueError(f"{field}: must not be empty")
    if "\0" in path:
        raise ValueError(f"{field}: must not contain NUL characters")
    if ".." in path.split("/"):
        raise ValueError(f"{field}: must not contain '..' components, got {path!r}")
    return path


def _is_absolute(path: str) -> bool:
    return path.startswith("/")


# ---------------------------------------------------------------------------------------------
# Pieces of a container.


class PortMapping(msgspec.Struct, frozen=True):
    """Publish ``container_port`` on ``host_port`` of the agent (Docker ``BRIDGE``/``USER`` only).

    ``host_port=None`` means "any port from the offer": the placement takes one and
    :meth:`DockerContainer.with_host_ports` fills it in. A fixed ``host_port`` must be in the
    task's ``ports`` resource too (Mesos refuses the launch otherwise).
    """

    host_port: int | None
    container_port: int
    protocol: PortProtocol = "tcp"

    def __post_init__(self) -> None:
        if self.host_port is not None:
            _check_port("PortMapping.host_port", self.host_port)
        _check_port("PortMapping.container_port", self.container_port)
        _check_choice("PortMapping.protocol", self.protocol, get_args(PortProtocol))


class Volume(msgspec.Struct, frozen=True):
    """Mount ``host_path`` of the agent at ``container_path`` in the container.

    A relative ``host_path`` names a path inside the task's sandbox; a relative
    ``container_path`` is relative to the sandbox as the container sees it. Without a container
    image, an absolute ``container_path`` must already exist on the agent.
    """

    container_path: str
    host_path: str
    mode: VolumeMode = "RW"

    def __post_init__(self) -> None:
        container_path = _check_path("Volume.container_path", self.container_path)
        if _is_absolute(container_path) and not container_path.strip("/"):
            raise ValueError("Volume.container_path: must not be the root directory '/'")
        _check_path("Volume.host_path", self.host_path)
        _check_choice("Volume.mode", self.mode, get_args(VolumeMode))

    def _to_json(self) -> JsonObject:
        return {
            "container_path": self.container_path,
            "host_path": self.host_path,
            "mode": self.mode,
        }


def _check_volumes(owner: str, volumes: object) -> tuple[Volume, ...]:
    checked = _check_items(f"{owner}.volumes", volumes, Volume)
    seen: set[str] = set()
    for index, volume in enumerate(checked):
        target = volume.container_path.rstrip("/")
        if target in seen:
            raise ValueError(
                f"{owner}.volumes[{index}].container_path: "
                f"{volume.container_path!r} is mounted twice"
            )
        seen.add(target)
    return checked


def _parameter_pairs(
    field: str, parameters: Mapping[str, str] | Sequence[tuple[str, str]]
) -> tuple[tuple[str, str], ...]:
    """Docker CLI parameters as checked ``(key, value)`` pairs, in the order given."""
    if isinstance(parameters, Mapping):
        pairs: list[object] = list(parameters.items())
    else:
        pairs = list(_require_list(field, parameters, "a dict or a list of (key, value) pairs"))
    checked: list[tuple[str, str]] = []
    for index, pair in enumerate(pairs):
        where = f"{field}[{index}]"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"{where}: expected a (key, value) pair, got {pair!r}")
        key = _check_word(f"{where}.key", pair[0])
        value = _require(f"{where}.value", pair[1], str, "a string")
        if key.startswith("-") or "=" in key:
            raise ValueError(
                f"{where}.key: give the option name without dashes or '=', got {key!r}"
            )
        if key == "name":
            raise ValueError(f"{where}.key: Mesos names the container itself; 'name' is refused")
        checked.append((key, value))
    return tuple(checked)


# ---------------------------------------------------------------------------------------------
# Containers.


class _DockerImage(msgspec.Struct, frozen=True):
    # `image` is DockerContainer's one positional argument; the fields after it are keyword-only.
    image: str


class DockerContainer(
    _DockerImage, frozen=True, kw_only=True, tag_field="containerizer", tag="DOCKER"
):
    """Run in a Docker container started by the agent's Docker containerizer (``docker run``).

    ``network`` is ``HOST`` (the default, as in Mesos), ``BRIDGE``, ``USER`` (joins the Docker
    network ``network_name``) or ``NONE``. ``port_mappings`` need ``BRIDGE`` or ``USER``.
    ``parameters`` are extra ``docker run`` options: ``{"label": "team=x"}`` or a list of pairs
    when an option repeats; each becomes ``--key=value``. ``hostname`` cannot be set on ``HOST``.
    A volume's relative ``container_path`` lands under the mapped sandbox
    (``/mnt/mesos/sandbox``); a relative ``host_path`` is taken from the sandbox, and then the
    ``container_path`` must be absolute.
    """

    network: DockerNetwork = "HOST"
    port_mappings: Sequence[PortMapping] = ()
    privileged: bool = False
    parameters: Mapping[str, str] | Sequence[tuple[str, str]] = ()
    force_pull_image: bool = False
    volumes: Sequence[Volume] = ()
    hostname: str | None = None
    network_name: str | None = None

    def __post_init__(self) -> None:
        _check_word("DockerContainer.image", self.image)
        network = _check_choice("DockerContainer.network", self.network, get_args(DockerNetwork))
        _require("DockerContainer.privileged", self.privileged, bool, "a bool")
        _require("DockerContainer.force_pull_image", self.force_pull_image, bool, "a bool")
        force_setattr(self, "port_mappings", self._checked_port_mappings(network))
        force_setattr(
            self, "parameters", _parameter_pairs("DockerContainer.parameters", self.parameters)
        )
        force_setattr(self, "volumes", self._checked_volumes())
        if self.hostname is not None:
            _check_word("DockerContainer.hostname", self.hostname)
            if network == "HOST":
                raise ValueError(
                    "DockerContainer.hostname: cannot be set with network 'HOST' (Mesos refuses it)"
                )
        if network == "USER":
            if self.network_name is None:
                raise ValueError("DockerContainer.network_name: required with network 'USER'")
            _check_word("DockerContainer.network_name", self.network_name)
        elif self.network_name is not None:
            raise ValueError(
                f"DockerContainer.network_name: only for network 'USER', not {network!r}"
            )

    def _checked_port_mappings(self, network: str) -> tuple[PortMapping, ...]:
        field = "DockerContainer.port_mappings"
        mappings = _check_items(field, self.port_mappings, PortMapping)
        if mappings and network not in ("BRIDGE", "USER"):
            raise ValueError(
                f"{field}: need network 'BRIDGE' or 'USER'; Mesos refuses port mappings "
                f"with {network!r}"
            )
        container_ports: set[tuple[int, str]] = set()
        host_ports: set[tuple[int, str]] = set()
        for index, mapping in enumerate(mappings):
            container_port = (mapping.container_port, mapping.protocol)
            if container_port in container_ports:
                raise ValueError(
                    f"{field}[{index}].container_port: {mapping.container_port}/"
                    f"{mapping.protocol} is mapped twice"
                )
            container_ports.add(container_port)
            if mapping.host_port is not None:
                host_port = (mapping.host_port, mapping.protocol)
                if host_port in host_ports:
                    raise ValueError(
                        f"{field}[{index}].host_port: {mapping.host_port}/{mapping.protocol} "
                        "is used twice"
                    )
                host_ports.add(host_port)
        return mappings

    def _checked_volumes(self) -> tuple[Volume, ...]:
        volumes = _check_volumes("DockerContainer", self.volumes)
        for index, volume in enumerate(volumes):
            where = f"DockerContainer.volumes[{index}]"
            if not _is_absolute(volume.host_path) and not _is_absolute(volume.container_path):
                raise ValueError(
                    f"{where}: host_path and container_path are both relative; the sandbox is "
                    "already in the container, so make container_path absolute"
                )
            for name in ("container_path", "host_path"):
                if ":" in getattr(volume, name):
                    raise ValueError(
                        f"{where}.{name}: Docker volume paths must not contain ':', "
                        f"got {getattr(volume, name)!r}"
                    )
        return volumes

    def host_ports_needed(self) -> int:
        """How many host ports the placement must still take from the offer."""
        return sum(1 for mapping in self.port_mappings if mapping.host_port is None)

    def host_ports(self) -> tuple[int, ...]:
        """The host ports already chosen; the task's ``ports`` resource must hold every one."""
        return tuple(m.host_port for m in self.port_mappings if m.host_port is not None)

    def with_host_ports(self, ports: Sequence[int]) -> DockerContainer:
        """A copy with the open host ports set, in order, to `ports` (chosen from the offer)."""
        needed = self.host_ports_needed()
        if len(_require_list("ports", ports, "a list of ports")) != needed:
            raise ValueError(f"ports: this container needs {needed} host port(s), got {len(ports)}")
        for index, port in enumerate(ports):
            _check_port(f"ports[{index}]", port)
        chosen = iter(ports)
        mappings = tuple(
            replace(mapping, host_port=next(chosen)) if mapping.host_port is None else mapping
            for mapping in self.port_mappings
        )
        return replace(self, port_mappings=mappings)

    def to_container_info(self) -> JsonObject:
        """``ContainerInfo`` JSON of type ``DOCKER``; every host port must be chosen by now."""
        for index, mapping in enumerate(self.port_mappings):
            if mapping.host_port is None:
                raise ValueError(
                    f"DockerContainer.port_mappings[{index}].host_port: not chosen yet; call "
                    "with_host_ports() with the ports taken from the offer"
                )
        docker: JsonObject = {
            "image": self.image,
            "network": self.network,
            "port_mappings": [
                {
                    "host_port": mapping.host_port,
                    "container_port": mapping.container_port,
                    "protocol": mapping.protocol,
                }
                for mapping in self.port_mappings
            ],
            "privileged": self.privileged,
            "parameters": [
                {"key": key, "value": value}
                for key, value in _parameter_pairs("DockerContainer.parameters", self.parameters)
            ],
            "force_pull_image": self.force_pull_image,
        }
        info: JsonObject = {
            "type": "DOCKER",
            "docker": docker,
            "volumes": [volume._to_json() for volume in self.volumes],
            "network_infos": [] if self.network_name is None else [{"name": self.network_name}],
        }
        if self.hostname is not None:
            info["hostname"] = self.hostname
        return info


class _MesosImage(msgspec.Struct, frozen=True):
    # `image` is MesosContainer's one positional argument; the fields after it are keyword-only.
    image: str | None = None


class MesosContainer(
    _MesosImage, frozen=True, kw_only=True, tag_field="containerizer", tag="MESOS"
):
    """Run under the agent's own (Mesos) containerizer, with or without a Docker image.

    ``image`` is a Docker image the agent provisions itself (no Docker engine needed; the agent
    must run the ``docker/runtime`` isolator and ``filesystem/linux``). With no image the task
    sees the agent's filesystem. ``network_names`` join CNI networks by name. Volumes with an
    absolute ``host_path`` need the ``volume/host_path`` isolator, relative ones (paths in the
    sandbox) ``volume/sandbox_path``.
    """

    force_pull_image: bool = False
    volumes: Sequence[Volume] = ()
    network_names: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.image is not None:
            _check_word("MesosContainer.image", self.image)
        pull = _require("MesosContainer.force_pull_image", self.force_pull_image, bool, "a bool")
        if pull and self.image is None:
            raise ValueError("MesosContainer.force_pull_image: needs an image to pull")
        force_setattr(self, "volumes", _check_volumes("MesosContainer", self.volumes))
        field = "MesosContainer.network_names"
        names = tuple(
            _check_word(f"{field}[{index}]", name)
            for index, name in enumerate(
                _require_list(field, self.network_names, "a list of names")
            )
        )
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"{field}[{index}]: network {name!r} is named twice")
        force_setattr(self, "network_names", names)

    def to_container_info(self) -> JsonObject:
        """``ContainerInfo`` JSON of type ``MESOS``."""
        info: JsonObject = {
            "type": "MESOS",
            "volumes": [volume._to_json() for volume in self.volumes],
            "network_infos": [{"name": name} for name in self.network_names],
        }
        if self.image is not None:
            info["mesos"] = {
                "image": {
                    "type": "DOCKER",
                    "docker": {"name": self.image},
                    "cached": not self.force_pull_image,
                }
            }
        return info


Container: TypeAlias = DockerContainer | MesosContainer
"""Either container; a field of this type decodes by its ``containerizer`` tag."""


# ---------------------------------------------------------------------------------------------
# Health checks.


class HealthCheckTiming(TypedDict, total=False):
    """The timing arguments every :class:`HealthCheck` constructor takes (Mesos's defaults)."""

    delay_seconds: float
    interval_seconds: float
    timeout_seconds: float
    consecutive_failures: int
    grace_period_seconds: float


class HealthCheck(msgspec.Struct, frozen=True, kw_only=True):
    """A task health check run by the executor; build one with :meth:`command`, :meth:`http`
    or :meth:`tcp`.

    Timing follows Mesos: wait ``delay_seconds`` after the task starts, then probe every
    ``interval_seconds``, each probe bounded by ``timeout_seconds`` (0: no bound); failures in
    the first ``grace_period_seconds`` do not count until one probe succeeds; the task is killed
    after ``consecutive_failures`` failures in a row.

    HTTP and TCP probes go to ``127.0.0.1:port``. For a Docker task on ``BRIDGE`` or ``USER``
    they run inside the container's network, so give the container port. ``port_index`` instead
    picks one of the task's ports once the placement chose them (see :meth:`resolve_port`),
    which suits ``HOST`` networking.
    """

    kind: HealthCheckKind
    shell_command: str | None = None
    port: int | None = None
    port_index: int | None = None
    path: str = "/"
    scheme: HttpScheme = "http"
    delay_seconds: float = 15.0
    interval_seconds: float = 10.0
    timeout_seconds: float = 20.0
    consecutive_failures: int = 3
    grace_period_seconds: float = 10.0

    @classmethod
    def command(cls, shell_command: str, **timing: Unpack[HealthCheckTiming]) -> HealthCheck:
        """Healthy when ``/bin/sh -c shell_command`` exits 0 (run inside the task's container)."""
        return cls(kind="COMMAND", shell_command=shell_command, **timing)

    @classmethod
    def http(
        cls,
        port: int | None = None,
        *,
        port_index: int | None = None,
        path: str = "/",
        scheme: HttpScheme = "http",
        **timing: Unpack[HealthCheckTiming],
    ) -> HealthCheck:
        """Healthy when ``GET scheme://127.0.0.1:port/path`` answers a status from 200 to 399."""
        return cls(
            kind="HTTP", port=port, port_index=port_index, path=path, scheme=scheme, **timing
        )

    @classmethod
    def tcp(
        cls,
        port: int | None = None,
        *,
        port_index: int | None = None,
        **timing: Unpack[HealthCheckTiming],
    ) -> HealthCheck:
        """Healthy when a TCP connection to ``127.0.0.1:port`` opens."""
        return cls(kind="TCP", port=port, port_index=port_index, **timing)

    def __post_init__(self) -> None:
        kind = _check_choice("HealthCheck.kind", self.kind, get_args(HealthCheckKind))
        if kind == "COMMAND":
            if self.shell_command is None:
                raise ValueError("HealthCheck.shell_command: required for a COMMAND check")
            command = _require("HealthCheck.shell_command", self.shell_command, str, "a string")
            if not command.strip():
                raise ValueError("HealthCheck.shell_command: must not be empty")
            for name in ("port", "port_index"):
                if getattr(self, name) is not None:
                    raise ValueError(f"HealthCheck.{name}: only for HTTP and TCP checks")
        else:
            if self.shell_command is not None:
                raise ValueError("HealthCheck.shell_command: only for COMMAND checks")
            self._check_port_choice()
        if kind == "HTTP":
            if not _require("HealthCheck.path", self.path, str, "a string").startswith("/"):
                raise ValueError(f"HealthCheck.path: must start with '/', got {self.path!r}")
            _check_choice("HealthCheck.scheme", self.scheme, get_args(HttpScheme))
        elif (self.path, self.scheme) != ("/", "http"):
            raise ValueError("HealthCheck.path, HealthCheck.scheme: only for HTTP checks")
        for name in (
            "delay_seconds",
            "interval_seconds",
            "timeout_seconds",
            "grace_period_seconds",
        ):
            force_setattr(self, name, _check_seconds(f"HealthCheck.{name}", getattr(self, name)))
        _check_int("HealthCheck.consecutive_failures", self.consecutive_failures, 1, MAX_UINT32)

    def _check_port_choice(self) -> None:
        if (self.port is None) == (self.port_index is None):
            raise ValueError(
                f"HealthCheck.port: give either port or port_index for a {self.kind} check"
            )
        if self.port is not None:
            _check_port("HealthCheck.port", self.port)
        else:
            _check_int("HealthCheck.port_index", self.port_index, 0, MAX_PORT)

    def resolve_port(self, task_ports: Sequence[int]) -> HealthCheck:
        """A copy probing ``task_ports[port_index]``; unchanged when the port is given directly.

        `task_ports` are the ports the placement gave the task, in the order the task asked.
        """
        if self.port_index is None:
            return self
        if self.port_index >= len(_require_list("task_ports", task_ports, "a list of ports")):
            raise ValueError(
                f"HealthCheck.port_index: {self.port_index} is past the task's "
                f"{len(task_ports)} port(s)"
            )
        return replace(self, port=task_ports[self.port_index], port_index=None)

    def to_health_check(self) -> JsonObject:
        """``HealthCheck`` JSON; a ``port_index`` must be resolved by now."""
        check: JsonObject = {
            "type": self.kind,
            "delay_seconds": self.delay_seconds,
            "interval_seconds": self.interval_seconds,
            "timeout_seconds": self.timeout_seconds,
            "consecutive_failures": self.consecutive_failures,
            "grace_period_seconds": self.grace_period_seconds,
        }
        if self.kind == "COMMAND":
            check["command"] = {"shell": True, "value": self.shell_command}
            return check
        if self.port is None:
            raise ValueError(
                "HealthCheck.port_index: not resolved yet; "
                "call resolve_port() with the task's ports"
            )
        if self.kind == "HTTP":
            check["http"] = {"port": self.port, "path": self.path, "scheme": self.scheme}
        else:
            check["tcp"] = {"port": self.port}
        return check
