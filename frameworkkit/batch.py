"""A shell command run as N tasks, and a framework's tasks read from its state directory: the work
behind ``frameworkkit run`` and ``frameworkkit tasks``.

Use :func:`run_command` to fan a command out over a cluster from a script or a shell, and
:func:`task_rows` to see what a framework (any frameworkkit framework with a state directory)
has done, also while it runs.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from tqdm import tqdm

from frameworkkit import validation
from frameworkkit.scheduler import Framework, Task, TaskSpec, TaskState
from frameworkkit.scheduler.store import FileStateStore

EXIT_FAILED = 1
"""Exit status of :func:`run_command` when a task failed, was killed or was lost for good."""
EXIT_TIMEOUT = 124
"""Exit status of :func:`run_command` when its timeout passed first (as ``timeout(1)``)."""
EXIT_INTERRUPTED = 130
"""Exit status of :func:`run_command` after Ctrl-C."""


@dataclass(frozen=True)
class Batch:
    """What ``frameworkkit run`` submits: ``count`` tasks named ``<name>-<index>`` running
    ``command`` (one string: a shell command; several: an argv run without a shell)."""

    command: Sequence[str]
    count: int = 1
    name: str = "frameworkkit-run"
    cpus: float = 0.1
    mem: float = 32.0
    retries: int = 0

    def __post_init__(self) -> None:
        if not self.command:
            raise ValueError("command: give the command the tasks run")
        if validation.whole_number("count", self.count) < 1:
            raise ValueError(f"count: at least 1 task, got {self.count}")

    def specs(self) -> list[TaskSpec]:
        """One spec per task; each task sees its index and the count in its environment."""
        command: str | list[str] = self.command[0] if len(self.command) == 1 else list(self.command)
        return [
            TaskSpec(
                name=f"{self.name}-{index}",
                command=command,
                cpus=self.cpus,
                mem=self.mem,
                max_retries=self.retries,
                env={
                    "FRAMEWORKKIT_TASK_INDEX": str(index),
                    "FRAMEWORKKIT_TASK_COUNT": str(self.count),
                },
            )
            for index in range(self.count)
        ]


class _Runner(Framework):
    """Counts the batch's tasks on a progress bar as they end (the scheduler's log says why
    one failed)."""

    def __init__(self, master: str, bar: tqdm[NoReturn], **kwargs: Any) -> None:
        super().__init__(master, **kwargs)
        self.bar = bar

    def on_task_finished(self, task: Task) -> None:
        self.bar.update(1)

    def on_task_failed(self, task: Task) -> None:
        self.bar.update(1)

    def on_task_killed(self, task: Task) -> None:
        self.bar.update(1)


@contextlib.contextmanager
def _state_dir(state_dir: Path | None) -> Iterator[Path]:
    if state_dir is not None:
        yield state_dir
        return
    with tempfile.TemporaryDirectory(prefix="frameworkkit-run-") as tmp:
        yield Path(tmp)


def run_command(
    master: str,
    batch: Batch,
    *,
    state_dir: Path | None = None,
    timeout: float | None = None,
    progress: bool = True,
) -> int:
    """Run ``batch`` on ``master`` and return an exit status: 0 when every task finished,
    :data:`EXIT_FAILED`, :data:`EXIT_TIMEOUT` or :data:`EXIT_INTERRUPTED` otherwise.

    Without ``state_dir`` the run is self-contained: its state goes in a temporary directory
    and the framework ends in Mesos however the run ends. With one, the run can be resumed: a
    run that stops early (timeout, Ctrl-C, a crash) leaves its framework to fail over, and the
    same batch run again with the same directory adopts its tasks and runs each task once.
    """
    from tqdm.contrib.logging import logging_redirect_tqdm  # loads tqdm.auto: warns in Jupyter

    if timeout is not None:
        validation.number("timeout", timeout, above=True)

    class Named(_Runner):
        name = batch.name

    started = time.monotonic()
    with (
        _state_dir(state_dir) as directory,
        tqdm(
            total=batch.count, desc=batch.name, unit="task", disable=not progress, file=sys.stderr
        ) as bar,
        logging_redirect_tqdm(),  # log lines above the bar, not through it
    ):
        fw = Named(master, bar, state_dir=directory)
        tasks = fw.submit_many(batch.specs())
        bar.update(sum(t.done for t in tasks))  # done in an earlier run with this state
        teardown = True if state_dir is None else None
        try:
            fw.run(timeout=timeout, teardown=teardown)
        except TimeoutError as exc:
            bar.write(f"frameworkkit: {exc}", file=sys.stderr)
            return EXIT_TIMEOUT
        except KeyboardInterrupt:
            if teardown:
                fw.stop(teardown=True)
            return EXIT_INTERRUPTED
    unfinished = [t for t in tasks if t.state is not TaskState.TASK_FINISHED]
    if progress:
        print(
            f"{len(tasks) - len(unfinished)} of {len(tasks)} tasks finished "
            f"in {time.monotonic() - started:.1f} s",
            file=sys.stderr,
        )
    return EXIT_FAILED if unfinished else 0


def task_rows(state_dir: Path) -> list[dict[str, Any]]:
    """Every task kept in ``state_dir``, as plain values: name, state, attempts (with retries
    and relaunches), host, agent, Mesos task id, times and last message. Reads without
    writing, so the framework may be running. FileNotFoundError when it holds no state."""
    state = FileStateStore(state_dir).read()
    return [
        {
            "name": t.key,
            "state": t.state,
            "attempts": t.attempts,
            "retries": t.retries,
            "relaunches": t.relaunches,
            "host": t.hostname,
            "agent_id": t.agent_id,
            "task_id": t.task_id,
            "launched_at": t.launched_at,
            "started_at": t.started_at,
            "ended_at": t.ended_at,
            "message": t.message,
        }
        for t in state.tasks
    ]


def format_rows(rows: Sequence[dict[str, Any]], *, as_json: bool = False) -> str:
    """``rows`` of :func:`task_rows` as a table (name, state, attempts, host) or as JSON."""
    if as_json:
        return json.dumps(list(rows), indent=2)
    table = [("NAME", "STATE", "ATTEMPTS", "HOST")]
    table += [(r["name"], r["state"], str(r["attempts"]), r["host"] or "-") for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    return "\n".join(
        "  ".join([*(line[i].ljust(widths[i]) for i in range(3)), line[3]]) for line in table
    )
