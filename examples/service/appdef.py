"""A service's definition in Marathon's app JSON, checked, with Marathon v0.13's defaults.

:func:`parse_app` reads the JSON a Marathon user writes (``id``, ``cmd``, ``instances``,
``cpus``, ``mem``, ``ports``, ``constraints``, ``healthChecks``, ``upgradeStrategy``,
``backoffSeconds``, ``backoffFactor``, ``maxLaunchDelaySeconds``, a Docker ``container``, ...);
a bad field raises :class:`AppDefinitionError` naming it. :func:`task_spec` turns a definition
into the frameworkkit ``TaskSpec`` of one instance.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import msgspec

from frameworkkit import (
    Constraint,
    DockerContainer,
    HealthCheck,
    PortMapping,
    TaskSpec,
    TaskSpecError,
    Volume,
)
from frameworkkit.containers import HealthCheckTiming

SERVICE_PORTS = range(10000, 20001)
"""Where service ports given as 0 are taken from (Marathon's ``local_port_min``/``max``)."""

_SEGMENT = re.compile(
    r"^([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])(\.([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9]))*$"
)


class AppDefinitionError(ValueError):
    """An app definition is malformed; the message starts with the field."""


class _Marathon(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Marathon's JSON: camelCase names, unknown fields refused."""


class Command(_Marathon):
    value: str


class MarathonHealthCheck(_Marathon):
    """One of ``healthChecks``; the timing defaults are Marathon's."""

    protocol: Literal["HTTP", "TCP", "COMMAND"] = "HTTP"
    path: str = "/"
    port_index: int = 0
    command: Command | None = None
    grace_period_seconds: float = 300.0
    interval_seconds: float = 60.0
    timeout_seconds: float = 20.0
    max_consecutive_failures: int = 3
    ignore_http1xx: bool = msgspec.field(default=False, name="ignoreHttp1xx")

    def __post_init__(self) -> None:
        if (self.protocol == "COMMAND") != (self.command is not None):
            raise ValueError("command: required for protocol COMMAND and only for it")
        if self.ignore_http1xx:
            raise ValueError("ignoreHttp1xx: not supported (1xx answers count as failures)")
        _at_least("portIndex", self.port_index, 0)
        _at_least("maxConsecutiveFailures", self.max_consecutive_failures, 1)
        for name in ("gracePeriodSeconds", "intervalSeconds", "timeoutSeconds"):
            _at_least(name, getattr(self, _snake(name)), 0)


class UpgradeStrategy(_Marathon):
    """How many instances stay healthy, and how many extra may run, during a rolling restart."""

    minimum_health_capacity: float = 1.0
    maximum_over_capacity: float = 1.0

    def __post_init__(self) -> None:
        for name in ("minimumHealthCapacity", "maximumOverCapacity"):
            value = getattr(self, _snake(name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: from 0.0 to 1.0, got {value!r}")


class DockerPortMapping(_Marathon):
    container_port: int
    host_port: int = 0
    service_port: int = 0
    protocol: Literal["tcp", "udp"] = "tcp"


class DockerParameter(_Marathon):
    key: str
    value: str


class Docker(_Marathon):
    image: str
    network: Literal["HOST", "BRIDGE"] = "HOST"
    port_mappings: list[DockerPortMapping] = []
    privileged: bool = False
    parameters: list[DockerParameter] = []
    force_pull_image: bool = False

    def __post_init__(self) -> None:
        if self.port_mappings and self.network != "BRIDGE":
            raise ValueError("portMappings: only with network BRIDGE")


class MarathonVolume(_Marathon):
    container_path: str
    host_path: str
    mode: Literal["RW", "RO"] = "RW"


class Container(_Marathon):
    docker: Docker
    type: Literal["DOCKER"] = "DOCKER"
    volumes: list[MarathonVolume] = []


class App(_Marathon):
    """A Marathon app definition; ``ports`` (or the Docker port mappings' ``servicePort``) are
    its service ports, 0 meaning "assign one"."""

    id: str
    cmd: str | None = None
    args: list[str] | None = None
    instances: int = 1
    cpus: float = 1.0
    mem: float = 128.0
    disk: float = 0.0
    ports: list[int] = msgspec.field(default_factory=lambda: [0])
    env: dict[str, str] = {}
    constraints: list[list[str]] = []
    health_checks: list[MarathonHealthCheck] = []
    upgrade_strategy: UpgradeStrategy = msgspec.field(default_factory=UpgradeStrategy)
    backoff_seconds: float = 1.0
    backoff_factor: float = 1.15
    max_launch_delay_seconds: float = 3600.0
    container: Container | None = None
    labels: dict[str, str] = {}

    def __post_init__(self) -> None:
        segments = self.id.strip("/").split("/")
        if not all(_SEGMENT.match(s) for s in segments):
            raise ValueError(
                f"id: a path of lower-case names ('/web', '/shop/cart'), got {self.id!r}"
            )
        msgspec.structs.force_setattr(self, "id", "/" + "/".join(segments))
        if self.cmd is not None and self.args is not None:
            raise ValueError("cmd: give cmd or args, not both")
        if self.cmd is None and self.args is None and self.container is None:
            raise ValueError("cmd: give cmd, args or a container")
        _at_least("instances", self.instances, 0)
        for name in ("cpus", "mem", "disk", "backoffSeconds", "maxLaunchDelaySeconds"):
            _at_least(name, getattr(self, _snake(name)), 0)
        _at_least("backoffFactor", self.backoff_factor, 1)
        if len(self.health_checks) > 1:
            raise ValueError("healthChecks: at most one health check per app is supported")
        self._check_ports()
        for index, constraint in enumerate(self.constraints):
            _as_field(f"constraints[{index}]", Constraint.parse, constraint)
        _as_field("container", _docker, self)
        _as_field("healthChecks[0]", _health_check, self)

    def _check_ports(self) -> None:
        field, ports = "ports", self.ports
        if self.port_mappings:
            field, ports = "servicePort", [m.service_port for m in self.port_mappings]
        for port in ports:
            if not 0 <= port <= 65535:
                raise ValueError(f"{field}: from 0 to 65535, got {port}")
        given = [p for p in ports if p]
        if len(set(given)) != len(given):
            raise ValueError(f"{field}: service ports must be distinct, got {ports}")
        for check in self.health_checks:
            if check.protocol != "COMMAND" and check.port_index >= self.host_ports:
                raise ValueError(
                    f"healthChecks[0].portIndex: {check.port_index}, but the app has "
                    f"{self.host_ports} port(s)"
                )

    @property
    def safe_id(self) -> str:
        """The id as one name, ``/shop/cart`` -> ``shop_cart`` (task names, the text format)."""
        return self.id.strip("/").replace("/", "_")

    @property
    def port_mappings(self) -> list[DockerPortMapping]:
        """The Docker port mappings on a bridged network ([] otherwise)."""
        if self.container is None or self.container.docker.network != "BRIDGE":
            return []
        return self.container.docker.port_mappings

    @property
    def host_ports(self) -> int:
        """How many host ports each instance takes from its offer."""
        return len(self.port_mappings) if self.port_mappings else len(self.ports)

    @property
    def service_ports(self) -> list[int]:
        mappings = self.port_mappings
        return [m.service_port for m in mappings] if mappings else list(self.ports)

    @property
    def health_check(self) -> MarathonHealthCheck | None:
        return self.health_checks[0] if self.health_checks else None

    def to_json(self) -> dict[str, Any]:
        """The definition as Marathon's JSON (every field, defaults included)."""
        plain: dict[str, Any] = msgspec.to_builtins(self)
        return plain


def parse_app(document: object) -> App:
    """An :class:`App` from decoded JSON, checked field by field, or :class:`AppDefinitionError`
    naming the field."""
    try:
        app = msgspec.convert(document, App)
        task_spec(app, "check.1", version=1)  # the rest as frameworkkit checks it (env names)
    except msgspec.ValidationError as error:  # names the field: "... - at `$.instances`"
        raise AppDefinitionError(str(error)) from None
    except TaskSpecError as error:
        problem = str(error).removeprefix(f"TaskSpec.{error.field}: ")
        field = {"command": "cmd"}.get(error.field, error.field)
        raise AppDefinitionError(f"{field}: {problem}") from None
    return app


def updated(app: App, changes: object) -> App:
    """``app`` with the fields of ``changes`` (Marathon's ``PUT /v2/apps/<id>`` body) replaced."""
    if not isinstance(changes, dict):
        raise AppDefinitionError(f"the body must be a JSON object, got {type(changes).__name__}")
    new = parse_app({**app.to_json(), **changes})
    if new.id != app.id:
        raise AppDefinitionError(f"id: {changes['id']!r} is not this app ({app.id})")
    return new


def with_service_ports(app: App, previous: App | None) -> App:
    """``app`` with each service port given as 0 filled in: the previous version's port at that
    index, else the lowest free one from :data:`SERVICE_PORTS`."""
    before = previous.service_ports if previous is not None else []
    ports = app.service_ports
    taken = {p for p in ports if p}
    filled = []
    for index, port in enumerate(ports):
        if port == 0:
            reused = before[index] if index < len(before) and before[index] not in taken else 0
            port = reused or next(p for p in SERVICE_PORTS if p not in taken)
            taken.add(port)
        filled.append(port)
    if not app.port_mappings:
        return msgspec.structs.replace(app, ports=filled)
    assert app.container is not None
    docker = app.container.docker
    mappings = [
        msgspec.structs.replace(m, service_port=p)
        for m, p in zip(docker.port_mappings, filled, strict=True)
    ]
    container = msgspec.structs.replace(
        app.container, docker=msgspec.structs.replace(docker, port_mappings=mappings)
    )
    return msgspec.structs.replace(app, container=container)


def task_spec(app: App, name: str, *, version: int) -> TaskSpec:
    """The ``TaskSpec`` of one instance of ``app`` at ``version``, named ``name``.

    Health checks run in the executor, as Mesos's do (Marathon v0.13 ran HTTP and TCP checks
    itself), starting at once (Marathon's ``delaySeconds`` 0). Attempts are not retried: the
    keeper replaces an instance that ends.
    """
    command: str | list[str] | None = app.cmd if app.cmd is not None else app.args
    return TaskSpec(
        name=name,
        command=command,
        cpus=app.cpus,
        mem=app.mem,
        disk=app.disk,
        ports=app.host_ports,
        env={**app.env, "MARATHON_APP_ID": app.id, "MARATHON_APP_VERSION": str(version)},
        constraints=tuple(Constraint.parse(c) for c in app.constraints),
        group=app.safe_id,
        container=_docker(app),
        health_check=_health_check(app),
        labels={**app.labels, "app_id": app.id, "app_version": str(version)},
    )


def _docker(app: App) -> DockerContainer | None:
    if app.container is None:
        return None
    docker = app.container.docker
    return DockerContainer(
        docker.image,
        network=docker.network,
        port_mappings=[
            PortMapping(m.host_port or None, m.container_port, m.protocol)
            for m in app.port_mappings
        ],
        privileged=docker.privileged,
        parameters=[(p.key, p.value) for p in docker.parameters],
        force_pull_image=docker.force_pull_image,
        volumes=[Volume(v.container_path, v.host_path, v.mode) for v in app.container.volumes],
    )


def _health_check(app: App) -> HealthCheck | None:
    check = app.health_check
    if check is None:
        return None
    timing: HealthCheckTiming = {
        "delay_seconds": 0.0,
        "interval_seconds": check.interval_seconds,
        "timeout_seconds": check.timeout_seconds,
        "consecutive_failures": check.max_consecutive_failures,
        "grace_period_seconds": check.grace_period_seconds,
    }
    if check.protocol == "COMMAND":
        assert check.command is not None
        return HealthCheck.command(check.command.value, **timing)
    mappings = app.port_mappings  # bridged: the probe runs inside the container
    port = mappings[check.port_index].container_port if mappings else None
    index = None if mappings else check.port_index
    if check.protocol == "TCP":
        return HealthCheck.tcp(port, port_index=index, **timing)
    return HealthCheck.http(port, port_index=index, path=check.path, **timing)


def _as_field(field: str, build: Any, *args: Any) -> None:
    """Run ``build(*args)``; what it raises is reported as a problem of ``field``."""
    try:
        build(*args)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{field}: {error}") from None


def _at_least(name: str, value: float, least: float) -> None:
    if not (math.isfinite(value) and value >= least):
        raise ValueError(f"{name}: a number >= {least:g}, got {value!r}")


def _snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)
