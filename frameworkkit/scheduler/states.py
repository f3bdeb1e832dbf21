"""Task states as Mesos 1.11 defines them, plus the framework-side states before a launch."""

from __future__ import annotations

import enum


class TaskState(str, enum.Enum):
    """Where a submitted task is: waiting for an offer, launched, or one of Mesos's states."""

    PENDING = "PENDING"  # waiting for resources (never sent to Mesos)
    LAUNCHING = "LAUNCHING"  # ACCEPT sent, no update yet
    TASK_STAGING = "TASK_STAGING"
    TASK_STARTING = "TASK_STARTING"
    TASK_RUNNING = "TASK_RUNNING"
    TASK_KILLING = "TASK_KILLING"
    TASK_FINISHED = "TASK_FINISHED"
    TASK_FAILED = "TASK_FAILED"
    TASK_KILLED = "TASK_KILLED"
    TASK_ERROR = "TASK_ERROR"
    TASK_LOST = "TASK_LOST"
    TASK_DROPPED = "TASK_DROPPED"
    TASK_UNREACHABLE = "TASK_UNREACHABLE"
    TASK_GONE = "TASK_GONE"
    TASK_GONE_BY_OPERATOR = "TASK_GONE_BY_OPERATOR"
    TASK_UNKNOWN = "TASK_UNKNOWN"

    @property
    def is_terminal(self) -> bool:
        """True for the states after which Mesos sends no more updates for that task id."""
        return self in _TERMINAL

    @property
    def is_active(self) -> bool:
        """True while the task holds (or is about to hold) resources on an agent."""
        return self in _ACTIVE


_TERMINAL = frozenset(
    {
        TaskState.TASK_FINISHED,
        TaskState.TASK_FAILED,
        TaskState.TASK_KILLED,
        TaskState.TASK_ERROR,
        TaskState.TASK_LOST,
        TaskState.TASK_DROPPED,
        TaskState.TASK_GONE,
        TaskState.TASK_GONE_BY_OPERATOR,
    }
)
_ACTIVE = frozenset(
    {
        TaskState.LAUNCHING,
        TaskState.TASK_STAGING,
        TaskState.TASK_STARTING,
        TaskState.TASK_RUNNING,
        TaskState.TASK_KILLING,
        TaskState.TASK_UNREACHABLE,
    }
)

# An attempt that ended in one of these may be retried; the others are final verdicts.
RETRYABLE = frozenset(
    {
        TaskState.TASK_FAILED,
        TaskState.TASK_ERROR,
        TaskState.TASK_LOST,
        TaskState.TASK_DROPPED,
        TaskState.TASK_GONE,
        TaskState.TASK_GONE_BY_OPERATOR,
        TaskState.TASK_UNKNOWN,
    }
)
