"""A word count topology run the way Storm runs topologies on Mesos.

The nimbus is a frameworkkit ``Framework``. A slot is an agent plus one port from its offer:
the nimbus picks each worker's port from the offered ports, the same for no two workers, and
launches each worker as a task sized ``--worker-cpus``/``--worker-mem`` on the topology's
supervisor executor of that agent (``storm_supervisor.py``, one per agent, 0.1 cpu and 500 MB
of its own), spreading the workers over the agents. The spout sends sentences to split
workers, which send words to count workers by word; every tuple is acknowledged to the spout,
which replays a sentence whose tuples are not all acknowledged in time, and the count workers
count each word of a sentence once (see ``components.py``). A worker that dies loses its
slot: its task goes to the next offer and the topology goes on; a count or spout worker's
state dies with it, so the spout then replays the stream from its start.

    python examples/storm_style/topology.py --master http://127.0.0.1:5050 \\
        --sentences 2000 --output counts.tsv

The last line printed is ``processed=N``. The workers reach each other at their agents'
addresses, which on one machine (an embedded cluster) are 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from frameworkkit import Constraint, Framework, PackedExecutor, Task, TaskSpec, TaskState
from frameworkkit.protocol.messages import Offer, TaskStatus

SUPERVISOR_PROGRAM = Path(__file__).with_name("storm_supervisor.py")
SUPERVISOR_CPUS, SUPERVISOR_MEM = 0.1, 500.0  # mesos/storm's executor defaults
WORKER_RESTARTS = 5
REFRESH_SECONDS = 1.0  # how often the nimbus repeats its assignment (workers refresh theirs)
SEED = 7


@dataclass
class Slot:
    """Where a worker runs: its agent and the port from that agent's offer."""

    task: Task
    host: str = ""
    port: int = 0


class Nimbus(Framework):
    """Launches the topology's workers on slots and keeps them assigned until it is done."""

    name = "storm-style-topology"

    def __init__(self, master: str, args: argparse.Namespace, **kwargs: Any) -> None:
        supervisor = PackedExecutor(
            executor_id=f"supervisor-{args.topology}",
            command=f'"{sys.executable}" "{SUPERVISOR_PROGRAM}"',
            commands=False,
            cpus=SUPERVISOR_CPUS,
            mem=SUPERVISOR_MEM,
        )
        super().__init__(master, executor=supervisor, **kwargs)
        self.args = args
        self.workers = ["spout-0"] + [f"split-{i}" for i in range(args.splitters)]
        self.workers += [f"count-{i}" for i in range(args.counters)]
        self.slots: dict[str, Slot] = {}
        self.epoch = 0
        self.counts: dict[str, dict[str, int]] = {}  # count worker -> its counts, this epoch
        self.collecting = False
        self.processed = 0
        self.next_mark = 0  # the next tenth of the sentences acked to print a line at
        self.done = asyncio.Event()
        self.failure: str | None = None
        self.bar = tqdm(total=args.sentences, desc="sentences acked", unit="sentence")

    # ---- slots ------------------------------------------------------------------------------

    async def screen_offers(self, offers: list[Offer]) -> None:
        """Pick the workers' ports from the first offers that all have enough of them."""
        if self.slots:
            return
        common = set.intersection(*(offered_ports(offer) for offer in offers))
        if len(common) < len(self.workers):
            return
        ports = random.Random(self.args.topology).sample(sorted(common), len(self.workers))
        for worker, port in zip(self.workers, ports, strict=True):
            component, index = worker.split("-")
            config = {**self.worker_config(), "component": component, "index": int(index)}
            spec = TaskSpec(
                name=worker,
                cpus=self.args.worker_cpus,
                mem=self.args.worker_mem,
                ports=[port],
                constraints=(Constraint("@agent_id", "GROUP_BY"),),  # spread over agents
                data=json.dumps(config).encode(),
                max_retries=WORKER_RESTARTS,
            )
            self.slots[worker] = Slot(self.submit(spec))
        self.tell(f"topology {self.args.topology}: workers {', '.join(self.workers)}")

    def tell(self, text: str) -> None:
        """A line on stdout, under the progress bar (on stderr)."""
        self.bar.write(text, file=sys.stdout)
        sys.stdout.flush()

    def worker_config(self) -> dict[str, Any]:
        args = self.args
        return {
            "sentences": args.sentences,
            "seed": SEED,
            "splitters": args.splitters,
            "counters": args.counters,
            "max_pending": args.max_pending,
            "message_timeout": args.message_timeout,
            "rate": args.rate,
        }

    async def on_task_update(self, task: Task, status: TaskStatus) -> None:
        slot = self.slots.get(task.name)
        if slot is None or self.done.is_set():
            return
        if status.state == "TASK_RUNNING" and status.data:
            address = json.loads(status.data)
            slot.host, slot.port = address["host"], address["port"]
            self.tell(
                f"worker {task.name} running on agent {task.agent_id} at "
                f"{slot.host}:{slot.port} (pid {address['pid']})"
            )
            if task.attempts > 1 and not task.name.startswith("split"):
                self.rewind(f"{task.name}'s state was lost")
            self.assign()
        elif task.state is TaskState.PENDING and slot.port:  # died; a retry follows
            slot.port = 0
            self.tell(
                f"worker {task.name} died ({status.state}: {status.message}); reassigning its slot"
            )
            self.assign()
        elif task.done and task.state is not TaskState.TASK_FINISHED and not self.done.is_set():
            self.failure = f"worker {task.name} ended {task.state.value}: {task.message}"
            self.done.set()

    def rewind(self, why: str) -> None:
        self.epoch += 1
        self.counts.clear()
        self.collecting, self.next_mark = False, 0
        self.tell(f"{why}: replaying the stream from its start (epoch {self.epoch})")

    # ---- orders to the workers, reports from them -------------------------------------------

    def order(self, to: str | list[str], order: dict[str, Any]) -> None:
        """Send ``order`` to the named workers (``*``: all) through their supervisors."""
        agents = {s.task.agent_id for s in self.slots.values() if s.port and s.task.agent_id}
        data = json.dumps({"to": to, "order": order}).encode()
        for agent_id in agents:
            self.send_message(agent_id, f"supervisor-{self.args.topology}", data)

    def assign(self) -> None:
        workers = {name: [s.host, s.port] for name, s in self.slots.items() if s.port}
        self.order("*", {"op": "assign", "epoch": self.epoch, "workers": workers})
        if self.collecting:
            self.order([n for n in self.workers if n.startswith("count")], {"op": "report"})

    async def refresh(self) -> None:
        """Repeat the assignment (and any pending request) now and then: messages may be lost."""
        while not self.done.is_set():
            await asyncio.sleep(REFRESH_SECONDS)
            if any(slot.port for slot in self.slots.values()):
                self.assign()

    async def on_message(self, agent_id: str, executor_id: str, data: bytes) -> None:
        event = json.loads(data)
        if event.get("epoch") != self.epoch or self.done.is_set():
            return
        if event["event"] in ("progress", "complete"):
            acked, total = event["acked"], self.args.sentences
            self.bar.update(acked - self.bar.n)
            if acked >= self.next_mark:
                self.next_mark = (acked * 10 // total + 1) * total / 10
                self.tell(f"acked {acked}/{total} sentences (epoch {self.epoch})")
            if event["event"] == "complete" and not self.collecting:
                self.processed, self.collecting = event["acked"], True
                self.tell(f"all {self.processed} sentences acked; collecting the counts")
                self.assign()
        elif event["event"] == "counts" and self.collecting:
            self.counts[event["worker"]] = event["counts"]
            if len(self.counts) == self.args.counters:
                self.done.set()

    async def stop_workers(self, grace: float) -> None:
        """Tell every worker to stop and wait up to ``grace`` seconds for their tasks to end."""
        self.order("*", {"op": "stop"})
        waits = [slot.task.wait() for slot in self.slots.values() if not slot.task.done]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), grace)


