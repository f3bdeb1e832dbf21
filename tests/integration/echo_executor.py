"""A user's own executor, for the data round trip test: it answers each task's data.

Run as ``python echo_executor.py``: each task's ``data`` comes back to the scheduler twice, as a
framework message (``got:<data>``) and reversed in the data of the TASK_FINISHED update.
"""

from frameworkkit.executor import Executor
from frameworkkit.protocol.messages import TaskInfo


class Echo(Executor):
    report_running = True

    async def launch(self, task: TaskInfo) -> None:
        data = task.data or b""
        self.send_framework_message(b"got:" + data)
        self.send_status(task.task_id.value, "TASK_FINISHED", data=data[::-1])


if __name__ == "__main__":
    raise SystemExit(Echo().run())
