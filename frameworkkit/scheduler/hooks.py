"""The hooks a :class:`~frameworkkit.Framework` subclass overrides, with their defaults.

Each default does nothing; the framework calls only the hooks a subclass overrides, by
:mod:`frameworkkit.hooks`' rule (plain ones in a worker thread, ``async def`` ones on the loop,
the hooks of one task in order, an update acknowledged after its hooks returned).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frameworkkit.protocol.messages import Offer, TaskStatus
    from frameworkkit.scheduler.tasks import Task


class FrameworkHooks:
    """What happens to a framework, as methods to override."""

    def on_subscribed(self, framework_id: str) -> Any:
        """Mesos accepted the (re)subscription; ``framework_id`` is ours."""

    def on_offers(self, offers: list[Offer]) -> Any:
        """Offers arrived. For inspection: the framework places its tasks itself."""

    def screen_offers(self, offers: list[Offer]) -> Any:
        """Override when the work to submit depends on what is offered (Spark's executors
        take the cpus of their offer): called with each batch of offers before any task is
        placed on them, so tasks submitted here are placed on these very offers. Return
        ``{offer_id: seconds}`` to decline those offers unused for that long, or None. A
        framework that overrides it is never suppressed: it keeps seeing offers while no task
        waits. Called by the hook rule; the offers wait for it, so keep it quick."""

    def on_task_update(self, task: Task, status: TaskStatus) -> Any:
        """Any status update of a current attempt, before the specific hooks below."""

    def on_task_running(self, task: Task) -> Any:
        """The task's current attempt reached TASK_RUNNING."""

    def on_task_finished(self, task: Task) -> Any:
        """The task finished successfully (exactly once per task)."""

    def on_task_failed(self, task: Task) -> Any:
        """The task failed for good: no retry or relaunch is left (or it could not be placed)."""

    def on_task_lost(self, task: Task) -> Any:
        """An attempt was lost to the cluster (a relaunch follows while the budget lasts)."""

    def on_task_killed(self, task: Task) -> Any:
        """The task ended killed: on request, or by Mesos (a failed health check, say) with no
        retry left."""

    def on_message(self, agent_id: str, executor_id: str, data: bytes) -> Any:
        """An executor sent a framework message."""

    def on_error(self, message: str) -> Any:
        """The master reported an error for this framework."""
