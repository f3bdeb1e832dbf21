"""What every frameworkkit executor does alike, as Mesos's executors do: kill grace periods,
shutdown timing, exit statuses and the framework's opt-ins.

Both the :class:`~.Executor` base class and the :class:`~.CommandExecutor` read these; tasks and
FrameworkInfos are given in the JSON form the agent sent.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "DEFAULT_KILL_GRACE_PERIOD",
    "EXIT_AGENT_LOST",
    "EXIT_OK",
    "SHUTDOWN_MARGIN",
    "kill_grace_period",
    "opted_in",
    "shutdown_kill_grace",
]

DEFAULT_KILL_GRACE_PERIOD = 3.0
"""Seconds between SIGTERM and SIGKILL when neither the KILL nor the task names a kill policy."""
SHUTDOWN_MARGIN = 2.0
"""Seconds of the shutdown grace period kept for reaping tasks and sending their last updates."""
EXIT_OK = 0
EXIT_AGENT_LOST = 1


def kill_grace_period(task: Mapping[str, Any], kill_grace: float | None = None) -> float:
    """The grace period of a kill: the KILL's own (``kill_grace``), else the task's kill policy,
    else :data:`DEFAULT_KILL_GRACE_PERIOD`."""
    if kill_grace is not None:
        return max(0.0, kill_grace)
    grace = (task.get("kill_policy") or {}).get("grace_period")
    if grace is None:
        return DEFAULT_KILL_GRACE_PERIOD
    return max(0.0, float(grace.get("nanoseconds", 0)) / 1e9)


def shutdown_kill_grace(shutdown_grace_period: float) -> float:
    """The kill grace period of the tasks when the executor shuts down: the executor's shutdown
    grace period less :data:`SHUTDOWN_MARGIN`."""
    return max(0.0, shutdown_grace_period - SHUTDOWN_MARGIN)


def opted_in(framework_info: Mapping[str, Any] | None, capability: str) -> bool:
    """Whether the framework declared ``capability`` (e.g. ``TASK_KILLING_STATE``)."""
    if framework_info is None:
        return False
    return any(c.get("type") == capability for c in framework_info.get("capabilities") or [])
