"""Decoding of v1 event frames into typed records, and encoding of calls.

Use :func:`decode_scheduler_event` / :func:`decode_executor_event` on each frame a
:class:`~frameworkkit.protocol.recordio.RecordIODecoder` returns. Decoding goes straight from JSON
bytes to the records of :mod:`frameworkkit.protocol.events` (no intermediate dicts), reading only
the modelled fields; the frame is kept on the event for ``event.raw_view()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from frameworkkit._collector import CollectorPaused
from frameworkkit.protocol.events import ExecutorEvent, SchedulerEvent

EXCERPT_BYTES = 120

EventT = TypeVar("EventT", SchedulerEvent, ExecutorEvent)


class DecodeError(ValueError):
    """A frame is not a valid event; ``excerpt`` holds its first bytes."""

    def __init__(self, message: str, frame: bytes) -> None:
        self.excerpt = bytes(frame[:EXCERPT_BYTES])
        super().__init__(f"{message}; frame starts {self.excerpt!r}")


def _body_fields(event_class: type[msgspec.Struct]) -> dict[str, str]:
    """Event type -> the field holding its body (``OFFERS`` -> ``offers``)."""
    return {name.upper(): name for name in event_class.__struct_fields__ if name != "type"}


_SCHEDULER_DECODER = msgspec.json.Decoder(SchedulerEvent)
_EXECUTOR_DECODER = msgspec.json.Decoder(ExecutorEvent)
_SCHEDULER_BODIES = _body_fields(SchedulerEvent)
_EXECUTOR_BODIES = _body_fields(ExecutorEvent)
_ENCODER = msgspec.json.Encoder()


def decode_scheduler_event(frame: bytes) -> SchedulerEvent:
    """Decode one scheduler event frame (an event of unknown type keeps its type, no body)."""
    return _decode(_SCHEDULER_DECODER, _SCHEDULER_BODIES, frame, "scheduler event")


def decode_executor_event(frame: bytes) -> ExecutorEvent:
    """Decode one executor event frame (an event of unknown type keeps its type, no body)."""
    return _decode(_EXECUTOR_DECODER, _EXECUTOR_BODIES, frame, "executor event")


def encode_call(call: Mapping[str, Any] | msgspec.Struct) -> bytes:
    """Encode a call (a dict from the call builders, or a Struct) as the JSON body to POST."""
    if isinstance(call, Mapping):
        call_type = call.get("type")
    elif isinstance(call, msgspec.Struct):
        call_type = getattr(call, "type", None)
    else:
        raise TypeError(f"call must be a mapping or a msgspec.Struct, got {type(call).__name__}")
    if not isinstance(call_type, str) or not call_type:
        raise ValueError(f"call.type must be a non-empty string, got {call_type!r}")
    try:
        return _ENCODER.encode(call if isinstance(call, (dict, msgspec.Struct)) else dict(call))
    except (TypeError, msgspec.EncodeError) as error:
        raise TypeError(f"{call_type} call holds a value JSON cannot carry: {error}") from error


def _decode(
    decoder: msgspec.json.Decoder[EventT], bodies: dict[str, str], frame: bytes, what: str
) -> EventT:
    """Decode a frame; an event of a known type must carry the body its type names."""
    try:
        with CollectorPaused():
            event = decoder.decode(frame)
    except msgspec.DecodeError as error:
        raise DecodeError(f"invalid {what}: {error}", frame) from error
    body_field = bodies.get(event.type)
    if body_field is not None and getattr(event, body_field) is None:
        raise DecodeError(f"invalid {what}: {event.type} event without '{body_field}'", frame)
    event.keep_frame(frame)
    return event
