"""The task tracker: what every submitted task is doing, one state machine per task.

A submitted :class:`TaskSpec` becomes a :class:`Task` handle, keyed by its name. Each launch is
an *attempt* with its own Mesos task id (``<name>.<attempt>``), so an update for an old attempt
is never taken for the current one. An attempt that fails on its own spends one of the spec's
``max_retries``; one lost to the cluster (see :func:`frameworkkit.states.is_infrastructure_failure`)
spends one of its ``max_relaunches`` instead. Both wait the spec's backoff before the next launch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frameworkkit.scheduler.spec import TaskSpec
from frameworkkit.scheduler.store import TaskRecord
from frameworkkit.states import LOST_STATES, TaskState, is_infrastructure_failure

if TYPE_CHECKING:
    from frameworkkit.placement import Unplaced
    from frameworkkit.scheduler.sandbox import Sandbox

RETRY_BACKOFF_CAP = 60.0
"""Seconds: the longest wait before a retry or relaunch."""


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
    """A handle on a submitted task: its spec, current state, where it runs, and its history.

    ``await task.wait()`` (or ``task.done``) tells when it reached its final state: finished,
    failed after its retries, or killed. ``hostname``, ``agent_id``, ``executor_id`` and
    ``framework_id`` say where the current attempt runs (ran), ``ports`` the host ports it was
    given; ``launched_at``, ``started_at`` and ``ended_at`` when it was launched, reached
    TASK_RUNNING and ended. ``await task.read_output("stdout")`` reads its sandbox.
    ``unplaced`` says why a pending task has not been launched yet (None once it was).
    """

    key: str
    spec: TaskSpec
    state: TaskState = TaskState.PENDING
    attempts: int = 0
    retries: int = 0
    relaunches: int = 0
    task_id: str | None = None
    framework_id: str | None = None
    agent_id: str | None = None
    hostname: str | None = None
    executor_id: str | None = None
    ports: list[int] = field(default_factory=list)
    launched_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    message: str | None = None
    reason: str | None = None
    healthy: bool | None = None
    not_before: float = 0.0
    kill_requested: bool = False
    unplaced: Unplaced | None = None
    history: list[StatusRecord] = field(default_factory=list)
    _reached_running: bool = field(default=False, repr=False)
    _final: asyncio.Event | None = field(default=None, repr=False)
    _sandbox: Sandbox | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def done(self) -> bool:
        """True once the task will not run again: finished, killed, or failed for good.

        (An attempt that ends while retries remain puts the task back to pending at once.)
        """
        return self.state.is_terminal

    async def wait(self) -> TaskState:
        """Wait until the task is done; return its final state."""
        if self._final is None:
            self._final = asyncio.Event()
        if not self.done:
            await self._final.wait()
        return self.state

    async def read_output(self, name: str = "stdout", *, max_bytes: int = 1 << 20) -> bytes:
        """The last ``max_bytes`` of a file in the current attempt's sandbox (``stdout``,
        ``stderr`` or any relative path), read through the agent's files API."""
        if self._sandbox is None or self.task_id is None or self.agent_id is None:
            raise RuntimeError(f"task {self.name!r} has not been launched")
        return await self._sandbox.read(self, name, max_bytes=max_bytes)

    @property
    def sandbox(self) -> str | None:
        """The current attempt's sandbox directory on its agent, once looked up (by
        :meth:`read_output`)."""
        return None if self._sandbox is None else self._sandbox.directory_of(self)

    def record(self) -> TaskRecord:
        """The durable form of this task."""
        return TaskRecord(
            key=self.key,
            spec=self.spec.to_builtins(),
            state=self.state.value,
            attempts=self.attempts,
            retries=self.retries,
            relaunches=self.relaunches,
            task_id=self.task_id,
            framework_id=self.framework_id,
            agent_id=self.agent_id,
            hostname=self.hostname,
            executor_id=self.executor_id,
            ports=list(self.ports),
            launched_at=self.launched_at,
            started_at=self.started_at,
            ended_at=self.ended_at,
            not_before=self.not_before,
            message=self.message,
            reason=self.reason,
        )

    @classmethod
    def from_record(cls, record: TaskRecord) -> Task:
        task = cls(
            key=record.key,
            spec=TaskSpec.from_builtins(record.spec),
            state=TaskState(record.state),
            attempts=record.attempts,
            retries=record.retries,
            relaunches=record.relaunches,
            task_id=record.task_id,
            framework_id=record.framework_id,
            agent_id=record.agent_id,
            hostname=record.hostname,
            executor_id=record.executor_id,
            ports=list(record.ports),
            launched_at=record.launched_at,
            started_at=record.started_at,
            ended_at=record.ended_at,
            not_before=record.not_before,
            message=record.message,
            reason=record.reason,
        )
        task._reached_running = task.state in (TaskState.TASK_RUNNING, TaskState.TASK_KILLING)
        task.history.append(StatusRecord(task.state, time.time(), record.task_id, "RESTORED"))
        return task

    def _step(self, state: TaskState, **details: str | None) -> None:
        self.history.append(StatusRecord(state, time.time(), **details))

    def _signal_if_done(self) -> None:
        if self.done and self._final is not None:
            self._final.set()


