"""A Storm-style worker process: one task of one component, tuples in and out over TCP.

The supervisor (``storm_supervisor.py``) starts it for a worker task with the task's config as
its only argument (JSON). It listens on its slot's port, one tuple per line on each connection,
and sends tuples to the other workers at the addresses of the nimbus's latest assignment, which
the supervisor writes to its stdin with the nimbus's other orders (``report``, ``stop``). It
reports to the nimbus on its stdout, one JSON object per line; EOF on stdin ends it.

    python storm_worker.py '{"component": "split", "index": 0, ...}'   # by the supervisor only
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from typing import Any

from components import SPOUT, Emit, Splitter, Spout, WordCounter
from sentences import sentences

PROGRESS_SECONDS = 0.5


def report(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


class Worker:
    """The network shell around one component."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.name = f"{config['component']}-{config['index']}"
        self.epoch = 0
        self.peers: dict[str, tuple[str, int]] = {}
        self.links: dict[str, asyncio.StreamWriter] = {}
        self.stopping = asyncio.Event()
        self.spout: Spout | None = None
        self.splitter: Splitter | None = None
        self.counter: WordCounter | None = None
        self.topology = {SPOUT}
        self.topology |= {f"split-{i}" for i in range(config["splitters"])}
        self.topology |= {f"count-{i}" for i in range(config["counters"])}
        if config["component"] == "spout":
            text = sentences(config["sentences"], config["seed"])
            self.spout = Spout(
                text, config["splitters"], config["max_pending"], config["message_timeout"]
            )
        elif config["component"] == "split":
            self.splitter = Splitter(config["counters"])
        else:
            self.counter = WordCounter()

    async def run(self) -> None:
        server = await asyncio.start_server(self.serve, self.config["host"], self.config["port"])
        report({"event": "listening"})
        work = [asyncio.ensure_future(self.read_orders())]
        if self.spout is not None:
            work.append(asyncio.ensure_future(self.pump(self.spout)))
        async with server:
            await self.stopping.wait()
        for job in work:
            job.cancel()
        for link in self.links.values():
            link.close()

    # ---- orders from the nimbus, through the supervisor --------------------------------------

    async def read_orders(self) -> None:
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        async for line in reader:
            self.obey(json.loads(line))
        self.stopping.set()  # the supervisor is gone

    def obey(self, order: dict[str, Any]) -> None:
        if order["op"] == "assign":
            peers = {name: (host, port) for name, (host, port) in order["workers"].items()}
            for name, link in list(self.links.items()):
                if peers.get(name) != self.peers.get(name):
                    link.close()
                    del self.links[name]
            self.peers = peers
            if self.spout is not None and order["epoch"] != self.spout.epoch:
                self.spout.rewind(order["epoch"])
            self.epoch = order["epoch"]
        elif order["op"] == "report" and self.counter is not None:
            report({"event": "counts", "epoch": self.epoch, "counts": self.counter.counts})
        elif order["op"] == "stop":
            self.stopping.set()

    # ---- tuples -------------------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async for line in reader:
                await self.receive(json.loads(line))
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def receive(self, tuple_: dict[str, Any]) -> None:
        if tuple_["t"] == "ack" and self.spout is not None:
            self.spout.ack(tuple_["root"], tuple_["x"])
        elif tuple_["t"] == "sentence" and self.splitter is not None:
            await self.send_all(self.splitter.receive(tuple_))
        elif tuple_["t"] == "word" and self.counter is not None:
            await self.send_all(self.counter.receive(tuple_))

    async def send_all(self, emits: list[Emit]) -> None:
        for target, tuple_ in emits:
            await self.send(target, tuple_)

    async def send(self, target: str, tuple_: dict[str, Any]) -> None:
        """Send a tuple, or drop it when its target cannot be reached: the spout replays the
        sentence once its tree times out."""
        if target == self.name == SPOUT and self.spout is not None:
            self.spout.ack(tuple_["root"], tuple_["x"])
            return
        link = self.links.get(target)
        if link is None or link.is_closing():
            link = await self.connect(target)
        if link is None:
            return
        try:
            link.write(json.dumps(tuple_).encode() + b"\n")
            await link.drain()
        except ConnectionError:
            link.close()
            self.links.pop(target, None)

    async def connect(self, target: str) -> asyncio.StreamWriter | None:
        address = self.peers.get(target)
        if address is None:
            return None
        try:
            _, link = await asyncio.open_connection(*address)
        except OSError:
            return None
        if target in self.links:  # another send connected meanwhile: keep one link
            link.close()
            return self.links[target]
        self.links[target] = link
        return link

    async def pump(self, spout: Spout) -> None:
        """Emit sentences (at most ``rate`` a second), replay late ones, report progress."""
        rate = self.config["rate"]
        last_progress = 0.0
        while True:
            now = time.monotonic()
            spout.expire(now)
            ready = self.topology <= self.peers.keys()  # every worker has a slot
            emit = spout.emit(now) if ready else None
            if emit is not None:
                await self.send(*emit)
            if now - last_progress >= PROGRESS_SECONDS:  # repeated: a report may be lost
                last_progress = now
                event = "complete" if spout.complete else "progress"
                report({"event": event, "epoch": spout.epoch, "acked": len(spout.acked)})
            if emit is None:
                await asyncio.sleep(0.01)  # nothing due: wait for acks or the timeout
            else:
                await asyncio.sleep(1 / rate if rate else 0)


def main() -> int:
    worker = Worker(json.loads(sys.argv[1]))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(worker.run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
