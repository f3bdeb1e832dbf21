"""The task tracker: what every submitted task is doing, one state machine per task.

A submitted :class:`TaskSpec` becomes a :class:`Task` handle. Each launch is an *attempt* with
its own Mesos task id (``<name>.<key>.<attempt>``), so an update for an old attempt can never be
taken for the current one. Retries follow the spec's ``max_retries`` with exponential backoff.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import msgspec

from frameworkkit.scheduler.spec import TaskSpec
from frameworkkit.scheduler.store import TaskRecord
from frameworkkit.states import TaskState

_RETRY_BACKOFF_CAP = 60.0


@dataclass(frozen=True)
class StatusRecord:
    """One step of a task's history."""

    state: TaskState
    time: float
    task_id: str | None = None
    reason: str | None = None
    message: str | None = None
    agent_id: str | None = None


@dataclass(eq=False)
class Task:
    """A handle on a submitted task: its spec, current state, agent and history.

    ``await task.wait()`` (or ``task.done``) tells when it reached its final state: finished,
    failed after its retries, or killed.
    """

    key: str
    spec: TaskSpec
    state: TaskState = TaskState.PENDING
    attempts: int = 0
    task_id: str | None = None
    agent_id: str | None = None
    message: str | None = None
    reason: str | None = None
    healthy: bool | None = None
    not_before: float = 0.0
    kill_requested: bool = False
    history: list[StatusRecord] = field(default_factory=list)
    _final: asyncio.Event | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def done(self) -> bool:
        """True once the task will not run again: finished, killed, or failed for good.

        (An attempt that ends while retries remain puts the task back to pending at once.)
        """
        return self.state.is_terminal

    @property
    def can_retry(self) -> bool:
        return self.attempts <= self.spec.max_retries

    async def wait(self) -> TaskState:
        """Wait until the task is done; return its final state."""
        if self._final is None:
            self._final = asyncio.Event()
        if not self.done:
            await self._final.wait()
        return self.state

    def record(self) -> TaskRecord:
        """The durable form of this task."""
        return TaskRecord(
            key=self.key,
            spec=msgspec.to_builtins(self.spec),
            state=self.state.value,
            attempts=self.attempts,
            task_id=self.task_id,
            agent_id=self.agent_id,
            not_before=self.not_before,
            message=self.message,
        )

    @classmethod
    def from_record(cls, record: TaskRecord) -> Task:
        task = cls(
            key=record.key,
            spec=msgspec.convert(record.spec, TaskSpec),
            state=TaskState(record.state),
            attempts=record.attempts,
            task_id=record.task_id,
            agent_id=record.agent_id,
            not_before=record.not_before,
            message=record.message,
        )
        task.history.append(StatusRecord(task.state, time.time(), record.task_id, "RESTORED"))
        return task

    def _signal_if_done(self) -> None:
        if self.done and self._final is not None:
            self._final.set()


@dataclass(frozen=True)
class Transition:
    """What one status update did to a task, for the framework to act on."""

    task: Task
    previous: TaskState
    state: TaskState
    duplicate: bool = False  # an update for a state the task is already past
    retry: bool = False  # the attempt ended and the task goes back to pending
    final: bool = False  # the task is done


