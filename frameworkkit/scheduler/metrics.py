"""Prometheus metrics of one framework, in a registry of its own.

Expose them with ``prometheus_client.start_http_server(port, registry=fw.metrics.registry)``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class FrameworkMetrics:
    """Counters and gauges the framework updates as it works."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.offers_received = Counter(
            "frameworkkit_offers_received", "Offers received from the master", registry=r
        )
        self.offers_declined = Counter(
            "frameworkkit_offers_declined", "Offers declined", registry=r
        )
        self.tasks_submitted = Counter(
            "frameworkkit_tasks_submitted", "Tasks submitted", registry=r
        )
        self.tasks_launched = Counter(
            "frameworkkit_tasks_launched", "Task attempts launched", registry=r
        )
        self.task_updates = Counter(
            "frameworkkit_task_updates", "Status updates by state", ["state"], registry=r
        )
        self.tasks_done = Counter(
            "frameworkkit_tasks_done", "Tasks in their final state", ["state"], registry=r
        )
        self.tasks_retried = Counter("frameworkkit_tasks_retried", "Attempts retried", registry=r)
        self.subscriptions = Counter(
            "frameworkkit_subscriptions", "Successful (re)subscriptions", registry=r
        )
        self.pending = Gauge("frameworkkit_tasks_pending", "Tasks waiting for offers", registry=r)
        self.active = Gauge("frameworkkit_tasks_active", "Tasks launched, not done", registry=r)
        self.time_to_running = Histogram(
            "frameworkkit_submit_to_running_seconds",
            "Seconds from submit to the first TASK_RUNNING",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
            registry=r,
        )
