"""An executor whose launch hook crashes for tasks named "boom" and finishes every other task.

Run as ``python crashing_executor.py`` where a framework names its executor.
"""

from __future__ import annotations

import logging
import sys

from frameworkkit.executor import Executor
from frameworkkit.protocol.messages import TaskInfo


class CrashingExecutor(Executor):
    """Raises in ``launch`` for "boom"; reports TASK_FINISHED itself for the other tasks."""

    def launch(self, task: TaskInfo) -> None:
        if task.name == "boom":
            raise RuntimeError(f"the launch hook crashed on task {task.name}")
        self.send_status(task.task_id.value, "TASK_FINISHED", f"{task.name} done")


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    raise SystemExit(CrashingExecutor().run())
