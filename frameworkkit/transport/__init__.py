"""Connections to Mesos: the master's v1 scheduler API and the agent's v1 executor API.

`MesosConnection` subscribes to the leading master (found by a `MasterDetector`) and sends
calls on that subscription (asyncio, through a `Transport`: by default `HttpTransport`, HTTP/1.1
with pipelined calls, see `http1_async`); `AgentConnection` does the same for an executor and
its agent (blocking, see `http1`). Both are built on the standard library and hand out raw
RecordIO frames; decoding them into events is the protocol layer's job. Names load their module
on first use, so an executor importing the agent side never loads asyncio.
"""

from frameworkkit._lazy import lazy_exports as _lazy_exports

_TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if _TYPE_CHECKING:
    from .backoff import Backoff, BackoffPolicy
    from .detector import (
        MasterDetector,
        StaticDetector,
        ZooKeeperDetector,
        ZooKeeperTarget,
        detector_for,
        leader_znode,
        master_url_from_info,
        parse_zk_url,
    )
    from .errors import (
        ConnectionFailed,
        EndReason,
        RedirectLoop,
        RequestRejected,
        RetriesExhausted,
        RetryableError,
        SubscriptionEnded,
        TemporarilyUnavailable,
        TransportError,
    )
    from .exchange import HttpAnswer, HttpRequest, StreamBody, Transport
    from .executor import AgentConnection, executor_endpoint
    from .http1_async import HttpTransport
    from .options import TransportOptions
    from .scheduler import MesosConnection
    from .secret import Secret
    from .stream import Subscription

_MODULES = {
    "backoff": ("Backoff", "BackoffPolicy"),
    "detector": (
        "MasterDetector",
        "StaticDetector",
        "ZooKeeperDetector",
        "ZooKeeperTarget",
        "detector_for",
        "leader_znode",
        "master_url_from_info",
        "parse_zk_url",
    ),
    "errors": (
        "ConnectionFailed",
        "EndReason",
        "RedirectLoop",
        "RequestRejected",
        "RetriesExhausted",
        "RetryableError",
        "SubscriptionEnded",
        "TemporarilyUnavailable",
        "TransportError",
    ),
    "exchange": ("HttpAnswer", "HttpRequest", "StreamBody", "Transport"),
    "executor": ("AgentConnection", "executor_endpoint"),
    "http1_async": ("HttpTransport",),
    "options": ("TransportOptions",),
    "scheduler": ("MesosConnection",),
    "secret": ("Secret",),
    "stream": ("Subscription",),
}
__getattr__ = _lazy_exports(
    __name__,
    {name: f"{__name__}.{module}" for module, names in _MODULES.items() for name in names},
)

__all__ = [
    "AgentConnection",
    "Backoff",
    "BackoffPolicy",
    "ConnectionFailed",
    "EndReason",
    "HttpAnswer",
    "HttpRequest",
    "HttpTransport",
    "MasterDetector",
    "MesosConnection",
    "RedirectLoop",
    "RequestRejected",
    "RetriesExhausted",
    "RetryableError",
    "Secret",
    "StaticDetector",
    "StreamBody",
    "Subscription",
    "SubscriptionEnded",
    "TemporarilyUnavailable",
    "Transport",
    "TransportError",
    "TransportOptions",
    "ZooKeeperDetector",
    "ZooKeeperTarget",
    "detector_for",
    "executor_endpoint",
    "leader_znode",
    "master_url_from_info",
    "parse_zk_url",
]
