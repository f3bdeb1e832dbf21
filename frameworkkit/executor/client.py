"""The v1 executor client: subscription, resubscription and reliable status updates.

:class:`ExecutorClient` keeps an executor subscribed to its agent the way Mesos's own executor
library does, and hands each event to an :class:`EventHandler` (the :class:`~.Executor` base
class and the :class:`~.CommandExecutor` are both built on it). Every status update is kept
until the agent acknowledges it and is sent again in each SUBSCRIBE, together with the tasks that
have no acknowledged update yet. Losing the agent:

- with checkpointing (``MESOS_CHECKPOINT=1``) the client resubscribes, waiting a random delay up
  to ``MESOS_SUBSCRIPTION_BACKOFF_MAX`` between tries, for ``MESOS_RECOVERY_TIMEOUT``;
- without it, or once that time is over, it tells the handler the agent is lost (Mesos's
  executors then shut down).

The client does its blocking I/O in two threads of its own (one reads the event stream, one
sends calls in order) and runs the handler through ``post``, a callable that runs a function on
the executor's own thread: ``loop.call_soon_threadsafe`` for an asyncio executor. It needs only
the standard library, so an executor that does not use asyncio starts in milliseconds.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time

from frameworkkit._log import get_logger
from frameworkkit.protocol import executor_calls
from frameworkkit.transport.errors import RequestRejected, RetryableError, TransportError

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    from .environment import ExecutorEnvironment
    from .interfaces import AgentApi, EventHandler, EventStream, EventTarget, JsonDict, Post

__all__ = ["CALL_ATTEMPTS", "INITIAL_SUBSCRIBE_TIMEOUT", "ExecutorClient", "Relay"]

logger = get_logger("frameworkkit.executor")

INITIAL_SUBSCRIBE_TIMEOUT = 60.0
"""How long a first subscription is retried without checkpointing: the agent's default
``--executor_registration_timeout``, past which the agent gives up on the executor anyway."""
RESUBSCRIBE_INTERVAL = 1.0  # Mesos's executors repeat a refused SUBSCRIBE every second
CALL_ATTEMPTS = 3
"""Tries of one call to the agent (with a random delay up to the backoff maximum between)."""
_EVENT_BODIES = {
    "SUBSCRIBED": "subscribed",
    "LAUNCH": "launch",
    "LAUNCH_GROUP": "launch_group",
    "KILL": "kill",
    "ACKNOWLEDGED": "acknowledged",
    "MESSAGE": "message",
    "ERROR": "error",
}


class ExecutorClient:
    """Keeps one executor subscribed to its agent and its status updates reliable.

    :meth:`start` it once; it runs until :meth:`close` or until it tells the handler the agent
    is lost. :meth:`send_update`, :meth:`send_message`, :meth:`flush` and :meth:`close` are
    safe from any thread.
    """

    def __init__(
        self,
        environment: ExecutorEnvironment,
        handler: EventHandler,
        api: AgentApi,
        *,
        post: Post,
        rng: random.Random | None = None,
    ) -> None:
        self._env = environment
        self._handler = handler
        self._api = api
        self._post = post
        self._rng = rng or random.Random()
        self._lock = threading.Condition()  # guards every field below
        self._unacknowledged_updates: dict[str, JsonDict] = {}  # by base64 uuid, in send order
        self._unacknowledged_tasks: dict[str, JsonDict] = {}  # by task id, as the agent sent them
        self._in_subscribe: set[str] = set()  # updates carried by the current SUBSCRIBE
        self._outbox: list[tuple[str, bytes]] = []  # (uuid or "", body), oldest first
        self._sending = False  # a call taken from the outbox is under way
        self._subscribed = False
        self._stream: EventStream | None = None
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def subscribed(self) -> bool:
        """True while the agent streams events to this executor."""
        return self._subscribed

    @property
    def unacknowledged_updates(self) -> list[JsonDict]:
        """The statuses sent and not yet acknowledged, oldest first."""
        with self._lock:
            return list(self._unacknowledged_updates.values())

    @property
    def unacknowledged_tasks(self) -> list[JsonDict]:
        """The launched tasks without any acknowledged update, as the agent sent them."""
        with self._lock:
            return list(self._unacknowledged_tasks.values())

    def start(self) -> None:
        """Subscribe and keep subscribed, in the client's own threads."""
        if self._threads:
            raise RuntimeError("start: this client was started already")
        for name, target in (("subscription", self._subscription_loop), ("calls", self._send_loop)):
            thread = threading.Thread(
                target=self._guarded, args=(target,), name=f"agent-{name}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def send_update(self, status: Mapping[str, Any]) -> None:
        """Send a status built with :func:`frameworkkit.protocol.executor_calls.task_status`;
        it is kept, and resent on each resubscription, until the agent acknowledges it."""
        body = self._update_body(status)
        uuid = str(status["uuid"])
        with self._lock:
            self._unacknowledged_updates[uuid] = dict(status)
            if self._subscribed:
                self._queue(uuid, body)
                return
        logger.info(
            "not subscribed: keeping %s for task %s until the next SUBSCRIBE",
            status["state"],
            status["task_id"]["value"],
        )

    def send_message(self, data: bytes) -> None:
        """Send bytes to the scheduler; like Mesos, dropped when not subscribed."""
        env = self._env
        body = _encode(executor_calls.message(env.executor_id, env.framework_id, data))
        with self._lock:
            if self._subscribed:
                self._queue("", body)
                return
        logger.warning("not subscribed to the agent: dropping a framework message")

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for every queued call to be sent (or given up); False
        if some are left. Returns at once when not subscribed (updates wait for a SUBSCRIBE)."""
        with self._lock:
            done = self._lock.wait_for(
                lambda: not self._subscribed or not (self._outbox or self._sending), timeout
            )
            if not done:
                logger.warning("%d call(s) to the agent still unsent", len(self._outbox))
            return done

    def close(self) -> None:
        """Stop: end the subscription and the calls; the client's threads then end."""
        self._closed.set()
        with self._lock:
            stream, self._stream = self._stream, None
            self._subscribed = False
            self._lock.notify_all()
        if stream is not None:
            stream.close()
        self._api.close()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the client's threads to end (after :meth:`close`)."""
        for thread in self._threads:
            thread.join(timeout)

    def _guarded(self, loop: Callable[[], None]) -> None:
        """Run one of the client's loops; a bug in it stops the executor instead of hanging it."""
        try:
            loop()
        except Exception as exc:
            logger.exception("the agent client failed")
            self.close()
            self._post(self._handler.on_agent_lost, f"the agent client failed: {exc!r}")

    # The subscription thread.

    def _subscription_loop(self) -> None:
        env = self._env
        first_wait = env.recovery_timeout if env.checkpoint else INITIAL_SUBSCRIBE_TIMEOUT
        deadline = time.monotonic() + first_wait
        while True:
            stream = self._subscribe_before(deadline)
            if stream is None:
                if not self._closed.is_set():
                    waited = (
                        "MESOS_RECOVERY_TIMEOUT" if env.checkpoint else "the registration timeout"
                    )
                    self._lost(f"could not subscribe to the agent at {env.url} within {waited}")
                return
            try:
                self._receive(stream)
            finally:
                with self._lock:
                    self._subscribed = False
                    self._stream = None
                    self._lock.notify_all()
                stream.close()
            if self._closed.is_set():
                return
            self._post(self._handler.on_disconnected)
            if not env.checkpoint:
                self._lost("disconnected from the agent, and the framework does not checkpoint")
                return
            logger.warning(
                "disconnected from the agent; resubscribing for up to %g s "
                "(MESOS_RECOVERY_TIMEOUT)",
                env.recovery_timeout,
            )
            deadline = time.monotonic() + env.recovery_timeout

    def _subscribe_before(self, deadline: float) -> EventStream | None:
        """Subscribe, retrying until ``deadline``; None if that does not succeed in time."""
        while (remaining := deadline - time.monotonic()) > 0 and not self._closed.is_set():
            body = self._subscribe_body()
            try:
                stream = self._api.subscribe(body, remaining)
            except RequestRejected as exc:
                logger.error("the agent refused SUBSCRIBE: %s", exc)
                self._post(self._handler.on_error, str(exc))
                if exc.status in (401, 403):  # the agent refuses our token: no retry helps
                    self.close()
                    self._lost(f"the agent refused the executor's authentication: {exc}")
                    return None
                delay = RESUBSCRIBE_INTERVAL
            except TransportError as exc:
                delay = self._rng.uniform(0.0, self._env.subscription_backoff_max)
                logger.warning("cannot subscribe to the agent: %s; next try in %.2f s", exc, delay)
            else:
                if self._on_stream_open(stream):
                    return stream
                stream.close()
                return None
            self._closed.wait(min(delay, max(0.0, deadline - time.monotonic())))
        return None

    def _subscribe_body(self) -> bytes:
        env = self._env
        with self._lock:
            self._in_subscribe = set(self._unacknowledged_updates)
            updates = list(self._unacknowledged_updates.values())
            tasks = list(self._unacknowledged_tasks.values())
        if updates or tasks:
            logger.info(
                "subscribing with %d unacknowledged update(s) and %d unacknowledged task(s)",
                len(updates),
                len(tasks),
            )
        call = executor_calls.subscribe(
            env.executor_id,
            env.framework_id,
            unacknowledged_tasks=tasks,
            unacknowledged_updates=updates,
        )
        return _encode(call)

    def _on_stream_open(self, stream: EventStream) -> bool:
        """Subscribed: send the updates made after the SUBSCRIBE body was built. False if the
        client was closed meanwhile."""
        with self._lock:
            if self._closed.is_set():
                return False
            self._stream = stream
            self._subscribed = True
            for uuid, status in self._unacknowledged_updates.items():
                if uuid not in self._in_subscribe:
                    self._queue(uuid, self._update_body(status))
        logger.info("subscribed to the agent at %s", self._env.url)
        return True

    def _receive(self, stream: EventStream) -> None:
        try:
            for frame in stream:
                try:
                    self._dispatch(_decode_event(frame))
                except (KeyError, TypeError, ValueError) as exc:
                    logger.error(
                        "ignoring an event the agent sent: %s: %s", type(exc).__name__, exc
                    )
        except TransportError as exc:
            logger.warning("the agent's event stream ended: %s", exc)
        else:
            if not self._closed.is_set():
                logger.warning("the agent closed the event stream")

    def _dispatch(self, event: JsonDict) -> None:
        kind = event["type"]
        logger.debug("received %s", kind)
        handler, post = self._handler, self._post
        body = event.get(_EVENT_BODIES.get(kind, ""), {})
        if kind == "SUBSCRIBED":
            post(handler.on_subscribed, body)
        elif kind == "LAUNCH":
            self._remember_tasks([body["task"]])
            post(handler.on_launch, [body["task"]])
        elif kind == "LAUNCH_GROUP":
            tasks = body["task_group"].get("tasks", [])
            self._remember_tasks(tasks)
            post(handler.on_launch, tasks)
        elif kind == "KILL":
            grace = (body.get("kill_policy") or {}).get("grace_period")
            seconds = None if grace is None else grace.get("nanoseconds", 0) / 1e9
            post(handler.on_kill, body["task_id"]["value"], seconds)
        elif kind == "ACKNOWLEDGED":
            self._acknowledge(body["uuid"])
        elif kind == "MESSAGE":
            post(handler.on_message, base64.b64decode(body.get("data", "")))
        elif kind == "ERROR":
            message = str(body.get("message", ""))
            logger.error("the agent reported an error: %s", message)
            post(handler.on_error, message)
        elif kind == "SHUTDOWN":
            post(handler.on_shutdown)
        elif kind != "HEARTBEAT":
            logger.warning("ignoring an event of unknown type %r", kind)

    def _remember_tasks(self, tasks: Iterable[JsonDict]) -> None:
        """Keep the launched tasks exactly as the agent sent them, for SUBSCRIBE."""
        with self._lock:
            for task in tasks:
                self._unacknowledged_tasks[task["task_id"]["value"]] = task

    def _acknowledge(self, uuid_text: str) -> None:
        uuid = base64.b64encode(base64.b64decode(uuid_text)).decode("ascii")
        with self._lock:
            status = self._unacknowledged_updates.pop(uuid, None)
            if status is not None:
                self._unacknowledged_tasks.pop(status["task_id"]["value"], None)
        if status is None:
            logger.warning("acknowledgement for an unknown status update %s", uuid)
            return
        self._post(self._handler.on_acknowledged, status)

    def _lost(self, reason: str) -> None:
        self._post(self._handler.on_agent_lost, reason)

    # The calls thread.

    def _queue(self, uuid: str, body: bytes) -> None:
        """Queue a call (the lock is held)."""
        self._outbox.append((uuid, body))
        self._lock.notify_all()

    def _send_loop(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: self._outbox or self._closed.is_set())
                if self._closed.is_set():
                    return
                uuid, body = self._outbox.pop(0)
                # acknowledged already, or carried by the current SUBSCRIBE: nothing to send
                wanted = not uuid or (
                    uuid in self._unacknowledged_updates and uuid not in self._in_subscribe
                )
                if wanted and not self._subscribed:
                    wanted = False  # an update then waits for the next SUBSCRIBE
                    if not uuid:
                        logger.warning("not subscribed to the agent: dropping a framework message")
                self._sending = wanted
            try:
                if wanted:
                    self._call(body)
            finally:
                with self._lock:
                    self._sending = False
                    self._lock.notify_all()

    def _call(self, body: bytes) -> None:
        """One call, tried up to :data:`CALL_ATTEMPTS` times while the failures are retryable."""
        for attempt in range(1, CALL_ATTEMPTS + 1):
            try:
                self._api.call(body)
                return
            except RetryableError as exc:
                if attempt == CALL_ATTEMPTS or self._closed.is_set():
                    logger.warning("a call to the agent failed %d time(s): %s", attempt, exc)
                    return
                delay = self._rng.uniform(0.0, self._env.subscription_backoff_max)
                logger.warning("a call to the agent failed: %s; next try in %.2f s", exc, delay)
                self._closed.wait(delay)
            except TransportError as exc:
                logger.warning("a call to the agent failed: %s", exc)
                return

    def _update_body(self, status: Mapping[str, Any]) -> bytes:
        env = self._env
        return _encode(executor_calls.update(env.executor_id, env.framework_id, status))


class Relay:
    """The :class:`~.interfaces.EventHandler` of an executor object: each event calls the
    executor's ``_handle_<event>`` method, kept off its public face (where users write hooks)."""

    def __init__(self, target: EventTarget) -> None:
        self._target = target

    def on_subscribed(self, subscribed: JsonDict) -> None:
        self._target._handle_subscribed(subscribed)

    def on_launch(self, tasks: list[JsonDict]) -> None:
        self._target._handle_launch(tasks)

    def on_kill(self, task_id: str, grace_period: float | None) -> None:
        self._target._handle_kill(task_id, grace_period)

    def on_acknowledged(self, status: Mapping[str, Any]) -> None:
        self._target._handle_acknowledged(status)

    def on_message(self, data: bytes) -> None:
        self._target._handle_message(data)

    def on_error(self, message: str) -> None:
        self._target._handle_error(message)

    def on_disconnected(self) -> None:
        self._target._handle_disconnected()

    def on_shutdown(self) -> None:
        self._target._handle_shutdown()

    def on_agent_lost(self, reason: str) -> None:
        self._target._handle_agent_lost(reason)


def _encode(call: Mapping[str, Any]) -> bytes:
    return json.dumps(call, separators=(",", ":")).encode()


def _decode_event(frame: bytes) -> JsonDict:
    """An event frame as JSON, checked to carry the body its type names."""
    try:
        event = json.loads(frame)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc}); frame starts {frame[:120]!r}") from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise ValueError(f"an event without a type; frame starts {frame[:120]!r}")
    body_field = _EVENT_BODIES.get(event["type"])
    if body_field is not None and not isinstance(event.get(body_field), dict):
        raise ValueError(f"{event['type']} event without '{body_field}'")
    return event
