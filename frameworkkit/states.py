"""Task states and status reasons: the one vocabulary every part of frameworkkit uses.

Mesos 1.11's ``TaskState`` values plus the two states a framework's task has before Mesos hears
of it, the sets they fall into, and which failures are the cluster's fault rather than the
task's (see :func:`is_infrastructure_failure`). Standard library only.
"""

from __future__ import annotations

import enum

__all__ = [
    "ACTIVE_STATES",
    "EXECUTOR_STATES",
    "INFRASTRUCTURE_REASONS",
    "LOST_STATES",
    "MESOS_STATES",
    "STARTUP_REASONS",
    "TERMINAL_STATES",
    "TaskState",
    "is_infrastructure_failure",
]


class TaskState(str, enum.Enum):
    """Where a task is: waiting for an offer, launched, or one of Mesos's states."""

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
        return self in TERMINAL_STATES

    @property
    def is_active(self) -> bool:
        """True while the task holds (or is about to hold) resources on an agent."""
        return self in ACTIVE_STATES


MESOS_STATES: tuple[str, ...] = tuple(s.value for s in TaskState if s.value.startswith("TASK_"))
"""The state names Mesos 1.11 sends, in ``mesos.proto``'s order."""

EXECUTOR_STATES: tuple[str, ...] = tuple(s for s in MESOS_STATES if s != "TASK_STAGING")
"""The states an executor may report (the agent refuses TASK_STAGING from an executor)."""

TERMINAL_STATES = frozenset(
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
"""States after which Mesos sends no more updates for that task id (strings compare equal)."""

ACTIVE_STATES = frozenset(
    {
        TaskState.LAUNCHING,
        TaskState.TASK_STAGING,
        TaskState.TASK_STARTING,
        TaskState.TASK_RUNNING,
        TaskState.TASK_KILLING,
        TaskState.TASK_UNREACHABLE,
    }
)
"""States of a task that holds, or is about to hold, resources on an agent."""

LOST_STATES = frozenset(
    {
        TaskState.TASK_LOST,
        TaskState.TASK_DROPPED,
        TaskState.TASK_GONE,
        TaskState.TASK_GONE_BY_OPERATOR,
        TaskState.TASK_UNREACHABLE,
        TaskState.TASK_UNKNOWN,
    }
)
"""States that say the cluster lost the task (its agent, its executor or the master's record),
not that the task failed: an attempt ending in one is relaunched without spending a retry."""

INFRASTRUCTURE_REASONS = frozenset(
    {
        "REASON_AGENT_DISCONNECTED",
        "REASON_AGENT_DRAINING",
        "REASON_AGENT_REMOVED",
        "REASON_AGENT_REMOVED_BY_OPERATOR",
        "REASON_AGENT_REREGISTERED",
        "REASON_AGENT_RESTARTED",
        "REASON_AGENT_UNKNOWN",
        "REASON_CONTAINER_LAUNCH_FAILED",
        "REASON_CONTAINER_PREEMPTED",
        "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
        "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
        "REASON_EXECUTOR_UNREGISTERED",
        "REASON_GC_ERROR",
        "REASON_INVALID_OFFERS",
        "REASON_MASTER_DISCONNECTED",
        "REASON_RESOURCES_UNKNOWN",
    }
)
"""Reasons of a TASK_FAILED (or TASK_KILLED not asked for) that blame the cluster, whenever they
come."""

STARTUP_REASONS = frozenset({"REASON_EXECUTOR_TERMINATED", "REASON_COMMAND_EXECUTOR_FAILED"})
"""Reasons that blame the cluster only when the attempt never reached TASK_RUNNING (its executor
died before the task started); after that they are the task's own failure."""


def is_infrastructure_failure(state: str, reason: str | None, *, reached_running: bool) -> bool:
    """Whether an attempt that ended in ``state`` for ``reason`` was lost to the cluster.

    Such attempts are relaunched under their own budget, without spending the task's retries.
    """
    if state in LOST_STATES:
        return True
    if state not in (TaskState.TASK_FAILED, TaskState.TASK_KILLED) or reason is None:
        return False
    return reason in INFRASTRUCTURE_REASONS or (reason in STARTUP_REASONS and not reached_running)
