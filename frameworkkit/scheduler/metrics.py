"""What one framework counts as it works, and a Prometheus view of it on demand.

The counts are plain attributes (cheap to bump on the event path, easy to read in a test or a
notebook). ``fw.metrics.registry`` builds a Prometheus registry that reads them at each scrape;
it needs the ``metrics`` extra (``pip install 'frameworkkit[metrics]'``)::

    prometheus_client.start_http_server(9100, registry=fw.metrics.registry)
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from frameworkkit._lazy import optional

RUNNING_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
"""Seconds: the bucket bounds of the submit-to-running histogram."""


@dataclass
class FrameworkMetrics:
    """Counters and gauges of one framework (see the module doc)."""

    offers_received: int = 0
    offers_declined: int = 0
    tasks_submitted: int = 0
    tasks_launched: int = 0
    tasks_retried: int = 0
    subscriptions: int = 0
    pending: int = 0  # gauge: tasks waiting for offers
    active: int = 0  # gauge: tasks launched, not done
    task_updates: Counter[str] = field(default_factory=Counter)  # by state
    tasks_done: Counter[str] = field(default_factory=Counter)  # by final state
    running_buckets: list[int] = field(default_factory=lambda: [0] * (len(RUNNING_BUCKETS) + 1))
    running_sum: float = 0.0
    _registry: Any = field(default=None, repr=False)

    def observe_time_to_running(self, seconds: float) -> None:
        """One task's seconds from submit to its first TASK_RUNNING."""
        self.running_buckets[bisect.bisect_left(RUNNING_BUCKETS, seconds)] += 1
        self.running_sum += seconds

    @property
    def registry(self) -> Any:
        """A ``prometheus_client.CollectorRegistry`` exposing these metrics (made once)."""
        if self._registry is None:
            prometheus = optional("prometheus_client", "metrics", "metrics.registry")
            self._registry = prometheus.CollectorRegistry(auto_describe=True)
            self._registry.register(_Collector(self))
        return self._registry


class _Collector:
    """Reads a :class:`FrameworkMetrics` into Prometheus metric families at each scrape."""

    def __init__(self, metrics: FrameworkMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        m = self._metrics
        for name, text, value in (
            ("offers_received", "Offers received from the master", m.offers_received),
            ("offers_declined", "Offers declined", m.offers_declined),
            ("tasks_submitted", "Tasks submitted", m.tasks_submitted),
            ("tasks_launched", "Task attempts launched", m.tasks_launched),
            ("tasks_retried", "Attempts retried or relaunched", m.tasks_retried),
            ("subscriptions", "Successful (re)subscriptions", m.subscriptions),
        ):
            yield CounterMetricFamily(f"frameworkkit_{name}", text, value=value)
        for name, text, counts in (
            ("task_updates", "Status updates by state", m.task_updates),
            ("tasks_done", "Tasks in their final state", m.tasks_done),
        ):
            family = CounterMetricFamily(f"frameworkkit_{name}", text, labels=["state"])
            for state, count in sorted(counts.items()):
                family.add_metric([state], count)
            yield family
        yield GaugeMetricFamily("frameworkkit_tasks_pending", "Tasks waiting for offers", m.pending)
        yield GaugeMetricFamily("frameworkkit_tasks_active", "Tasks launched, not done", m.active)
        cumulative, buckets = 0, []
        for bound, count in zip((*RUNNING_BUCKETS, float("inf")), m.running_buckets, strict=True):
            cumulative += count
            buckets.append((str(bound) if bound != float("inf") else "+Inf", cumulative))
        yield HistogramMetricFamily(
            "frameworkkit_submit_to_running_seconds",
            "Seconds from submit to the first TASK_RUNNING",
            buckets=buckets,
            sum_value=m.running_sum,
        )
