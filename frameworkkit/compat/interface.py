"""The callback interface a pymesos scheduler implements, with do-nothing defaults.

Subclass :class:`Scheduler` and override the callbacks you need; the driver calls them from its
own thread, one at a time. Messages are in the JSON shape of the v1 API: ``addict.Dict`` objects
when the driver was built with ``use_addict=True``, plain dicts otherwise. IDs are
``{"value": ...}`` messages and ``data`` fields stay base64 text (see ``decode_data``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scheduler_driver import MesosSchedulerDriver

__all__ = ["Message", "Scheduler"]

log = logging.getLogger("frameworkkit.compat")

Message = dict[str, Any]
"""A Mesos message in its JSON form (an ``addict.Dict`` is a dict too)."""


class Scheduler:
    """Base class of a pymesos-style scheduler: every callback does nothing unless overridden."""

    def registered(
        self, driver: MesosSchedulerDriver, framework_id: Message, master_info: Message
    ) -> None:
        """The first SUBSCRIBED for a framework without an ID: Mesos assigned `framework_id`."""

    def reregistered(self, driver: MesosSchedulerDriver, master_info: Message) -> None:
        """SUBSCRIBED again for a framework that already has its ID (failover, reconnection)."""

    def disconnected(self, driver: MesosSchedulerDriver) -> None:
        """The event stream to the master ended; the driver is subscribing again."""

    def processHeartBeat(self, driver: MesosSchedulerDriver) -> None:
        """A HEARTBEAT arrived from the master."""

    def resourceOffers(self, driver: MesosSchedulerDriver, offers: list[Message]) -> None:
        """New offers: launch tasks on them (``driver.launchTasks``) or decline them."""

    def inverseOffers(self, driver: MesosSchedulerDriver, offers: list[Message]) -> None:
        """Mesos asks for resources back (maintenance): accept or decline the inverse offers."""

    def offerRescinded(self, driver: MesosSchedulerDriver, offer_id: Message) -> None:
        """An offer is no longer valid; launching on it would fail."""

    def inverseOfferRescinded(self, driver: MesosSchedulerDriver, offer_id: Message) -> None:
        """An inverse offer is no longer valid."""

    def statusUpdate(self, driver: MesosSchedulerDriver, status: Message) -> None:
        """A task changed state. With implicit acknowledgements, returning acknowledges it."""

    def operationStatusUpdate(self, driver: MesosSchedulerDriver, status: Message) -> None:
        """An offer operation that carried an ``id`` changed state."""

    def frameworkMessage(
        self, driver: MesosSchedulerDriver, executor_id: Message, agent_id: Message, message: str
    ) -> None:
        """An executor sent `message` (base64 text; best effort, never resent)."""

    def slaveLost(self, driver: MesosSchedulerDriver, agent_id: Message) -> None:
        """An agent is gone or unreachable; reschedule its tasks elsewhere."""

    def executorLost(
        self,
        driver: MesosSchedulerDriver,
        executor_id: Message,
        agent_id: Message,
        status: int | None,
    ) -> None:
        """An executor ended with exit `status`; its tasks get their own updates."""

    def error(self, driver: MesosSchedulerDriver, message: str) -> None:
        """An unrecoverable error; the driver has already aborted when this is called."""
        log.error("error from Mesos: %s", message)
