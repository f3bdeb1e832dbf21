"""The v1 executor client: subscription, resubscription and reliable status updates.

:class:`ExecutorClient` keeps an executor subscribed to its agent the way Mesos's own executor
library does, and hands each event to an :class:`EventHandler` (the :class:`~.Executor` base
class is one). Every status update is kept until the agent acknowledges it and is sent again in
each SUBSCRIBE, together with the tasks that have no acknowledged update yet. Losing the agent:

- with checkpointing (``MESOS_CHECKPOINT=1``) the client resubscribes, waiting a random delay up
  to ``MESOS_SUBSCRIPTION_BACKOFF_MAX`` between tries, for ``MESOS_RECOVERY_TIMEOUT``;
- without it, or once that time is over, it tells the handler the agent is lost (Mesos's
  executors then shut down).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Protocol

import msgspec

from frameworkkit.protocol import executor_calls
from frameworkkit.protocol.codec import DecodeError, decode_executor_event, encode_call
from frameworkkit.protocol.events import ExecutorEvent, ExecutorSubscribed
from frameworkkit.protocol.messages import TaskInfo
from frameworkkit.transport.errors import RequestRejected, TransportError

from .environment import ExecutorEnvironment

__all__ = [
    "INITIAL_SUBSCRIBE_TIMEOUT",
    "AgentApi",
    "EventHandler",
    "EventStream",
    "ExecutorClient",
]

logger = logging.getLogger("frameworkkit.executor")

INITIAL_SUBSCRIBE_TIMEOUT = 60.0
"""How long a first subscription is retried without checkpointing: the agent's default
``--executor_registration_timeout``, past which the agent gives up on the executor anyway."""
RESUBSCRIBE_INTERVAL = 1.0  # Mesos's executors repeat a refused SUBSCRIBE every second

JsonDict = dict[str, Any]


class EventStream(Protocol):
    """An open subscription: iterate it for event frames; it raises or stops when it ends."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class AgentApi(Protocol):
    """What the client needs from its connection to the agent.

    :class:`frameworkkit.transport.AgentConnection` is the real one; unit tests pass an
    in-process fake. Both raise :class:`~frameworkkit.transport.TransportError` subclasses.
    """

    async def subscribe(self, body: bytes) -> EventStream: ...

    async def call(self, body: bytes) -> bytes: ...

    async def aclose(self) -> None: ...


class EventHandler(Protocol):
    """Receives the agent's events, in order, on the event loop; must not block."""

    def on_subscribed(self, subscribed: ExecutorSubscribed) -> None: ...

    def on_launch(self, tasks: list[TaskInfo]) -> None: ...

    def on_kill(self, task_id: str, grace_period: float | None) -> None: ...

    def on_acknowledged(self, status: Mapping[str, Any]) -> None: ...

    def on_message(self, data: bytes) -> None: ...

    def on_error(self, message: str) -> None: ...

    def on_disconnected(self) -> None: ...

    def on_shutdown(self) -> None: ...

    def on_agent_lost(self, reason: str) -> None: ...


