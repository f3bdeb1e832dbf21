"""pymesos's ``MesosSchedulerDriver`` on frameworkkit's transport: same names, same callbacks."""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import addict
import msgspec

from frameworkkit.hooks import HookRunner
from frameworkkit.protocol import JsonDict, calls, operations
from frameworkkit.protocol.codec import encode_call
from frameworkkit.protocol.events import SchedulerEvent
from frameworkkit.scheduler.subscription import SubscriptionLoop
from frameworkkit.transport import (
    MesosConnection,
    Secret,
    SubscriptionEnded,
    Transport,
    TransportError,
    TransportOptions,
)

from . import arguments
from .data import decode_base64
from .loop_thread import LoopThread
from .status import DriverStatus

__all__ = ["DAY", "MesosSchedulerDriver"]

log = logging.getLogger("frameworkkit.compat")

DAY = 24 * 3600.0


class MesosSchedulerDriver:
    """Drop-in for pymesos's scheduler driver: connects a `Scheduler` to the leading master.

    Use it to run a scheduler written for pymesos unchanged. The driver runs its own thread and
    event loop; it calls the scheduler's callbacks one at a time, in the order of the events, by
    frameworkkit's hook rule (:mod:`frameworkkit.hooks`: a plain callback runs in a worker
    thread, so a slow one never stalls heartbeats), and acknowledges an update implicitly only
    after ``statusUpdate`` returned. Its methods
    may be called from callbacks and from any other thread: they check their arguments at once
    (raising ``TypeError``/``ValueError``), then queue the call, which the driver thread sends in
    order (an acknowledgement leaves at once, unqueued); a call made while no master is
    subscribed is dropped with a warning, as in pymesos.

    `master_uri` is ``host[:port]`` (a list separated by commas), an ``http(s)://`` URL, or
    ``zk://``/``zoo://`` ZooKeeper. `timeout` bounds each attempt to reach a master, in seconds.
    `principal` and `secret` enable HTTP basic auth; `options` (TLS, retries) and `transport`
    (a :class:`~frameworkkit.transport.Transport`: an in-process peer for tests) reach
    frameworkkit's transport directly.

    Ending: ``stop()`` tears the framework down (Mesos kills its tasks), ``stop(failover=True)``
    leaves it for a later scheduler, ``abort()`` ends the driver without tearing down. When a
    callback raises, the driver aborts, tearing the framework down unless `failover` is True.
    """

    def __init__(
        self,
        sched: Any,
        framework: Mapping[str, Any],
        master_uri: str,
        use_addict: bool = False,
        implicit_acknowledgements: bool = True,
        principal: str | None = None,
        secret: str | Secret | None = None,
        failover: bool = False,
        timeout: float = DAY,
        *,
        options: TransportOptions | None = None,
        transport: Transport | None = None,
    ) -> None:
        for name, flag in (
            ("use_addict", use_addict),
            ("implicit_acknowledgements", implicit_acknowledgements),
            ("failover", failover),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"{name}: expected a bool, got {flag!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout: expected a number of seconds > 0, got {timeout!r}")
        if transport is not None and not isinstance(transport, Transport):
            raise TypeError(
                f"transport: expected a frameworkkit.transport.Transport, "
                f"got {type(transport).__name__}"
            )
        self.sched = sched
        self.master_uri = master_uri
        self.implicit_acknowledgements = implicit_acknowledgements
        self._options = arguments.transport_options(options, principal, secret)
        self._master = arguments.master_address(master_uri, tls=self._options.tls)
        self._framework = arguments.framework_info(framework)
        self._use_addict = use_addict
        self._failover = failover
        self._timeout = float(timeout)
        self._transport = transport
        self._lock = threading.Lock()
        self._status = DriverStatus.DRIVER_NOT_STARTED
        self._teardown = False
        self._thread: LoopThread | None = None
        self._stopping = asyncio.Event()
        self._outbox: asyncio.Queue[JsonDict] = asyncio.Queue()
        self._link: SubscriptionLoop | None = None
        self._callbacks = HookRunner("mesos-scheduler-driver")
        self._waiting: deque[_Callback] = deque()  # callbacks not run yet, in order
        self._in_callback = threading.local()
        self._master_info: Any = None

    # ---- state ----------------------------------------------------------------------------------

    @property
    def framework(self) -> JsonDict:
        """The ``FrameworkInfo`` SUBSCRIBE sends (a copy, with the ID once Mesos assigned it)."""
        return copy.deepcopy(self._framework)

    @property
    def framework_id(self) -> str | None:
        """The framework's ID string, once registered (or as set before ``start()``)."""
        framework_id = self._framework.get("id")
        return None if framework_id is None else str(framework_id["value"])

    @framework_id.setter
    def framework_id(self, value: str | None) -> None:
        if value is None:
            self._framework.pop("id", None)
        else:
            self._framework["id"] = {"value": arguments.id_value("framework_id", value)}

    @property
    def connected(self) -> bool:
        """Whether the driver is subscribed to a master now."""
        return self._subscribed

    @property
    def _subscribed(self) -> bool:
        return self._link is not None and self._link.subscribed

    @property
    def aborted(self) -> bool:
        """Whether the driver ended by ``abort()`` or on its own."""
        return self._status is DriverStatus.DRIVER_ABORTED

    @property
    def master(self) -> str | None:
        """``host:port`` of the master the driver is subscribed to."""
        link = self._link
        url = None if link is None or not link.subscribed else link.connection.master
        if url is None:
            return None
        parsed = urlsplit(url)
        return f"{parsed.hostname}:{parsed.port}"

    @property
    def version(self) -> str | None:
        """The Mesos version of the master, from its last SUBSCRIBED."""
        info = self._master_info
        return None if not info else info.get("version")

    # ---- life cycle -----------------------------------------------------------------------------

    def start(self) -> DriverStatus:
        """Start the driver thread, which subscribes and then calls the scheduler."""
        with self._lock:
            if self._status is DriverStatus.DRIVER_RUNNING:
                log.warning("start(): the driver is already running")
                return self._status
            previous = self._thread
        if previous is not None:
            previous.join()
        with self._lock:
            self._status = DriverStatus.DRIVER_RUNNING
            self._teardown = False
            self._stopping = asyncio.Event()
            self._outbox = asyncio.Queue()
            self._thread = LoopThread("mesos-scheduler-driver")
        self._thread.start(self._run)
        return DriverStatus.DRIVER_RUNNING

    def stop(self, failover: bool = False) -> DriverStatus:
        """End the driver. Without `failover` the framework is torn down: Mesos kills its tasks
        and forgets it. With `failover=True` they keep running for ``failover_timeout``."""
        if not isinstance(failover, bool):
            raise TypeError(f"failover: expected a bool, got {failover!r}")
        return self._finish(DriverStatus.DRIVER_STOPPED, teardown=not failover)

    def abort(self) -> DriverStatus:
        """End the driver without tearing the framework down; no callback follows."""
        return self._finish(DriverStatus.DRIVER_ABORTED, teardown=False)

    def join(self) -> DriverStatus:
        """Block until the driver has ended; return how (stopped or aborted)."""
        if getattr(self._in_callback, "active", False):
            raise RuntimeError("join() from a scheduler callback never returns")
        thread = self._thread
        if thread is not None:
            thread.join()
        return self._status

    def run(self) -> DriverStatus:
        """``start()`` then ``join()``."""
        self.start()
        return self.join()

    # ---- calls ----------------------------------------------------------------------------------

    def launchTasks(
        self,
        offer_ids: Any,
        tasks: Sequence[Mapping[str, Any]],
        filters: Mapping[str, Any] | None = None,
    ) -> None:
        """Launch ``TaskInfo`` mappings on one offer or a list of offers of one agent.

        Resources left unused are declined (with `filters`); no tasks declines the offers.
        """
        if not tasks:
            self.declineOffer(offer_ids, filters)
            return
        self.acceptOffers(offer_ids, [operations.launch(tasks)], filters)

    def acceptOffers(
        self,
        offer_ids: Any,
        operations: Sequence[Mapping[str, Any]],
        filters: Mapping[str, Any] | None = None,
    ) -> None:
        """Apply offer operations (``LAUNCH``, ``RESERVE``, ...) to offers of one agent."""
        if not operations:
            self.declineOffer(offer_ids, filters)
            return
        framework_id = self._framework_id_for("acceptOffers")
        if framework_id is not None:
            self._send(
                calls.accept(
                    framework_id,
                    arguments.id_values("offer_ids", offer_ids),
                    operations,
                    refuse_seconds=arguments.refuse_seconds(filters),
                )
            )

    def declineOffer(self, offer_ids: Any, filters: Mapping[str, Any] | None = None) -> None:
        """Decline one offer or a list of offers; `filters` says for how long."""
        framework_id = self._framework_id_for("declineOffer")
        if framework_id is not None:
            self._send(
                calls.decline(
                    framework_id,
                    arguments.id_values("offer_ids", offer_ids),
                    refuse_seconds=arguments.refuse_seconds(filters),
                )
            )

    def acceptInverseOffers(self, offer_ids: Any, filters: Mapping[str, Any] | None = None) -> None:
        """Agree to give the agents of these inverse offers back."""
        framework_id = self._framework_id_for("acceptInverseOffers")
        if framework_id is not None:
            self._send(
                calls.accept_inverse_offers(
                    framework_id,
                    arguments.id_values("offer_ids", offer_ids),
                    refuse_seconds=arguments.refuse_seconds(filters),
                )
            )

    def declineInverseOffer(self, offer_ids: Any, filters: Mapping[str, Any] | None = None) -> None:
        """Say the agents of these inverse offers cannot be given back in time."""
        framework_id = self._framework_id_for("declineInverseOffer")
        if framework_id is not None:
            self._send(
                calls.decline_inverse_offers(
                    framework_id,
                    arguments.id_values("offer_ids", offer_ids),
                    refuse_seconds=arguments.refuse_seconds(filters),
                )
            )

    def reviveOffers(self, roles: Iterable[str] = ()) -> None:
        """Clear offer filters and resume offers (for `roles`, or all roles)."""
        framework_id = self._framework_id_for("reviveOffers")
        if framework_id is not None:
            self._send(calls.revive(framework_id, roles))

    def suppressOffers(self, roles: Iterable[str] = ()) -> None:
        """Stop offers (for `roles`, or all roles) until ``reviveOffers()``."""
        framework_id = self._framework_id_for("suppressOffers")
        if framework_id is not None:
            self._send(calls.suppress(framework_id, roles))

    def killTask(self, task_id: Any) -> None:
        """Kill a task, given its ``{"value": ...}`` ID."""
        framework_id = self._framework_id_for("killTask")
        if framework_id is not None:
            self._send(calls.kill(framework_id, arguments.id_value("task_id", task_id)))

    def acknowledgeStatusUpdate(self, status: Mapping[str, Any]) -> None:
        """Acknowledge a status update as received; one without a ``uuid`` needs none."""
        if "uuid" not in status:
            return
        framework_id = self._framework_id_for("acknowledgeStatusUpdate")
        if framework_id is not None:
            self._send_acknowledgement(
                calls.acknowledge(
                    framework_id,
                    arguments.id_value("status.agent_id", status.get("agent_id")),
                    arguments.id_value("status.task_id", status.get("task_id")),
                    decode_base64("status.uuid", status["uuid"]),
                )
            )

    def acknowledgeOperationStatusUpdate(self, status: Mapping[str, Any]) -> None:
        """Acknowledge an operation status update that carries a ``uuid``."""
        if "uuid" not in status or "operation_id" not in status:
            return
        framework_id = self._framework_id_for("acknowledgeOperationStatusUpdate")
        if framework_id is not None:
            uuid = status["uuid"]
            self._send(
                calls.acknowledge_operation_status(
                    framework_id,
                    arguments.id_value("status.agent_id", status.get("agent_id")),
                    arguments.id_value("status.operation_id", status["operation_id"]),
                    decode_base64(
                        "status.uuid.value",
                        uuid.get("value") if isinstance(uuid, Mapping) else uuid,
                    ),
                    resource_provider_id=arguments.optional_id_value(
                        "status.resource_provider_id", status.get("resource_provider_id")
                    ),
                )
            )

    def reconcileTasks(self, tasks: Iterable[Mapping[str, Any]]) -> None:
        """Ask for the latest status of these tasks (statuses or mappings with ``task_id``), or
        of every task the master knows when the list is empty."""
        framework_id = self._framework_id_for("reconcileTasks")
        if framework_id is not None:
            pairs = [
                (
                    arguments.id_value(f"tasks[{index}].task_id", task.get("task_id")),
                    arguments.optional_id_value(f"tasks[{index}].agent_id", task.get("agent_id")),
                )
                for index, task in enumerate(_mappings("tasks", tasks))
            ]
            self._send(calls.reconcile(framework_id, pairs))

    def reconcileOperations(self, operations: Iterable[Mapping[str, Any]]) -> None:
        """Ask for the latest status of operations (mappings with ``operation_id``)."""
        framework_id = self._framework_id_for("reconcileOperations")
        if framework_id is not None:
            refs: list[calls.OperationRef] = []
            for index, operation in enumerate(_mappings("operations", operations)):
                field = f"operations[{index}]"
                provider = operation.get("resource_provider_id")
                refs.append(
                    (
                        arguments.id_value(f"{field}.operation_id", operation.get("operation_id")),
                        arguments.optional_id_value(f"{field}.agent_id", operation.get("agent_id")),
                        arguments.optional_id_value(f"{field}.resource_provider_id", provider),
                    )
                )
            self._send(calls.reconcile_operations(framework_id, refs))

    def sendFrameworkMessage(self, executor_id: Any, agent_id: Any, data: str) -> None:
        """Send `data` (base64 text, see ``encode_data``) to an executor; best effort."""
        framework_id = self._framework_id_for("sendFrameworkMessage")
        if framework_id is not None:
            self._send(
                calls.message(
                    framework_id,
                    arguments.id_value("agent_id", agent_id),
                    arguments.id_value("executor_id", executor_id),
                    decode_base64("data", data),
                )
            )

    def requestResources(self, requests: Iterable[Mapping[str, Any]]) -> None:
        """Send ``Request`` mappings (``agent_id``, ``resources``) to the allocator."""
        framework_id = self._framework_id_for("requestResources")
        if framework_id is not None:
            pairs = [
                (
                    arguments.optional_id_value(
                        f"requests[{index}].agent_id", request.get("agent_id")
                    ),
                    request.get("resources", []),
                )
                for index, request in enumerate(_mappings("requests", requests))
            ]
            self._send(calls.request(framework_id, pairs))

    def updateFramework(
        self, framework: Mapping[str, Any], suppressed_roles: Iterable[str] = ()
    ) -> None:
        """Replace the ``FrameworkInfo`` (roles, capabilities, ...) without resubscribing;
        later subscriptions send it too."""
        info = arguments.framework_info(framework)
        framework_id = self.framework_id
        if framework_id is not None:
            info["id"] = {"value": framework_id}
        self._framework = info
        if self._framework_id_for("updateFramework") is not None:
            self._send(calls.update_framework(info, suppressed_roles=suppressed_roles))

    # ---- driver thread --------------------------------------------------------------------------

    async def _run(self) -> None:
        if not self._running():  # stopped before this loop could be woken
            self._stopping.set()
        connection = MesosConnection(self._master, options=self._options, transport=self._transport)
        link = self._link = SubscriptionLoop(
            connection,
            lambda: calls.subscribe(self._framework),
            self,
            subscribe_timeout=self._timeout,
        )
        subscriptions = asyncio.create_task(link.run())
        sender = asyncio.create_task(self._send_calls(connection))
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({subscriptions, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if subscriptions.done() and not subscriptions.cancelled():
                failure = subscriptions.exception()
                if isinstance(failure, TransportError):
                    self._fail(f"subscribing failed: {failure}")
                elif failure is not None:
                    log.error("the scheduler driver failed", exc_info=failure)
                    self._finish(DriverStatus.DRIVER_ABORTED, teardown=False)
            await self._callbacks.drain(self._options.request_timeout)
            await self._flush_calls()
        finally:
            link.close()
            for task in (subscriptions, sender, stopping):
                task.cancel()
            await asyncio.gather(subscriptions, sender, stopping, return_exceptions=True)
            await connection.aclose()
            self._callbacks.close()

    # the subscription loop's event handler

    async def on_event(self, event: SchedulerEvent) -> None:
        if self._running():
            self._handle_event(event)

    async def on_disconnected(self, ended: SubscriptionEnded) -> None:
        log.info("resubscribing: %s", ended)
        if self._running():
            self._callback("disconnected")

    async def _send_calls(self, connection: MesosConnection) -> None:
        """Send queued calls one at a time, in order, on the current subscription."""
        while True:
            call = await self._outbox.get()
            try:
                if self._subscribed:
                    await connection.call(encode_call(call))
                else:
                    log.warning("%s dropped: no longer subscribed", call["type"])
            except TransportError as exc:
                log.warning("%s failed: %s", call["type"], exc)
            finally:
                self._outbox.task_done()

    async def _flush_calls(self) -> None:
        """Send what is queued, then TEARDOWN if the driver was stopped without failover."""
        framework_id = self.framework_id
        if self._teardown and framework_id is not None:
            if self._subscribed:
                log.warning(
                    "stop() without failover: tearing down framework %s, Mesos kills its tasks",
                    framework_id,
                )
                self._outbox.put_nowait(calls.teardown(framework_id))
                self.framework_id = None
            else:
                log.warning("framework %s not torn down: not subscribed", framework_id)
        try:
            await asyncio.wait_for(self._outbox.join(), self._options.request_timeout)
        except asyncio.TimeoutError:
            log.warning("stopping with %d calls unsent", self._outbox.qsize())

    def _handle_event(self, event: SchedulerEvent) -> None:
        kind = event.type
        if kind == "HEARTBEAT":
            self._callback("processHeartBeat")
            return
        body = self._view(event).get(kind.lower())
        if body is None:
            log.warning("ignoring %s event", kind)
        elif kind == "SUBSCRIBED":
            self._on_subscribed(event, body)
        elif kind == "OFFERS":
            if body.get("offers"):
                self._callback("resourceOffers", body["offers"])
        elif kind == "INVERSE_OFFERS":
            if body.get("inverse_offers"):
                self._callback("inverseOffers", body["inverse_offers"])
        elif kind == "RESCIND":
            self._callback("offerRescinded", body["offer_id"])
        elif kind == "RESCIND_INVERSE_OFFER":
            self._callback("inverseOfferRescinded", body["inverse_offer_id"])
        elif kind == "UPDATE":
            self._on_update(event, body["status"])
        elif kind == "UPDATE_OPERATION_STATUS":
            self._on_operation_update(body["status"])
        elif kind == "MESSAGE":
            self._callback("frameworkMessage", body["executor_id"], body["agent_id"], body["data"])
        elif kind == "FAILURE":
            self._on_failure(body)
        elif kind == "ERROR":
            self._fail(body["message"])
        else:
            log.warning("ignoring %s event", kind)

    def _on_subscribed(self, event: SchedulerEvent, body: Any) -> None:
        subscribed = event.subscribed
        assert subscribed is not None  # the codec refuses SUBSCRIBED without its body
        known = self.framework_id is not None
        self.framework_id = subscribed.framework_id.value
        self._master_info = body.get("master_info") or self._message()
        if known:
            self._callback("reregistered", self._master_info)
        else:
            self._callback("registered", body["framework_id"], self._master_info)

    def _on_update(self, event: SchedulerEvent, status_view: Any) -> None:
        assert event.update is not None  # the codec refuses UPDATE without its body
        status = event.update.status

        def acknowledge() -> None:
            framework_id = self.framework_id
            if status.uuid is not None and status.agent_id is not None and framework_id:
                self._send_acknowledgement(
                    calls.acknowledge(framework_id, status.agent_id, status.task_id, status.uuid)
                )

        self._callback("statusUpdate", status_view, then=acknowledge)

    def _on_operation_update(self, status: Any) -> None:
        def acknowledge() -> None:
            try:
                self.acknowledgeOperationStatusUpdate(status)
            except (TypeError, ValueError) as exc:
                log.warning("cannot acknowledge operation status %s: %s", status, exc)

        self._callback("operationStatusUpdate", status, then=acknowledge)

    def _on_failure(self, failure: Any) -> None:
        agent_id = failure.get("agent_id") or self._message()
        if "executor_id" in failure:
            self._callback("executorLost", failure["executor_id"], agent_id, failure.get("status"))
        else:
            self._callback("slaveLost", agent_id)

    def _callback(self, name: str, *args: Any, then: Callable[[], None] | None = None) -> None:
        """Call the scheduler's callback `name` (if it has one) after the earlier ones; then,
        unless it raised, ``then()`` (an implicit acknowledgement) when acknowledging is on."""
        self._waiting.append((name, args, then))
        if len(self._waiting) == 1:
            self._callbacks.schedule("callbacks", self._run_waiting)

    async def _run_waiting(self) -> None:
        """Run the waiting callbacks in order, as many as are waiting per trip to the callback
        thread; then, on the loop, what follows each that returned, and the abort after one
        that raised."""
        while self._waiting:
            batch = list(self._waiting)
            done, follow_ups, failed = await self._callbacks.call(self._run_batch, batch)
            for _ in range(done):
                self._waiting.popleft()
            for follow_up in follow_ups:
                follow_up()
            if failed:
                self._finish(DriverStatus.DRIVER_ABORTED, teardown=not self._failover)

    def _run_batch(self, batch: list[_Callback]) -> tuple[int, list[Callable[[], None]], bool]:
        """In the callback thread: run ``batch`` in order until a callback raises. Returns how
        many callbacks are done with (the one that raised included), the ``then`` of each that
        returned (when acknowledging is on), and whether one raised."""
        follow_ups: list[Callable[[], None]] = []
        for done, (name, args, then) in enumerate(batch, start=1):
            if not self._running() and name != "error":
                continue  # the driver ended while this callback waited its turn
            method = getattr(self.sched, name, None)
            try:
                if method is not None:
                    self._run_callback(method, args)
            except Exception:
                log.exception(
                    "scheduler callback %s raised; aborting the driver%s",
                    name,
                    "" if self._failover else " and tearing the framework down",
                )
                return done, follow_ups, True
            if then is not None and self.implicit_acknowledgements:
                follow_ups.append(then)
        return len(batch), follow_ups, False

    def _run_callback(self, method: Callable[..., object], args: tuple[Any, ...]) -> None:
        """Run in a callback thread, which ``join()`` must then refuse."""
        self._in_callback.active = True
        try:
            method(self, *args)
        finally:
            self._in_callback.active = False

    def _fail(self, message: str) -> None:
        """Abort on an unrecoverable error, then tell the scheduler's ``error`` callback."""
        log.error("scheduler driver aborted: %s", message)
        self._finish(DriverStatus.DRIVER_ABORTED, teardown=False)
        self._callback("error", message)

    # ---- helpers --------------------------------------------------------------------------------

    def _finish(self, status: DriverStatus, *, teardown: bool) -> DriverStatus:
        """Move a running driver to `status` and wake its thread to wind down."""
        with self._lock:
            if self._status is not DriverStatus.DRIVER_RUNNING:
                return self._status
            self._status = status
            self._teardown = teardown
            thread = self._thread
        if thread is not None:
            thread.run_on_loop(self._stopping.set)
        return status

    def _running(self) -> bool:
        return self._status is DriverStatus.DRIVER_RUNNING

    def _framework_id_for(self, method: str) -> str | None:
        """The framework ID when subscribed; otherwise None, logging that `method` is dropped."""
        framework_id = self.framework_id
        if self._subscribed and framework_id is not None:
            return framework_id
        log.warning("%s dropped: the driver is not subscribed to a master", method)
        return None

    def _send(self, call: JsonDict) -> None:
        thread = self._thread
        if thread is None or not thread.run_on_loop(self._outbox.put_nowait, call):
            log.warning("%s dropped: the driver is not running", call["type"])

    def _send_acknowledgement(self, call: JsonDict) -> None:
        """An ACKNOWLEDGE leaves at once, not queued behind other calls and not retried: Mesos
        sends an update again until its acknowledgement arrives."""
        thread = self._thread
        if thread is None or not thread.run_on_loop(self._acknowledge_now, call):
            log.warning("ACKNOWLEDGE dropped: the driver is not running")

    def _acknowledge_now(self, call: JsonDict) -> None:
        link = self._link
        if link is None or not link.subscribed:
            log.warning("ACKNOWLEDGE dropped: no longer subscribed")
            return
        link.call_soon(call, lambda error: log.warning("ACKNOWLEDGE failed: %s", error))

    def _view(self, event: SchedulerEvent) -> Any:
        """The whole event as pymesos hands it out: an addict view or plain dicts."""
        return event.raw_view() if self._use_addict else msgspec.json.decode(event.raw)

    def _message(self) -> Any:
        """An empty message of the kind callbacks receive."""
        return addict.Dict() if self._use_addict else {}


_Callback = tuple[str, tuple[Any, ...], Callable[[], None] | None]
"""A callback's name, its arguments, and what follows once it returned."""


def _mappings(field: str, values: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The items of a list argument, each checked to be a mapping."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"{field}: expected a list of mappings, got {values!r}")
    items = list(values)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise TypeError(f"{field}[{index}]: expected a mapping, got {item!r}")
    return items
