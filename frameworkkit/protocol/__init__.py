"""The Mesos 1.11 v1 wire protocol: framing, typed decoding, call builders. No I/O.

- :mod:`.recordio` splits an event stream into frames (:class:`RecordIODecoder`).
- :mod:`.codec` decodes frames into typed events and encodes calls.
- :mod:`.calls` / :mod:`.executor_calls` build scheduler / executor calls; :mod:`.operations`,
  :mod:`.infos`, :mod:`.resources` and :mod:`.offer_constraints` build their parts.
- :mod:`.messages` and :mod:`.events` hold the typed records; ``event.raw_view()`` gives a whole
  event as an addict object.
"""

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