class TaskTracker:
    """All tasks of a framework, by key and by the Mesos task id of their current attempt."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._by_task_id: dict[str, Task] = {}
        self._open = 0  # tasks not done yet

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks.values())

    def get(self, key: str) -> Task | None:
        return self._tasks.get(key)

    def by_task_id(self, task_id: str) -> Task | None:
        return self._by_task_id.get(task_id)

    def add(self, spec: TaskSpec) -> Task:
        """Track a newly submitted task, pending."""
        key = uuid.uuid4().hex[:12]
        task = Task(key=key, spec=spec)
        task.history.append(StatusRecord(TaskState.PENDING, time.time()))
        self._tasks[key] = task
        self._open += 1
        return task

    def restore(self, record: TaskRecord) -> Task:
        """Track a task loaded from the state store."""
        task = Task.from_record(record)
        self._tasks[task.key] = task
        self._open += not task.done
        if task.task_id:
            self._by_task_id[task.task_id] = task
        return task

    def pending(self, now: float | None = None) -> list[Task]:
        """Tasks waiting for resources whose retry delay (if any) has passed, oldest first."""
        now = time.time() if now is None else now
        return [
            t
            for t in self._tasks.values()
            if t.state is TaskState.PENDING and not t.kill_requested and t.not_before <= now
        ]

    def waiting(self) -> list[Task]:
        """Pending tasks, including those still in their retry delay."""
        return [t for t in self._tasks.values() if t.state is TaskState.PENDING]

    def active(self) -> list[Task]:
        """Tasks launched and not yet in a terminal state."""
        return [t for t in self._tasks.values() if t.state.is_active]

    def idle(self) -> bool:
        """True when every task is done: nothing pending, nothing running."""
        return self._open == 0

    def launching(self, task: Task, agent_id: str) -> str:
        """Start a new attempt of a pending task on ``agent_id``; return its Mesos task id."""
        if task.state is not TaskState.PENDING:
            raise RuntimeError(f"task {task.key} is {task.state.value}, not pending")
        task.attempts += 1
        task.task_id = f"{_slug(task.name)}.{task.key}.{task.attempts}"
        task.agent_id = agent_id
        task.state = TaskState.LAUNCHING
        task.history.append(StatusRecord(TaskState.LAUNCHING, time.time(), task.task_id))
        self._by_task_id[task.task_id] = task
        return task.task_id

    def update(
        self,
        task_id: str,
        state: TaskState,
        *,
        reason: str | None = None,
        message: str | None = None,
        agent_id: str | None = None,
        healthy: bool | None = None,
    ) -> Transition | None:
        """Apply a status update for ``task_id``; None if the id belongs to no attempt we know."""
        task = self._by_task_id.get(task_id)
        if task is None:
            return None
        previous = task.state
        if task_id != task.task_id or previous.is_terminal or previous is TaskState.PENDING:
            # an old attempt, or an attempt already ended: nothing changes
            return Transition(task, previous, previous, duplicate=True)
        if healthy is not None:
            task.healthy = healthy
        if state is previous and healthy is None:
            return Transition(task, previous, state, duplicate=True)
        task.state, task.reason, task.message = state, reason, message
        if agent_id:
            task.agent_id = agent_id
        task.history.append(StatusRecord(state, time.time(), task_id, reason, message, agent_id))
        if not (state.is_terminal or state is TaskState.TASK_UNKNOWN):
            return Transition(task, previous, state)
        if previous is TaskState.LAUNCHING and reason == "REASON_RECONCILIATION":
            # the launch never reached Mesos (the scheduler stopped before sending it)
            task.attempts -= 1
            task.state = TaskState.PENDING
            task.history.append(StatusRecord(TaskState.PENDING, time.time(), None, "NOT_LAUNCHED"))
            return Transition(task, previous, state, retry=True)
        if state in RETRYABLE and not task.kill_requested and task.can_retry:
            delay = min(
                task.spec.retry_backoff_seconds * 2 ** (task.attempts - 1), _RETRY_BACKOFF_CAP
            )
            task.state = TaskState.PENDING
            task.not_before = time.time() + delay
            task.history.append(StatusRecord(TaskState.PENDING, time.time(), None, "RETRY"))
            return Transition(task, previous, state, retry=True)
        if state is TaskState.TASK_UNKNOWN:
            task.state = TaskState.TASK_LOST  # unknown to Mesos and out of retries: lost
        self._open -= 1
        task._signal_if_done()
        return Transition(task, previous, task.state, final=True)

    def kill_pending(self, task: Task) -> Transition:
        """Kill a task that was never launched: it ends TASK_KILLED at once."""
        previous = task.state
        task.kill_requested = True
        task.state = TaskState.TASK_KILLED
        task.history.append(StatusRecord(TaskState.TASK_KILLED, time.time(), None, "NOT_LAUNCHED"))
        self._open -= 1
        task._signal_if_done()
        return Transition(task, previous, task.state, final=True)


def _slug(name: str) -> str:
    """A task name made safe for a Mesos task id (letters, digits, ``-_``)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return cleaned[:64] or "task"
