"""Typed records for the parts of Mesos 1.11 v1 messages that frameworkkit reads.

These mirror the JSON form of ``mesos.proto`` (field names as in the proto, enums as strings).
Decode into them with :mod:`frameworkkit.protocol.codec`; unknown fields are ignored, so a message
carrying more than is modelled here still decodes. Use them when you need typed access on the hot
path; user code that wants the whole message asks the event view for an addict object instead.
"""

from __future__ import annotations

from typing import Any

import msgspec

JsonObject = dict[str, Any]
"""A JSON object kept as plain Python data (parts of a message modelled no further)."""


class Record(msgspec.Struct, omit_defaults=True, gc=False):
    """Base of every wire record: ignores unknown fields, omits defaults when encoded.

    Records are not tracked by the garbage collector (a large part of decoding speed), so never
    build reference cycles through them.
    """


# msgspec allows a frozen Struct under a mutable base; mypy applies the dataclass rule.
class ID(Record, frozen=True):  # type: ignore[misc]
    """Any Mesos ``*ID`` message (FrameworkID, AgentID, OfferID, TaskID, ExecutorID, ...)."""

    value: str


class Scalar(Record):
    value: float


class Range(Record):
    begin: int
    end: int


class Ranges(Record):
    range: list[Range] = []


class ValueSet(Record):
    item: list[str] = []


class Text(Record):
    value: str


class Label(Record):
    key: str
    value: str | None = None


class Labels(Record):
    labels: list[Label] = []


class ReservationInfo(Record):
    """One entry of a resource's ``reservations`` stack (or the legacy ``reservation`` field)."""

    type: str | None = None  # STATIC or DYNAMIC
    role: str | None = None
    principal: str | None = None
    labels: Labels | None = None


class AllocationInfo(Record):
    role: str | None = None


class Persistence(Record):
    id: str
    principal: str | None = None


class Volume(Record):
    container_path: str
    mode: str | None = None
    host_path: str | None = None


class DiskSourcePath(Record):
    root: str | None = None


class DiskSource(Record):
    type: str  # PATH, MOUNT, BLOCK, RAW
    path: DiskSourcePath | None = None
    mount: DiskSourcePath | None = None
    id: str | None = None
    profile: str | None = None


class DiskInfo(Record):
    persistence: Persistence | None = None
    volume: Volume | None = None
    source: DiskSource | None = None


class Resource(Record, omit_defaults=False):
    """A ``Resource``: one named scalar, ranges or set, with its role and reservation state.

    Encoded with every field (unset ones as null, which Mesos reads as absent) because Mesos
    requires ``type`` even when it is the default SCALAR.
    """

    name: str
    type: str = "SCALAR"
    scalar: Scalar | None = None
    ranges: Ranges | None = None
    set: ValueSet | None = None
    role: str | None = None  # deprecated pre-refinement role; "*" when unreserved
    reservation: ReservationInfo | None = None  # deprecated pre-refinement reservation
    reservations: list[ReservationInfo] = []
    allocation_info: AllocationInfo | None = None
    disk: DiskInfo | None = None
    revocable: dict[str, object] | None = None
    shared: dict[str, object] | None = None
    provider_id: ID | None = None


class DomainName(Record):
    """A fault domain's ``region`` or ``zone``."""

    name: str


class FaultDomain(Record):
    region: DomainName
    zone: DomainName


class DomainInfo(Record):
    fault_domain: FaultDomain | None = None


class Attribute(Record):
    """An agent attribute: text, scalar, ranges or set."""

    name: str
    type: str
    scalar: Scalar | None = None
    ranges: Ranges | None = None
    set: ValueSet | None = None
    text: Text | None = None


class Offer(Record):
    """A resource offer from one agent."""

    id: ID
    framework_id: ID
    agent_id: ID
    hostname: str
    resources: list[Resource] = []
    attributes: list[Attribute] = []
    executor_ids: list[ID] = []
    allocation_info: AllocationInfo | None = None
    domain: DomainInfo | None = None


class TimeInfo(Record):
    """A ``TimeInfo`` (point in time) or ``DurationInfo`` (span), both in nanoseconds."""

    nanoseconds: int


