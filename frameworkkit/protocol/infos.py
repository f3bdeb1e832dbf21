"""Builders for the ``*Info`` messages a framework sends, as JSON-ready dicts.

FrameworkInfo goes into SUBSCRIBE and UPDATE_FRAMEWORK; TaskInfo, ExecutorInfo, CommandInfo and
KillPolicy go into offer operations (:mod:`frameworkkit.protocol.operations`) and KILL; a
``HealthCheck`` is rendered by :class:`frameworkkit.containers.HealthCheck`. Each builder checks
its arguments and raises naming the one at fault. Field names and enum values follow Mesos 1.11
``mesos.proto``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from frameworkkit import validation
from frameworkkit.protocol import _fields
from frameworkkit.protocol._fields import IdLike, JsonDict, LabelsLike, ResourceLike

FRAMEWORK_CAPABILITIES = (
    "REVOCABLE_RESOURCES",
    "TASK_KILLING_STATE",
    "GPU_RESOURCES",
    "SHARED_RESOURCES",
    "PARTITION_AWARE",
    "MULTI_ROLE",
    "RESERVATION_REFINEMENT",
    "REGION_AWARE",
)
EXECUTOR_TYPES = ("DEFAULT", "CUSTOM")
NETWORK_PROTOCOLS = ("IPv4", "IPv6")


def framework_info(
    user: str,
    name: str,
    *,
    framework_id: IdLike | None = None,
    failover_timeout: float | None = None,
    checkpoint: bool = False,
    roles: Iterable[str] = (),
    capabilities: Iterable[str] = (),
    principal: str | None = None,
    hostname: str | None = None,
    webui_url: str | None = None,
    labels: LabelsLike | None = None,
    offer_filters: Mapping[str, Iterable[Mapping[str, float]]] | None = None,
) -> JsonDict:
    """A ``FrameworkInfo``.

    ``framework_id`` is the ID the master assigned at the first SUBSCRIBED (set it when
    resubscribing). ``failover_timeout`` is how many seconds the master keeps the framework's tasks
    alive while it is disconnected; Mesos treats an absent value as 0. ``roles`` needs the
    ``MULTI_ROLE`` capability. ``offer_filters`` maps a role to alternative minimum resource
    quantities (e.g. ``{"batch": [{"cpus": 1, "mem": 512}]}``): smaller offers are not sent.
    """
    info: JsonDict = {"user": validation.text("user", user), "name": validation.text("name", name)}
    _fields.put(info, "id", _fields.mesos_id, framework_id, "framework_id")
    _fields.put(info, "failover_timeout", validation.number, failover_timeout)
    if validation.flag("checkpoint", checkpoint):
        info["checkpoint"] = True
    checked_roles = _fields.roles("roles", roles)
    checked_capabilities = [
        _fields.choice(f"capabilities[{i}]", capability, FRAMEWORK_CAPABILITIES)
        for i, capability in enumerate(validation.sequence("capabilities", capabilities))
    ]
    if len(set(checked_capabilities)) != len(checked_capabilities):
        raise ValueError(f"capabilities must not repeat a capability: {checked_capabilities}")
    if checked_roles:
        if "MULTI_ROLE" not in checked_capabilities:
            raise ValueError("roles: a framework with roles needs the MULTI_ROLE capability")
        info["roles"] = checked_roles
    if checked_capabilities:
        info["capabilities"] = [{"type": capability} for capability in checked_capabilities]
    _fields.put(info, "principal", validation.text, principal)
    _fields.put(info, "hostname", validation.text, hostname)
    _fields.put(info, "webui_url", validation.text, webui_url)
    _fields.put(info, "labels", _fields.labels, labels)
    _fields.put(info, "offer_filters", _offer_filters, offer_filters)
    return info


def labels(items: LabelsLike) -> JsonDict:
    """A ``Labels`` message from a mapping or ``(key, value)`` pairs."""
    return _fields.labels("items", items)


def environment(variables: Mapping[str, str]) -> JsonDict:
    """An ``Environment`` of plain-value variables."""
    return _environment("variables", variables)


def command_uri(
    value: str,
    *,
    executable: bool | None = None,
    extract: bool | None = None,
    cache: bool | None = None,
    output_file: str | None = None,
) -> JsonDict:
    """A ``CommandInfo.URI``: a file the agent fetches into the sandbox before the command runs."""
    uri: JsonDict = {"value": validation.text("value", value)}
    _fields.put(uri, "executable", validation.flag, executable)
    _fields.put(uri, "extract", validation.flag, extract)
    _fields.put(uri, "cache", validation.flag, cache)
    _fields.put(uri, "output_file", validation.text, output_file)
    return uri


def command_info(
    value: str | None,
    *,
    shell: bool = True,
    arguments: Iterable[str] = (),
    uris: Iterable[str | Mapping[str, Any]] = (),
    environment: Mapping[str, str] | None = None,
    user: str | None = None,
) -> JsonDict:
    """A ``CommandInfo``.

    With ``shell`` (the default) ``value`` is a shell command line run by ``/bin/sh -c``. Without,
    ``value`` is the program run directly with ``arguments`` as its argv (argv[0] included;
    ``[value]`` when none are given), or None to run a container image's entrypoint with
    ``arguments``. ``uris`` are URLs or :func:`command_uri` dicts.
    """
    command: JsonDict = {}
    checked_arguments = [
        validation.text(f"arguments[{i}]", argument)
        for i, argument in enumerate(validation.sequence("arguments", arguments))
    ]
    if validation.flag("shell", shell):
        command["value"] = validation.text("value", value)
        if checked_arguments:
            raise ValueError("arguments: only used with shell=False (a shell command takes none)")
    else:
        command["shell"] = False
        if value is not None:
            command["value"] = validation.text("value", value)
            checked_arguments = checked_arguments or [value]
        if checked_arguments:
            command["arguments"] = checked_arguments
    checked_uris = [
        command_uri(uri) if isinstance(uri, str) else _fields.mapping(f"uris[{i}]", uri)
        for i, uri in enumerate(validation.sequence("uris", uris))
    ]
    if checked_uris:
        command["uris"] = checked_uris
    _fields.put(command, "environment", _environment, environment)
    _fields.put(command, "user", validation.text, user)
    return command


def kill_policy(grace_period_seconds: float) -> JsonDict:
    """A ``KillPolicy``: how long a task gets between SIGTERM and SIGKILL."""
    return {"grace_period": _fields.duration("grace_period_seconds", grace_period_seconds)}


def executor_info(
    executor_id: IdLike,
    *,
    command: Mapping[str, Any] | None = None,
    executor_type: Literal["DEFAULT", "CUSTOM"] | None = None,
    framework_id: IdLike | None = None,
    name: str | None = None,
    resources: Iterable[ResourceLike] = (),
    container: Mapping[str, Any] | None = None,
    data: bytes | None = None,
    labels: LabelsLike | None = None,
    shutdown_grace_period_seconds: float | None = None,
) -> JsonDict:
    """An ``ExecutorInfo``.

    A custom executor (``executor_type`` CUSTOM or unset) runs ``command``; the DEFAULT executor
    is the one Mesos provides for LAUNCH_GROUP and takes no command.
    """
    info: JsonDict = {"executor_id": _fields.mesos_id("executor_id", executor_id)}
    if executor_type is not None:
        info["type"] = _fields.choice("executor_type", executor_type, EXECUTOR_TYPES)
    if executor_type == "DEFAULT":
        if command is not None:
            raise ValueError("command: the DEFAULT executor takes no command")
    elif command is None:
        raise ValueError("command: a custom executor needs a command")
    _fields.put(info, "command", _fields.mapping, command)
    _fields.put(info, "framework_id", _fields.mesos_id, framework_id)
    _fields.put(info, "name", validation.text, name)
    checked_resources = _fields.resources("resources", resources)
    if checked_resources:
        info["resources"] = checked_resources
    _fields.put(info, "container", _fields.mapping, container)
    _fields.put(info, "data", _fields.base64_bytes, data)
    _fields.put(info, "labels", _fields.labels, labels)
    _fields.put(
        info,
        "shutdown_grace_period",
        _fields.duration,
        shutdown_grace_period_seconds,
        "shutdown_grace_period_seconds",
    )
    return info


def task_info(
    name: str,
    task_id: IdLike,
    agent_id: IdLike,
    resources: Iterable[ResourceLike],
    *,
    command: Mapping[str, Any] | None = None,
    executor: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    health_check: Mapping[str, Any] | None = None,
    kill_policy: Mapping[str, Any] | None = None,
    data: bytes | None = None,
    labels: LabelsLike | None = None,
    discovery: Mapping[str, Any] | None = None,
    max_completion_time_seconds: float | None = None,
    limits: Mapping[str, float] | None = None,
) -> JsonDict:
    """A ``TaskInfo`` for the agent of the offer it is launched on.

    Give ``command`` (run by the command executor) or ``executor`` (a custom executor), not both;
    tasks of a task group give neither and run under the group's executor. ``limits`` maps a
    resource name (``cpus``, ``mem``) to the ceiling the task may burst to.
    """
    if command is not None and executor is not None:
        raise ValueError("command and executor: give one or the other, not both")
    info: JsonDict = {
        "name": validation.text("name", name),
        "task_id": _fields.mesos_id("task_id", task_id),
        "agent_id": _fields.mesos_id("agent_id", agent_id),
        "resources": _fields.non_empty("resources", _fields.resources("resources", resources)),
    }
    _fields.put(info, "command", _fields.mapping, command)
    _fields.put(info, "executor", _fields.mapping, executor)
    _fields.put(info, "container", _fields.mapping, container)
    _fields.put(info, "health_check", _fields.mapping, health_check)
    _fields.put(info, "kill_policy", _fields.mapping, kill_policy)
    _fields.put(info, "data", _fields.base64_bytes, data)
    _fields.put(info, "labels", _fields.labels, labels)
    _fields.put(info, "discovery", _fields.mapping, discovery)
    _fields.put(
        info,
        "max_completion_time",
        _fields.duration,
        max_completion_time_seconds,
        "max_completion_time_seconds",
    )
    _fields.put(info, "limits", _limits, limits)
    return info


def _environment(field: str, variables: Mapping[str, str]) -> JsonDict:
    entries: list[JsonDict] = []
    for name, value in _fields.mapping(field, variables).items():
        if not isinstance(value, str):
            raise TypeError(f"{field}[{name!r}] must be a string, got {type(value).__name__}")
        entries.append(
            {"name": validation.text(f"{field} key", name), "type": "VALUE", "value": value}
        )
    return {"variables": entries}


def _limits(field: str, limits: Mapping[str, float]) -> JsonDict:
    """Resource quantities by name, as ``Value.Scalar`` messages."""
    return {
        validation.text(f"{field} key", name): {
            "value": validation.number(f"{field}[{name!r}]", value)
        }
        for name, value in _fields.mapping(field, limits).items()
    }


def _offer_filters(field: str, filters: Mapping[str, Iterable[Mapping[str, float]]]) -> JsonDict:
    result: JsonDict = {}
    for role, alternatives in _fields.mapping(field, filters).items():
        where = f"{field}[{role!r}]"
        quantities = [
            {"quantities": _fields.non_empty(f"{where}[{i}]", _limits(f"{where}[{i}]", amounts))}
            for i, amounts in enumerate(validation.sequence(where, alternatives))
        ]
        result[validation.role(f"{field} key", role)] = {
            "min_allocatable_resources": {"quantities": quantities}
        }
    return result
