"""A Storm-style supervisor: one executor per topology and agent, starting its worker processes.

Each worker task the nimbus launches here is one worker process (``storm_worker.py``) on the
task's port, the slot's port. The task reaches TASK_RUNNING, with the worker's address and pid
as its data, once the worker listens; it ends TASK_FINISHED when the worker stops on the
nimbus's order and TASK_FAILED when the worker dies, so that the nimbus gives the slot to a new
offer. The supervisor passes the nimbus's framework messages to its workers' stdin and their
reports (stdout lines) back as framework messages.

    python storm_supervisor.py   # started by a Mesos agent, never by hand
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from frameworkkit.executor import Executor, task_ports
from frameworkkit.protocol.messages import TaskInfo

WORKER_PROGRAM = Path(__file__).with_name("storm_worker.py")


class WorkerDied(Exception):
    """The worker process ended without being told to."""


class Supervisor(Executor):
    report_running = False  # TASK_RUNNING goes out once the worker listens

    def __init__(self) -> None:
        super().__init__()
        self.workers: dict[str, asyncio.subprocess.Process] = {}  # by worker (task) name
        self.by_task_id: dict[str, str] = {}

    async def launch(self, task: TaskInfo) -> None:
        name, port = task.name, task_ports(task)[0]
        host = self.environment.agent_host
        config = {**json.loads(task.data or b"{}"), "host": host, "port": port}
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER_PROGRAM),
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        self.workers[name], self.by_task_id[task.task_id.value] = worker, name
        try:
            assert worker.stdout is not None
            async for line in worker.stdout:
                event = json.loads(line)
                if event["event"] == "listening":
                    slot = {"host": host, "port": port, "pid": worker.pid}
                    self.send_status(
                        task.task_id.value, "TASK_RUNNING", data=json.dumps(slot).encode()
                    )
                else:
                    self.send_framework_message(json.dumps({"worker": name, **event}).encode())
            status = await worker.wait()
        finally:
            del self.workers[name], self.by_task_id[task.task_id.value]
            if worker.returncode is None:  # the launch was cancelled: the task is being killed
                worker.kill()
        if status != 0:
            raise WorkerDied(f"worker {name} ended with status {status}")

    async def kill(self, task_id: str, grace_period: float) -> None:
        worker = self.workers.get(self.by_task_id.get(task_id, ""))
        if worker is None:
            return
        worker.terminate()
        try:
            await asyncio.wait_for(worker.wait(), grace_period)
        except asyncio.TimeoutError:
            worker.kill()

    async def framework_message(self, data: bytes) -> None:
        """``{"to": "*" or [worker names], "order": {...}}`` from the nimbus."""
        message = json.loads(data)
        line = json.dumps(message["order"]).encode() + b"\n"
        for name, worker in list(self.workers.items()):
            stdin = worker.stdin if worker.returncode is None else None
            if stdin is not None and (message["to"] == "*" or name in message["to"]):
                stdin.write(line)


if __name__ == "__main__":
    raise SystemExit(Supervisor().run())
