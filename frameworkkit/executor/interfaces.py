"""What the executor client needs and gives: its agent connection, the event stream, the event
handler (typing protocols; the client itself imports them only for type checking).

:class:`frameworkkit.transport.AgentConnection` is the real :class:`AgentApi`; unit tests pass an
in-process fake. An executor's event handler implements :class:`EventHandler`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

__all__ = [
    "AgentApi",
    "EventHandler",
    "EventStream",
    "EventTarget",
    "JsonDict",
    "Post",
    "TaskRecord",
]

JsonDict = dict[str, Any]
Post = Callable[..., object]
"""``post(function, *args)`` runs ``function(*args)`` soon on the executor's thread (any thread
may call it)."""


class EventStream(Protocol):
    """An open subscription: iterate it for event frames (blocking); it raises
    :class:`~frameworkkit.transport.TransportError` when the stream breaks, and stops once
    :meth:`close` was called (from any thread)."""

    def __iter__(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class AgentApi(Protocol):
    """What the client needs from its connection to the agent; blocking, thread-safe. Failures
    raise :class:`~frameworkkit.transport.TransportError` subclasses."""

    def subscribe(self, body: bytes, timeout: float | None = None) -> EventStream: ...

    def call(self, body: bytes) -> bytes: ...

    def close(self) -> None: ...


class EventHandler(Protocol):
    """Receives the agent's events, in order, on the executor's thread (through ``post``).

    Events carry the JSON the agent sent: ``subscribed`` gets the SUBSCRIBED body, ``launch``
    the TaskInfos, ``acknowledged`` the status it acknowledges (as sent).
    """

    def on_subscribed(self, subscribed: JsonDict) -> None: ...

    def on_launch(self, tasks: list[JsonDict]) -> None: ...

    def on_kill(self, task_id: str, grace_period: float | None) -> None: ...

    def on_acknowledged(self, status: Mapping[str, Any]) -> None: ...

    def on_message(self, data: bytes) -> None: ...

    def on_error(self, message: str) -> None: ...

    def on_disconnected(self) -> None: ...

    def on_shutdown(self) -> None: ...

    def on_agent_lost(self, reason: str) -> None: ...


class EventTarget(Protocol):
    """An executor as :class:`~.client.Relay` drives it: one private method per event."""

    def _handle_subscribed(self, subscribed: JsonDict) -> None: ...

    def _handle_launch(self, tasks: list[JsonDict]) -> None: ...

    def _handle_kill(self, task_id: str, grace_period: float | None) -> None: ...

    def _handle_acknowledged(self, status: Mapping[str, Any]) -> None: ...

    def _handle_message(self, data: bytes) -> None: ...

    def _handle_error(self, message: str) -> None: ...

    def _handle_disconnected(self) -> None: ...

    def _handle_shutdown(self) -> None: ...

    def _handle_agent_lost(self, reason: str) -> None: ...


class TaskRecord(Protocol):
    """What an executor keeps of a running task for its updates."""

    terminal_sent: bool