@dataclass(frozen=True)
class Transition:
    """What one status update did to a task, for the framework to act on."""

    task: Task
    previous: TaskState
    state: TaskState  # the state the update reported
    duplicate: bool = False  # nothing changed: an old attempt, or a state already reported
    repeated: bool = False  # with duplicate: the current attempt's state, reported again
    again: bool = False  # the attempt ended and the task is pending again (retry or relaunch)
    final: bool = False  # the task is done
    superseded: bool = False  # an update of an earlier attempt that still runs: kill it

    @property
    def lost(self) -> bool:
        """The attempt was lost to the cluster (its update was a TASK_LOST-like state)."""
        return self.state in LOST_STATES


class DuplicateTaskName(ValueError):
    """A task name was submitted again with a different spec."""


class TaskTracker:
    """All tasks of a framework, by name and by the Mesos task id of each of their attempts."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}
        self._by_task_id: dict[str, Task] = {}
        self._pending: dict[str, Task] = {}  # in the order they became pending
        self._open = 0  # tasks not done yet

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self._tasks.values())

    def get(self, key: str) -> Task | None:
        return self._tasks.get(key)

    def by_task_id(self, task_id: str) -> Task | None:
        return self._by_task_id.get(task_id)

    def add(self, spec: TaskSpec) -> tuple[Task, bool]:
        """Track a submitted task, pending; return it and whether it is new.

        A name already tracked with an equal spec returns that task; with another spec it
        raises :class:`DuplicateTaskName`.
        """
        known = self._tasks.get(spec.name)
        if known is not None:
            if known.spec != spec:
                raise DuplicateTaskName(
                    f"name: task {spec.name!r} was submitted before with another spec; "
                    f"give the new one another name"
                )
            return known, False
        task = Task(key=spec.name, spec=spec)
        task._step(TaskState.PENDING)
        self._tasks[task.key] = task
        self._pending[task.key] = task
        self._open += 1
        return task, True

    def restore(self, record: TaskRecord) -> Task:
        """Track a task loaded from the state store."""
        task = Task.from_record(record)
        self._tasks[task.key] = task
        self._open += not task.done
        if task.state is TaskState.PENDING:
            self._pending[task.key] = task
        if task.task_id:
            self._by_task_id[task.task_id] = task
        return task

    def ready(self, now: float | None = None) -> list[Task]:
        """Pending tasks whose backoff (if any) has passed, in the order they became pending:
        launch these."""
        if not self._pending:
            return []
        now = time.time() if now is None else now
        return [t for t in self._pending.values() if not t.kill_requested and t.not_before <= now]

    def pending(self) -> list[Task]:
        """Every pending task, those still in their backoff included."""
        return list(self._pending.values())

    def active(self) -> list[Task]:
        """Tasks launched and not yet in a terminal state."""
        return [t for t in self._tasks.values() if t.state.is_active]

    def active_count(self) -> int:
        """How many tasks :meth:`active` lists, counted without reading them: the tasks not
        done and not pending are exactly the launched ones."""
        return self._open - len(self._pending)

    def describe_unfinished(self, limit: int = 10) -> str:
        """A line naming the tasks not done and why they wait, for errors and logs."""
        waiting = [t for t in self._tasks.values() if not t.done]
        parts = [
            f"{t.name} ({t.state.value}{': ' + str(t.unplaced) if t.unplaced else ''})"
            for t in waiting[:limit]
        ]
        more = f" and {len(waiting) - limit} more" if len(waiting) > limit else ""
        return f"{len(waiting)} tasks not done: " + "; ".join(parts) + more

    def end_active(self, state: TaskState, message: str) -> list[Task]:
        """End every launched task as ``state`` (their framework was ended in Mesos)."""
        ended = []
        for task in self.active():
            previous = task.state
            task.state, task.message, task.reason = state, message, None
            task.ended_at = time.time()
            task._step(state, task_id=task.task_id, message=message)
            self._final(task, previous, state)
            ended.append(task)
        return ended

    def idle(self) -> bool:
        """True when every task is done: nothing pending, nothing running."""
        return self._open == 0

    def start_attempt(
        self, task: Task, agent_id: str, hostname: str | None, ports: Sequence[int] = ()
    ) -> str:
        """Move a pending task to LAUNCHING on ``agent_id`` with the host ``ports`` it was given;
        return the new attempt's task id."""
        if task.state is not TaskState.PENDING:
            raise RuntimeError(f"task {task.key} is {task.state.value}, not pending")
        del self._pending[task.key]
        task.attempts += 1
        task.task_id = f"{task.key}.{task.attempts}"
        task.agent_id, task.hostname, task.executor_id = agent_id, hostname, None
        task.ports = list(ports)
        task.launched_at, task.started_at, task.ended_at = time.time(), None, None
        task.state, task.unplaced, task._reached_running = TaskState.LAUNCHING, None, False
        task._step(TaskState.LAUNCHING, task_id=task.task_id, agent_id=agent_id)
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
        executor_id: str | None = None,
        healthy: bool | None = None,
        timestamp: float | None = None,
    ) -> Transition | None:
        """Apply a status update for ``task_id`` (sent at ``timestamp``, wall-clock seconds, if
        known); None if the id belongs to no attempt we know."""
        task = self._by_task_id.get(task_id)
        if task is None:
            return None
        previous = task.state
        if task_id != task.task_id or previous.is_terminal or previous is TaskState.PENDING:
            # an earlier attempt, or an attempt already over: it changes nothing, but one that
            # still runs (its agent came back) must be killed
            running = not (state.is_terminal or state is TaskState.TASK_UNKNOWN)
            return Transition(task, previous, state, duplicate=True, superseded=running)
        if healthy is not None:
            task.healthy = healthy
        if state is previous and healthy is None:
            return Transition(task, previous, state, duplicate=True, repeated=True)
        task.state, task.reason, task.message = state, reason, message
        task.agent_id = agent_id or task.agent_id
        task.executor_id = executor_id or task.executor_id
        task._step(state, task_id=task_id, reason=reason, message=message, agent_id=agent_id)
        when = time.time() if timestamp is None else timestamp
        if state is TaskState.TASK_RUNNING and not task._reached_running:
            task._reached_running, task.started_at = True, when
        ends = state.is_terminal or state in (TaskState.TASK_UNKNOWN, TaskState.TASK_UNREACHABLE)
        if not ends:
            return Transition(task, previous, state)
        if previous is TaskState.LAUNCHING and reason == "REASON_RECONCILIATION":
            # the launch never reached Mesos (the scheduler stopped before sending it)
            task.attempts -= 1
            return self._again(task, previous, state, delay=0.0, why="NOT_LAUNCHED")
        task.ended_at = when
        if not task.kill_requested:
            reached = task._reached_running
            if is_infrastructure_failure(state, reason, reached_running=reached):
                if task.relaunches < task.spec.max_relaunches:
                    task.relaunches += 1
                    delay = _backoff(task, task.relaunches)
                    return self._again(task, previous, state, delay, why="RELAUNCH")
            elif state is not TaskState.TASK_FINISHED and task.retries < task.spec.max_retries:
                task.retries += 1
                return self._again(task, previous, state, _backoff(task, task.retries))
        if state in (TaskState.TASK_UNKNOWN, TaskState.TASK_UNREACHABLE):
            task.state = TaskState.TASK_LOST  # out of relaunches, and not coming back: lost
        return self._final(task, previous, state)

    def kill_pending(self, task: Task) -> Transition:
        """Kill a task that was never launched: it ends TASK_KILLED at once."""
        previous = task.state
        self._pending.pop(task.key, None)
        task.kill_requested = True
        task.state = TaskState.TASK_KILLED
        task._step(TaskState.TASK_KILLED, reason="NOT_LAUNCHED")
        return self._final(task, previous, task.state)

    def fail_pending(self, task: Task, message: str) -> Transition:
        """End a pending task that cannot be launched at all (its placement raised)."""
        previous = task.state
        self._pending.pop(task.key, None)
        task.state, task.message, task.reason = TaskState.TASK_ERROR, message, None
        task._step(TaskState.TASK_ERROR, message=message)
        return self._final(task, previous, task.state)

    def _again(
        self, task: Task, previous: TaskState, state: TaskState, delay: float, why: str = "RETRY"
    ) -> Transition:
        task.state = TaskState.PENDING
        self._pending[task.key] = task
        task.not_before = time.time() + delay
        task._step(TaskState.PENDING, reason=why)
        return Transition(task, previous, state, again=True)

    def _final(self, task: Task, previous: TaskState, state: TaskState) -> Transition:
        self._open -= 1
        task._signal_if_done()
        return Transition(task, previous, state, final=True)


def _backoff(task: Task, count: int) -> float:
    delay: float = task.spec.retry_backoff_seconds * 2 ** (count - 1)
    return min(delay, RETRY_BACKOFF_CAP)