class ExecutorClient:
    """Keeps one executor subscribed to its agent and its status updates reliable.

    Call :meth:`run` once; it returns after :meth:`close` or once the agent is lost. Send with
    :meth:`send_update` and :meth:`send_message` from the event loop's thread.
    """

    def __init__(
        self,
        environment: ExecutorEnvironment,
        handler: EventHandler,
        api: AgentApi,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self._env = environment
        self._handler = handler
        self._api = api
        self._rng = rng or random.Random()
        self._unacknowledged_updates: dict[str, JsonDict] = {}  # by base64 uuid, in send order
        self._unacknowledged_tasks: dict[str, JsonDict] = {}  # by task id, as the agent sent them
        self._in_subscribe: set[str] = set()  # updates carried by the current SUBSCRIBE
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()  # (uuid or "", body)
        self._subscribed = False
        self._closed = asyncio.Event()

    @property
    def subscribed(self) -> bool:
        """True while the agent streams events to this executor."""
        return self._subscribed

    @property
    def unacknowledged_updates(self) -> list[JsonDict]:
        """The statuses sent and not yet acknowledged, oldest first."""
        return list(self._unacknowledged_updates.values())

    @property
    def unacknowledged_tasks(self) -> list[JsonDict]:
        """The launched tasks without any acknowledged update, as the agent sent them."""
        return list(self._unacknowledged_tasks.values())

    def send_update(self, status: Mapping[str, Any]) -> None:
        """Send a status built with :func:`frameworkkit.protocol.executor_calls.task_status`;
        it is kept, and resent on each resubscription, until the agent acknowledges it."""
        body = encode_call(
            executor_calls.update(self._env.executor_id, self._env.framework_id, status)
        )
        uuid = str(status["uuid"])
        self._unacknowledged_updates[uuid] = dict(status)
        if self._subscribed:
            self._outbox.put_nowait((uuid, body))
        else:
            logger.info(
                "not subscribed: keeping %s for task %s until the next SUBSCRIBE",
                status["state"],
                status["task_id"]["value"],
            )

    def send_message(self, data: bytes) -> None:
        """Send bytes to the scheduler; like Mesos, dropped when not subscribed."""
        body = encode_call(
            executor_calls.message(self._env.executor_id, self._env.framework_id, data)
        )
        if self._subscribed:
            self._outbox.put_nowait(("", body))
        else:
            logger.warning("not subscribed to the agent: dropping a framework message")

    async def flush(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for every queued call to be sent (or given up)."""
        if not self._subscribed:
            return  # nothing can be sent; updates stay for a next SUBSCRIBE
        try:
            await asyncio.wait_for(self._outbox.join(), timeout)
        except asyncio.TimeoutError:
            logger.warning("%d call(s) to the agent still unsent", self._outbox.qsize())

    def close(self) -> None:
        """Stop: :meth:`run` unsubscribes and returns."""
        self._closed.set()

    async def run(self) -> None:
        """Subscribe, dispatch events and resubscribe until closed or the agent is lost."""
        sender = asyncio.create_task(self._send_loop())
        subscriber = asyncio.create_task(self._subscription_loop())
        closed = asyncio.create_task(self._closed.wait())
        try:
            await asyncio.wait({subscriber, closed}, return_when=asyncio.FIRST_COMPLETED)
            if subscriber.done():
                subscriber.result()  # a bug in this module surfaces here
        finally:
            self._subscribed = False
            for task in (sender, subscriber, closed):
                task.cancel()
            await asyncio.gather(sender, subscriber, closed, return_exceptions=True)
            await self._api.aclose()

    async def _subscription_loop(self) -> None:
        loop = asyncio.get_running_loop()
        env = self._env
        first_wait = env.recovery_timeout if env.checkpoint else INITIAL_SUBSCRIBE_TIMEOUT
        deadline = loop.time() + first_wait
        while True:
            stream = await self._subscribe_before(deadline)
            if stream is None:
                waited = "MESOS_RECOVERY_TIMEOUT" if env.checkpoint else "the registration timeout"
                self._handler.on_agent_lost(
                    f"could not subscribe to the agent at {env.url} within {waited}"
                )
                return
            try:
                await self._receive(stream)
            finally:
                self._subscribed = False
                await stream.aclose()
            self._handler.on_disconnected()
            if not env.checkpoint:
                self._handler.on_agent_lost(
                    "disconnected from the agent, and the framework does not checkpoint"
                )
                return
            logger.warning(
                "disconnected from the agent; resubscribing for up to %g s "
                "(MESOS_RECOVERY_TIMEOUT)",
                env.recovery_timeout,
            )
            deadline = loop.time() + env.recovery_timeout

    async def _subscribe_before(self, deadline: float) -> EventStream | None:
        """Subscribe, retrying until ``deadline``; None if that does not succeed in time."""
        loop = asyncio.get_running_loop()
        while (remaining := deadline - loop.time()) > 0:
            body = self._subscribe_body()
            try:
                stream = await asyncio.wait_for(self._api.subscribe(body), remaining)
            except asyncio.TimeoutError:
                return None
            except RequestRejected as exc:
                logger.error("the agent refused SUBSCRIBE: %s", exc)
                self._handler.on_error(str(exc))
                delay = RESUBSCRIBE_INTERVAL
            except TransportError as exc:
                delay = self._rng.uniform(0.0, self._env.subscription_backoff_max)
                logger.warning("cannot subscribe to the agent: %s; next try in %.2f s", exc, delay)
            else:
                self._on_stream_open()
                return stream
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
        return None

    def _subscribe_body(self) -> bytes:
        self._in_subscribe = set(self._unacknowledged_updates)
        call = executor_calls.subscribe(
            self._env.executor_id,
            self._env.framework_id,
            unacknowledged_tasks=self._unacknowledged_tasks.values(),
            unacknowledged_updates=self._unacknowledged_updates.values(),
        )
        if self._in_subscribe or self._unacknowledged_tasks:
            logger.info(
                "subscribing with %d unacknowledged update(s) and %d unacknowledged task(s)",
                len(self._in_subscribe),
                len(self._unacknowledged_tasks),
            )
        return encode_call(call)

    def _on_stream_open(self) -> None:
        """Subscribed: send the updates made after the SUBSCRIBE body was built."""
        self._subscribed = True
        logger.info("subscribed to the agent at %s", self._env.url)
        for uuid, status in self._unacknowledged_updates.items():
            if uuid not in self._in_subscribe:
                self._outbox.put_nowait((uuid, self._update_body(status)))

    def _update_body(self, status: Mapping[str, Any]) -> bytes:
        env = self._env
        return encode_call(executor_calls.update(env.executor_id, env.framework_id, status))

    async def _receive(self, stream: EventStream) -> None:
        try:
            async for frame in stream:
                try:
                    event = decode_executor_event(frame)
                except DecodeError as exc:
                    logger.error("ignoring an event the agent sent: %s", exc)
                    continue
                self._dispatch(event)
        except TransportError as exc:
            logger.warning("the agent's event stream ended: %s", exc)
        else:
            logger.warning("the agent closed the event stream")

    def _dispatch(self, event: ExecutorEvent) -> None:
        kind = event.type
        logger.debug("received %s", kind)
        handler = self._handler
        if kind == "SUBSCRIBED" and event.subscribed is not None:
            handler.on_subscribed(event.subscribed)
        elif kind == "LAUNCH" and event.launch is not None:
            self._remember_tasks([_as_sent(event)["launch"]["task"]])
            handler.on_launch([event.launch.task])
        elif kind == "LAUNCH_GROUP" and event.launch_group is not None:
            self._remember_tasks(_as_sent(event)["launch_group"]["task_group"]["tasks"])
            handler.on_launch(list(event.launch_group.task_group.tasks))
        elif kind == "KILL" and event.kill is not None:
            policy = event.kill.kill_policy
            grace = policy.grace_period if policy is not None else None
            handler.on_kill(
                event.kill.task_id.value, None if grace is None else grace.nanoseconds / 1e9
            )
        elif kind == "ACKNOWLEDGED" and event.acknowledged is not None:
            self._acknowledge(event.acknowledged.uuid)
        elif kind == "MESSAGE" and event.message is not None:
            handler.on_message(event.message.data)
        elif kind == "ERROR" and event.error is not None:
            logger.error("the agent reported an error: %s", event.error.message)
            handler.on_error(event.error.message)
        elif kind == "SHUTDOWN":
            handler.on_shutdown()
        elif kind != "HEARTBEAT":
            logger.warning("ignoring an event of unknown type %r", kind)

    def _remember_tasks(self, tasks: Iterable[JsonDict]) -> None:
        """Keep the launched tasks exactly as the agent sent them, for SUBSCRIBE."""
        for task in tasks:
            self._unacknowledged_tasks[task["task_id"]["value"]] = task

    def _acknowledge(self, uuid_bytes: bytes) -> None:
        uuid = base64.b64encode(uuid_bytes).decode("ascii")
        status = self._unacknowledged_updates.pop(uuid, None)
        if status is None:
            logger.warning("acknowledgement for an unknown status update %s", uuid_bytes.hex())
            return
        self._unacknowledged_tasks.pop(status["task_id"]["value"], None)
        self._handler.on_acknowledged(status)

    def _still_to_send(self, uuid: str) -> bool:
        """False once acknowledged, or when the current SUBSCRIBE carried the update."""
        return uuid in self._unacknowledged_updates and uuid not in self._in_subscribe

    async def _send_loop(self) -> None:
        while True:
            uuid, body = await self._outbox.get()
            try:
                if uuid and (
                    uuid not in self._unacknowledged_updates or uuid in self._in_subscribe
                ):
                    continue  # acknowledged already, or carried by the current SUBSCRIBE
                if not self._subscribed:
                    if not uuid:
                        logger.warning("not subscribed to the agent: dropping a framework message")
                    continue  # an update stays unacknowledged and goes with the next SUBSCRIBE
                await self._api.call(body)
            except TransportError as exc:
                logger.warning("a call to the agent failed: %s", exc)
            finally:
                self._outbox.task_done()


def _as_sent(event: ExecutorEvent) -> JsonDict:
    """The event's whole JSON, every field the agent sent included."""
    body: JsonDict = msgspec.json.decode(event.raw)
    return body
