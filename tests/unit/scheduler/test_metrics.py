"""A framework's counts, and the Prometheus view that reads them at each scrape."""

from prometheus_client import generate_latest

from frameworkkit.scheduler.metrics import FrameworkMetrics


def test_the_registry_reads_the_counts_as_they_are_at_the_scrape() -> None:
    metrics = FrameworkMetrics()
    registry = metrics.registry
    metrics.offers_received += 7
    metrics.task_updates["TASK_RUNNING"] += 2
    metrics.pending = 3
    metrics.observe_time_to_running(0.3)
    metrics.observe_time_to_running(400)
    text = generate_latest(registry).decode()
    assert "frameworkkit_offers_received_total 7.0" in text
    assert 'frameworkkit_task_updates_total{state="TASK_RUNNING"} 2.0' in text
    assert "frameworkkit_tasks_pending 3.0" in text
    assert 'frameworkkit_submit_to_running_seconds_bucket{le="0.5"} 1.0' in text
    assert 'frameworkkit_submit_to_running_seconds_bucket{le="+Inf"} 2.0' in text
    assert "frameworkkit_submit_to_running_seconds_sum 400.3" in text
    assert metrics.registry is registry
