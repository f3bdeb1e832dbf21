"""A Spark-style executor: one process per executor, running units of work for its driver.

The agent starts it for one task, the executor's lease on its cores and memory. It serves its
map outputs (shuffle blocks) on a port of its own choosing, as Spark's block managers do unless
configured otherwise, registers with the driver by reporting that address in its TASK_RUNNING
update, then runs each unit the driver sends as a framework message
and answers with another. A ``stop`` message ends the task; once the agent has the task's last
update, the process exits.

    python spark_executor.py   # started by a Mesos agent, never by hand
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from wordcount_ops import block_name, map_block, merge_blocks

from frameworkkit.executor import Executor
from frameworkkit.protocol.messages import TaskInfo

FETCH_TIMEOUT = 60.0  # seconds for one shuffle block, as a network timeout


class FetchFailed(Exception):
    """A map output could not be fetched from the executor said to hold it."""

    def __init__(self, map_index: int, holder: str) -> None:
        super().__init__(f"map output {map_index} unavailable on {holder}")
        self.map_index, self.holder = map_index, holder


class SparkStyleExecutor(Executor):
    report_running = False  # TASK_RUNNING goes out once the block server listens

    def __init__(self) -> None:
        super().__init__()
        self.name = ""
        self.blocks: dict[str, bytes] = {}
        self.units: set[asyncio.Task[None]] = set()
        self.stopping: asyncio.Event | None = None

    async def launch(self, task: TaskInfo) -> None:
        self.name = json.loads(task.data or b"{}")["name"]
        self.stopping = asyncio.Event()
        host = self.environment.agent_host
        server = await asyncio.start_server(self.serve_block, host, 0)
        port = server.sockets[0].getsockname()[1]
        address = {"host": host, "port": port, "pid": os.getpid()}
        self.send_status(task.task_id.value, "TASK_RUNNING", data=json.dumps(address).encode())
        async with server:
            await self.stopping.wait()

    async def framework_message(self, data: bytes) -> None:
        message = json.loads(data)
        if message["op"] == "stop" and self.stopping is not None:
            self.stopping.set()
        elif message["op"] == "run":
            unit = asyncio.ensure_future(self.run_unit(message))
            self.units.add(unit)
            unit.add_done_callback(self.units.discard)

    async def acknowledged(self, task_id: str, state: str) -> None:
        if state == "TASK_FINISHED":  # the driver let this executor go
            self.stop()

    async def run_unit(self, message: dict[str, Any]) -> None:
        answer: dict[str, Any] = {"op": "done", "unit": message["unit"]}
        try:
            if message["kind"] == "map":
                blocks = await asyncio.to_thread(
                    map_block,
                    message["input"],
                    message["start"],
                    message["end"],
                    message["partitions"],
                )
                for partition, block in enumerate(blocks):
                    self.blocks[block_name(message["index"], partition)] = block
            else:
                fetched = await asyncio.gather(
                    *(
                        fetch(m, h, host, port, message["index"])
                        for m, h, host, port in message["maps"]
                    )
                )
                answer["counts"] = await asyncio.to_thread(merge_blocks, fetched)
        except FetchFailed as failed:
            answer = {
                **answer,
                "op": "fetch_failed",
                "map": failed.map_index,
                "holder": failed.holder,
            }
        except Exception as error:
            answer = {**answer, "op": "failed", "error": f"{type(error).__name__}: {error}"}
        self.send_framework_message(json.dumps(answer).encode())

    async def serve_block(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request per connection: a block's name in, ``+`` and its bytes (or ``-``) out."""
        try:
            name = (await reader.readline()).decode().strip()
            block = self.blocks.get(name)
            writer.write(b"-" if block is None else b"+" + block)
            await writer.drain()
        finally:
            writer.close()


async def fetch(map_index: int, holder: str, host: str, port: int, partition: int) -> bytes:
    """The shuffle block of ``partition`` from map ``map_index``'s output on ``holder``."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), FETCH_TIMEOUT)
        try:
            writer.write(f"{block_name(map_index, partition)}\n".encode())
            await writer.drain()
            reply = await asyncio.wait_for(reader.read(), FETCH_TIMEOUT)
        finally:
            writer.close()
    except (OSError, asyncio.TimeoutError) as error:
        raise FetchFailed(map_index, holder) from error
    if not reply.startswith(b"+"):
        raise FetchFailed(map_index, holder)
    return reply[1:]


if __name__ == "__main__":
    raise SystemExit(SparkStyleExecutor().run())
