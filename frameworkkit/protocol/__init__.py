"""The Mesos 1.11 v1 wire protocol: framing, typed decoding, call builders. No I/O.

- :mod:`.recordio` splits an event stream into frames (:class:`RecordIODecoder`).
- :mod:`.codec` decodes frames into typed events and encodes calls.
- :mod:`.calls` / :mod:`.executor_calls` build scheduler / executor calls; :mod:`.operations`,
  :mod:`.infos`, :mod:`.resources` and :mod:`.offer_constraints` build their parts.
- :mod:`.messages` and :mod:`.events` hold the typed records; ``event.raw_view()`` gives a whole
  event as an addict object.

Names load their module on first use: :mod:`.executor_calls` and :mod:`.recordio` need only the
standard library, which keeps an executor's start light.
"""

from frameworkkit._lazy import lazy_exports as _lazy_exports

_TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if _TYPE_CHECKING:
    from frameworkkit.protocol import (
        calls,
        events,
        executor_calls,
        infos,
        messages,
        offer_constraints,
        operations,
        resources,
    )
    from frameworkkit.protocol._fields import IdLike, JsonDict, LabelsLike, ResourceLike
    from frameworkkit.protocol.codec import (
        DecodeError,
        decode_executor_event,
        decode_scheduler_event,
        encode_call,
    )
    from frameworkkit.protocol.events import ExecutorEvent, SchedulerEvent
    from frameworkkit.protocol.recordio import (
        DEFAULT_MAX_FRAME_BYTES,
        RecordIODecoder,
        RecordIOError,
        encode_record,
    )
    from frameworkkit.protocol.views import EventView

_SUBMODULES = (
    "calls",
    "events",
    "executor_calls",
    "infos",
    "messages",
    "offer_constraints",
    "operations",
    "resources",
)
_NAMES = {
    "_fields": ("IdLike", "JsonDict", "LabelsLike", "ResourceLike"),
    "codec": ("DecodeError", "decode_executor_event", "decode_scheduler_event", "encode_call"),
    "events": ("ExecutorEvent", "SchedulerEvent"),
    "recordio": ("DEFAULT_MAX_FRAME_BYTES", "RecordIODecoder", "RecordIOError", "encode_record"),
    "views": ("EventView",),
}
__getattr__ = _lazy_exports(
    __name__,
    {
        **{name: f"{__name__}.{name}" for name in _SUBMODULES},
        **{name: f"{__name__}.{module}" for module, names in _NAMES.items() for name in names},
    },
)

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "DecodeError",
    "EventView",
    "ExecutorEvent",
    "IdLike",
    "JsonDict",
    "LabelsLike",
    "RecordIODecoder",
    "RecordIOError",
    "ResourceLike",
    "SchedulerEvent",
    "calls",
    "decode_executor_event",
    "decode_scheduler_event",
    "encode_call",
    "encode_record",
    "events",
    "executor_calls",
    "infos",
    "messages",
    "offer_constraints",
    "operations",
    "resources",
]
