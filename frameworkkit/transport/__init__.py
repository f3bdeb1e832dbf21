"""Async HTTP to Mesos: the master's v1 scheduler API and the agent's v1 executor API.

`MesosConnection` subscribes to the leading master (found by a `MasterDetector`) and sends
calls on that subscription; `AgentConnection` does the same for an executor and its agent.
Both hand out raw RecordIO frames; decoding them into events is the protocol layer's job.
"""

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
from .executor import AgentConnection, executor_endpoint
from .options import TransportOptions
from .scheduler import MesosConnection
from .secret import Secret
from .stream import Subscription

__all__ = [
    "AgentConnection",
    "Backoff",
    "BackoffPolicy",
    "ConnectionFailed",
    "EndReason",
    "MasterDetector",
    "MesosConnection",
    "RedirectLoop",
    "RequestRejected",
    "RetriesExhausted",
    "RetryableError",
    "Secret",
    "StaticDetector",
    "Subscription",
    "SubscriptionEnded",
    "TemporarilyUnavailable",
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
