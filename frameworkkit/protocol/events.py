"""Typed records of the Mesos 1.11 v1 scheduler and executor events.

An event mirrors the proto's union: ``type`` names the event (kept as a string, so types added by
later Mesos versions still decode) and the field named after the type in lower case holds its body,
e.g. ``event.offers`` for ``OFFERS``. Decode frames into them with
:func:`frameworkkit.protocol.codec.decode_scheduler_event` and
:func:`~frameworkkit.protocol.codec.decode_executor_event`; ``event.raw_view()`` gives the whole
message as an addict object.
"""

from __future__ import annotations

import msgspec

from frameworkkit.protocol.messages import (
    ID,
    AgentInfo,
    ContainerID,
    ExecutorInfo,
    FrameworkInfo,
    KillPolicy,
    MasterInfo,
    Offer,
    OperationStatus,
    Record,
    TaskGroupInfo,
    TaskInfo,
    TaskStatus,
)
from frameworkkit.protocol.views import EventView

# Scheduler event bodies (scheduler.proto ``Event.*``).


class Subscribed(Record):
    framework_id: ID
    heartbeat_interval_seconds: float | None = None
    master_info: MasterInfo | None = None


class Offers(Record):
    offers: list[Offer] = []


class InverseOffers(Record):
    """Inverse offers, each kept as undecoded JSON (``msgspec.json.decode(raw)`` reads one)."""

    inverse_offers: list[msgspec.Raw] = []


class Rescind(Record):
    offer_id: ID


class RescindInverseOffer(Record):
    inverse_offer_id: ID


class Update(Record):
    status: TaskStatus


class UpdateOperationStatus(Record):
    status: OperationStatus


class SchedulerMessage(Record):
    agent_id: ID
    executor_id: ID
    data: bytes


class Failure(Record):
    agent_id: ID | None = None
    executor_id: ID | None = None
    status: int | None = None


class Error(Record):
    message: str


class SchedulerEvent(Record, EventView, gc=True, dict=True):
    """One event on the scheduler's subscription stream."""

    type: str = "UNKNOWN"
    subscribed: Subscribed | None = None
    offers: Offers | None = None
    inverse_offers: InverseOffers | None = None
    rescind: Rescind | None = None
    rescind_inverse_offer: RescindInverseOffer | None = None
    update: Update | None = None
    update_operation_status: UpdateOperationStatus | None = None
    message: SchedulerMessage | None = None
    failure: Failure | None = None
    error: Error | None = None


# Executor event bodies (executor.proto ``Event.*``).


class ExecutorSubscribed(Record):
    executor_info: ExecutorInfo
    framework_info: FrameworkInfo
    agent_info: AgentInfo
    container_id: ContainerID | None = None


class Launch(Record):
    task: TaskInfo


class LaunchGroup(Record):
    task_group: TaskGroupInfo


class Kill(Record):
    task_id: ID
    kill_policy: KillPolicy | None = None


class Acknowledged(Record):
    task_id: ID
    uuid: bytes


class ExecutorMessage(Record):
    data: bytes


class ExecutorEvent(Record, EventView, gc=True, dict=True):
    """One event on the executor's subscription stream."""

    type: str = "UNKNOWN"
    subscribed: ExecutorSubscribed | None = None
    acknowledged: Acknowledged | None = None
    launch: Launch | None = None
    launch_group: LaunchGroup | None = None
    kill: Kill | None = None
    message: ExecutorMessage | None = None
    error: Error | None = None
