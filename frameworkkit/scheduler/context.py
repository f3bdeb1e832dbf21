"""What every part of a framework run shares: its name, tasks, state store, link and metrics."""

from __future__ import annotations

from dataclasses import dataclass

from frameworkkit.scheduler.metrics import FrameworkMetrics
from frameworkkit.scheduler.store import StateStore
from frameworkkit.scheduler.subscription import SubscriptionLoop
from frameworkkit.scheduler.tasks import TaskTracker


@dataclass(frozen=True)
class RunContext:
    """The shared pieces the offer handler, update handler and reconciler work on."""

    name: str
    tracker: TaskTracker
    store: StateStore
    link: SubscriptionLoop
    metrics: FrameworkMetrics