def offered_ports(offer: Offer) -> set[int]:
    return {
        port
        for resource in offer.resources
        if resource.name == "ports" and resource.ranges is not None
        for span in resource.ranges.range
        for port in range(span.begin, span.end + 1)
    }


async def run_topology(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="topology-") as state:
        nimbus = Nimbus(args.master, args, role=args.role, state_dir=state)
        runner = asyncio.ensure_future(
            nimbus.run_async("forever", timeout=args.timeout, teardown=True)
        )
        refresher = asyncio.ensure_future(nimbus.refresh())
        done = asyncio.ensure_future(nimbus.done.wait())
        await asyncio.wait({runner, done}, return_when=asyncio.FIRST_COMPLETED)
        refresher.cancel()
        if not runner.done():
            await nimbus.stop_workers(args.shutdown_timeout)
            nimbus.stop(teardown=True)
        await runner  # raises why the framework ended early (a timeout, a refusal)
        nimbus.bar.close()
    if nimbus.failure is not None:
        nimbus.tell(f"topology failed: {nimbus.failure}")
        return 1
    counts: dict[str, int] = {}
    for partition in nimbus.counts.values():
        counts.update(partition)  # count workers hold disjoint words
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    with open(args.output, "w", encoding="utf-8") as out:
        out.writelines(f"{word}\t{count}\n" for word, count in ranked)
    restarts = sum(slot.task.attempts - 1 for slot in nimbus.slots.values())
    nimbus.tell(
        f"{sum(counts.values()):,} words ({len(counts)} distinct) -> {args.output}; "
        f"{len(nimbus.workers)} workers, {restarts} restarted, epoch {nimbus.epoch}"
    )
    nimbus.tell(f"processed={nimbus.processed}")
    return 0


def at_least(minimum: float, kind: type[int] | type[float] = int) -> Any:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"a number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"at least {minimum:g}, got {text}")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add = parser.add_argument
    add("--master", required=True, help="a Mesos master URL, list or zk:// URL")
    add("--sentences", type=at_least(1), required=True, help="how many sentences to count")
    add("--output", type=Path, required=True, help="word<TAB>count lines go here")
    add("--topology", default="wordcount", help="the topology's name (default wordcount)")
    add("--worker-cpus", type=at_least(0.01, float), default=1.0, help="per worker (default 1)")
    add("--worker-mem", type=at_least(32, float), default=1000.0, help="MB per worker (1000)")
    add("--splitters", type=at_least(1), default=2, help="split workers (default 2)")
    add("--counters", type=at_least(1), default=2, help="count workers (default 2)")
    add("--max-pending", type=at_least(1), default=200, help="sentences in flight (200)")
    add("--message-timeout", type=at_least(0.1, float), default=30.0,
        help="seconds before an unacknowledged sentence is replayed (default 30)")  # fmt: skip
    add("--rate", type=at_least(0, float), default=0.0,
        help="sentences a second the spout emits at most (default 0: no limit)")  # fmt: skip
    add("--role", default="*", help="the Mesos role (default *)")
    add("--shutdown-timeout", type=at_least(0, float), default=10.0,
        help="seconds workers get to stop at the end (default 10)")  # fmt: skip
    add("--timeout", type=at_least(1, float), default=600.0, help="give up after (seconds)")
    args = parser.parse_args(argv)
    if not args.topology.replace("-", "").isalnum():
        parser.error(f"--topology: letters, digits and '-', got {args.topology!r}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_topology(args))
    except (TimeoutError, asyncio.TimeoutError) as error:
        print(f"topology: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