class UUID(Record):
    value: bytes


class ContainerID(Record):
    value: str
    parent: ContainerID | None = None


class Capability(Record):
    """One ``capabilities`` entry of a FrameworkInfo, MasterInfo or AgentInfo."""

    type: str | None = None


class Address(Record):
    port: int
    hostname: str | None = None
    ip: str | None = None


class MasterInfo(Record):
    id: str
    ip: int
    port: int = 5050
    pid: str | None = None
    hostname: str | None = None
    version: str | None = None
    address: Address | None = None
    domain: DomainInfo | None = None
    capabilities: list[Capability] = []


class AgentInfo(Record):
    hostname: str
    port: int = 5051
    resources: list[Resource] = []
    attributes: list[Attribute] = []
    id: ID | None = None
    domain: DomainInfo | None = None
    capabilities: list[Capability] = []


class FrameworkInfo(Record):
    user: str
    name: str
    id: ID | None = None
    failover_timeout: float | None = None
    checkpoint: bool | None = None
    role: str | None = None  # deprecated single role of frameworks without MULTI_ROLE
    roles: list[str] = []
    hostname: str | None = None
    principal: str | None = None
    webui_url: str | None = None
    capabilities: list[Capability] = []
    labels: Labels | None = None
    offer_filters: JsonObject = {}


class EnvironmentVariable(Record):
    name: str
    type: str | None = None  # VALUE (default) or SECRET
    value: str | None = None
    secret: JsonObject | None = None


class Environment(Record):
    variables: list[EnvironmentVariable] = []


class CommandURI(Record):
    value: str
    executable: bool | None = None
    extract: bool | None = None
    cache: bool | None = None
    output_file: str | None = None


class CommandInfo(Record):
    uris: list[CommandURI] = []
    environment: Environment | None = None
    shell: bool | None = None  # Mesos treats an absent value as true
    value: str | None = None
    arguments: list[str] = []
    user: str | None = None


class KillPolicy(Record):
    grace_period: TimeInfo | None = None


class ExecutorInfo(Record):
    executor_id: ID
    type: str | None = None  # DEFAULT or CUSTOM
    framework_id: ID | None = None
    command: CommandInfo | None = None
    container: JsonObject | None = None
    resources: list[Resource] = []
    name: str | None = None
    source: str | None = None
    data: bytes | None = None
    discovery: JsonObject | None = None
    shutdown_grace_period: TimeInfo | None = None
    labels: Labels | None = None


class TaskInfo(Record):
    name: str
    task_id: ID
    agent_id: ID
    resources: list[Resource] = []
    executor: ExecutorInfo | None = None
    command: CommandInfo | None = None
    container: JsonObject | None = None
    health_check: JsonObject | None = None
    check: JsonObject | None = None
    kill_policy: KillPolicy | None = None
    data: bytes | None = None
    labels: Labels | None = None
    discovery: JsonObject | None = None
    max_completion_time: TimeInfo | None = None
    limits: dict[str, Scalar] = {}


class TaskGroupInfo(Record):
    tasks: list[TaskInfo] = []


class ContainerStatus(Record):
    container_id: ContainerID | None = None
    network_infos: list[JsonObject] = []
    cgroup_info: JsonObject | None = None
    executor_pid: int | None = None


class TaskResourceLimitation(Record):
    resources: list[Resource] = []


class TaskStatus(Record):
    """A task's status as carried by UPDATE events (``uuid`` and ``data`` are raw bytes)."""

    task_id: ID
    state: str
    message: str | None = None
    source: str | None = None
    reason: str | None = None
    data: bytes | None = None
    agent_id: ID | None = None
    executor_id: ID | None = None
    timestamp: float | None = None
    uuid: bytes | None = None
    healthy: bool | None = None
    check_status: JsonObject | None = None
    labels: Labels | None = None
    container_status: ContainerStatus | None = None
    unreachable_time: TimeInfo | None = None
    limitation: TaskResourceLimitation | None = None


class OperationStatus(Record):
    state: str
    operation_id: ID | None = None
    message: str | None = None
    converted_resources: list[Resource] = []
    uuid: UUID | None = None
    agent_id: ID | None = None
    resource_provider_id: ID | None = None
