"""A word count run the way Spark runs jobs on Mesos in coarse-grained mode.

The driver is a frameworkkit ``Framework``. It acquires long-lived executors from offers as
Spark does (see ``coarse_backend.py``): each is a process of its own (``spark_executor.py``, an
``Executor`` subclass, one per Mesos task) holding its cores and memory for the whole job. The
driver sends them units of work as framework messages: a map stage of one unit per block of
the input, a shuffle through the executors' block servers, a reduce stage. An executor lost
takes its work with it and that work runs again elsewhere; at the end the executors are told
to stop, given a grace period, then killed.

    python examples/spark_style/wordcount.py --master http://127.0.0.1:5050 \\
        --input book.txt --output counts.tsv --executor-cores 1 --cores-max 4

The input must be readable at the same path on the agents (a shared or local file system), as
Spark reads from HDFS; so must this directory, for the executor program.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coarse_backend import REFUSE_SECONDS, Constraints, ExecutorPlanner, executor_memory_mb
from tqdm import tqdm
from wordcount_job import STAGE_NAMES, JobFailed, WordCountJob

from frameworkkit import Constraint, Framework, PackedExecutor, Task, TaskSpec, TaskState
from frameworkkit.protocol.messages import Offer, TaskStatus

EXECUTOR_PROGRAM = Path(__file__).with_name("spark_executor.py")
EXECUTOR_OWN_MB = 32.0  # the executor process's own share, beside its task's
TOP_WORDS = 10


def say(text: str) -> None:
    """A line on stdout that leaves the progress bar (on stderr) intact."""
    tqdm.write(text, file=sys.stdout)
    sys.stdout.flush()


@dataclass
class SparkExecutor:
    """One executor of the job: its task and, once registered, where it serves blocks."""

    name: str
    agent_id: str
    cores: int
    task: Task
    host: str = ""
    port: int = 0
    running: set[str] = field(default_factory=set)  # units sent and not answered
    ended: bool = False

    @property
    def registered(self) -> bool:
        return bool(self.port) and not self.ended


class WordCountDriver(Framework):
    """Acquires executors from offers and runs a :class:`WordCountJob` on them."""

    name = "spark-style-wordcount"

    def __init__(
        self,
        master: str,
        job: WordCountJob,
        planner: ExecutorPlanner,
        input_path: Path,
        *,
        verbose: bool = False,
        **kwargs: Any,
    ) -> None:
        executor = PackedExecutor(
            command=f'"{sys.executable}" "{EXECUTOR_PROGRAM}"',
            commands=False,
            per_task=True,
            cpus=0.0,
            mem=EXECUTOR_OWN_MB,
        )
        # Spark's defaults: the driver's executors go as soon as it does; offers it cannot
        # use are declined with Mesos's default filter
        super().__init__(
            master,
            executor=executor,
            failover_timeout=0.0,
            decline_seconds=5.0,
            unfit_decline_seconds=5.0,
            **kwargs,
        )
        self.job, self.planner, self.input_path, self.verbose = job, planner, input_path, verbose
        self.executors: dict[str, SparkExecutor] = {}
        self.by_mesos_id: dict[str, SparkExecutor] = {}
        self.finished = asyncio.Event()
        self.failure: JobFailed | None = None
        self.lost = 0
        self.stopping = False
        self.created = time.monotonic()
        self.dispatch_timer: asyncio.TimerHandle | None = None
        self.bar = tqdm(total=job.total_units, desc="stage 0 (map)", unit="task", file=sys.stderr)

    # ---- executors: from offers, registration, end ----------------------------------------

    async def screen_offers(self, offers: list[Offer]) -> dict[str, float]:
        if self.stopping:
            return {offer.id.value: REFUSE_SECONDS for offer in offers}
        waiting = frozenset(
            e.agent_id for e in self.executors.values() if e.task.state is TaskState.PENDING
        )
        plan = self.planner.plan(offers, waiting)
        for offer, cores in plan.launches:
            self.start_executor(offer.agent_id.value, cores)
        return plan.refusals

    def start_executor(self, agent_id: str, cores: int) -> None:
        name = f"executor-{len(self.executors)}"
        task = self.submit(
            TaskSpec(
                name=name,
                cpus=cores,
                mem=self.planner.memory_mb - EXECUTOR_OWN_MB,
                data=json.dumps({"name": name}).encode(),
                constraints=(Constraint("@agent_id", "IS", agent_id),),
                max_retries=0,  # the driver replaces lost executors itself, from new offers
                max_relaunches=0,
            )
        )
        self.executors[name] = SparkExecutor(name, agent_id, cores, task)

    async def on_task_update(self, task: Task, status: TaskStatus) -> None:
        executor = self.executors.get(task.name)
        if executor is None:
            return
        if status.state == "TASK_RUNNING" and status.data and not executor.port:
            address = json.loads(status.data)
            executor.host, executor.port = address["host"], address["port"]
            self.by_mesos_id[task.executor_id or ""] = executor
            say(
                f"executor {executor.name} registered: {executor.cores} cores on agent "
                f"{executor.agent_id} at {executor.host}:{executor.port} (pid {address['pid']})"
            )
            self.dispatch()
        elif task.done and not executor.ended:
            self.executor_ended(executor, task)

    def _wait_over(self) -> None:
        self.dispatch_timer = None
        self.dispatch()

    def executor_ended(self, executor: SparkExecutor, task: Task) -> None:
        executor.ended = True
        failed = task.state not in (TaskState.TASK_FINISHED, TaskState.TASK_KILLED)
        self.planner.ended(executor.agent_id, executor.cores, failed=failed)
        if self.stopping:
            return
        self.lost += 1
        reruns = self.job.reruns
        self.job.executor_lost(executor.name)
        executor.running.clear()
        note = "" if self.planner.usable(executor.agent_id) else "; agent no longer used"
        say(
            f"executor {executor.name} lost ({task.state.value}: {task.message}); "
            f"{self.job.reruns - reruns} tasks to run again{note}"
        )
        self.revive()  # as Spark does: the offers it refused while at its cap come back
        self.dispatch()

    # ---- units of work --------------------------------------------------------------------

    def dispatch(self) -> None:
        """Send waiting units to executors with free cores, spreading them evenly, once enough
        of them registered (see :meth:`ExecutorPlanner.dispatch_wait`)."""
        registered = sum(e.cores for e in self.executors.values() if e.registered)
        wait = self.planner.dispatch_wait(registered, time.monotonic() - self.created)
        if wait:
            if self.dispatch_timer is None:
                self.dispatch_timer = asyncio.get_running_loop().call_later(wait, self._wait_over)
            return
        while True:
            free = [e for e in self.executors.values() if e.registered and len(e.running) < e.cores]
            if not free:
                return
            executor = min(free, key=lambda e: (len(e.running), e.name))
            unit = self.job.next_unit()
            if unit is None:
                return
            self.job.started(unit, executor.name, time.monotonic())
            executor.running.add(unit.name)
            message: dict[str, Any] = {"op": "run", "unit": unit.name, "index": unit.index}
            if unit.stage == 0:
                start, end = self.job.blocks[unit.index]
                message |= {"kind": "map", "input": str(self.input_path), "start": start}
                message |= {"end": end, "partitions": self.job.partitions}
            else:
                holders = self.job.map_outputs.items()
                maps = [[m, h, self.executors[h].host, self.executors[h].port] for m, h in holders]
                message |= {"kind": "reduce", "maps": maps}
            task = executor.task
            self.send_message(
                task.agent_id or "", task.executor_id or "", json.dumps(message).encode()
            )

    async def on_message(self, agent_id: str, executor_id: str, data: bytes) -> None:
        executor = self.by_mesos_id.get(executor_id)
        if executor is None or executor.ended:
            return
        answer = json.loads(data)
        unit, now = answer["unit"], time.monotonic()
        executor.running.discard(unit)
        try:
            self.record(executor.name, unit, answer, now)
        except JobFailed as failed:
            self.failure = failed
            self.finished.set()
            return
        stage = int(len(self.job.map_outputs) == len(self.job.blocks))
        self.bar.set_description(f"stage {stage} ({STAGE_NAMES[stage]})", refresh=False)
        self.bar.update(self.job.completed_units - self.bar.n)
        if self.job.done:
            self.finished.set()
        else:
            self.dispatch()

    def record(self, executor: str, unit: str, answer: dict[str, Any], now: float) -> None:
        """Apply an executor's answer about ``unit`` to the job."""
        op = answer["op"]
        if op == "done" and unit.startswith("map"):
            accepted = self.job.map_finished(unit, executor, now)
        elif op == "done":
            accepted = self.job.reduce_finished(unit, executor, answer["counts"], now)
        elif op == "fetch_failed":
            self.job.fetch_failed(unit, executor, answer["map"], answer["holder"])
            say(f"task {unit} on {executor} could not fetch map {answer['map']}'s output")
            return
        else:
            self.job.unit_failed(unit, executor, answer["error"])
            say(f"task {unit} failed on {executor}: {answer['error']}")
            return
        if accepted and self.verbose:
            done, total = self.job.completed_units, self.job.total_units
            say(f"finished task {unit} on {executor} ({done}/{total})")

    # ---- the end ----------------------------------------------------------------------------

    async def release_executors(self, grace: float) -> int:
        """Tell every executor to stop, wait up to ``grace`` seconds; return how many had to
        be killed (the framework's end kills them)."""
        self.stopping = True
        for executor in self.executors.values():
            task = executor.task
            if executor.registered:
                self.send_message(task.agent_id or "", task.executor_id or "", b'{"op": "stop"}')
            elif not task.done:
                self.kill(task)
        waits = [e.task.wait() for e in self.executors.values() if not e.task.done]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), grace)
        return sum(not e.task.done for e in self.executors.values())


def counts_of(job: WordCountJob) -> list[tuple[str, int]]:
    """Every word and its count, most frequent first, then by word."""
    merged: dict[str, int] = {}
    for partition in job.results.values():
        merged.update(partition)  # partitions hold disjoint words
    return sorted(merged.items(), key=lambda item: (-item[1], item[0]))


async def run_driver(
    driver: WordCountDriver, timeout: float, shutdown_timeout: float
) -> int | None:
    """Run ``driver`` until its job is done or has failed, give its executors
    ``shutdown_timeout`` seconds to stop and end the framework; return how many executors had
    to be killed, or None when the framework ended first. Raises why it ended (a timeout, a
    refusal)."""
    runner = asyncio.ensure_future(driver.run_async("forever", timeout=timeout, teardown=True))
    finished = asyncio.ensure_future(driver.finished.wait())
    await asyncio.wait({runner, finished}, return_when=asyncio.FIRST_COMPLETED)
    if runner.done():
        finished.cancel()
        runner.result()
        return None
    killed = await driver.release_executors(shutdown_timeout)
    driver.stop(teardown=True)
    await runner
    return killed


async def run_job(args: argparse.Namespace, planner: ExecutorPlanner) -> int:
    job = WordCountJob(args.input.stat().st_size, args.block_size, args.partitions)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wordcount-") as state:
        driver = WordCountDriver(
            args.master,
            job,
            planner,
            args.input.resolve(),
            verbose=args.verbose,
            role=args.role,
            state_dir=state,
        )
        try:
            killed = await run_driver(driver, args.timeout, args.shutdown_timeout)
        finally:
            driver.bar.close()
    if killed is None:
        return 1
    if killed:
        say(f"{killed} executors did not stop within {args.shutdown_timeout:g} s: killed")
    if driver.failure is not None:
        say(f"job failed: {driver.failure}")
        return 1
    counts = counts_of(job)
    with open(args.output, "w", encoding="utf-8") as out:
        out.writelines(f"{word}\t{count}\n" for word, count in counts)
    report(job, counts, driver, time.monotonic() - started, args.output)
    return 0


def report(
    job: WordCountJob,
    counts: list[tuple[str, int]],
    driver: WordCountDriver,
    seconds: float,
    output: Path,
) -> None:
    say(f"top {min(TOP_WORDS, len(counts))} words:")
    width = max((len(word) for word, _ in counts[:TOP_WORDS]), default=0)
    for word, count in counts[:TOP_WORDS]:
        say(f"  {word:<{width}}  {count:>10,}")
    for stage, timing in enumerate(job.timings):
        units = len(job.blocks) if stage == 0 else job.partitions
        extra = f", {timing.runs - units} rerun" if timing.runs > units else ""
        say(f"stage {stage} ({STAGE_NAMES[stage]}): {units} tasks{extra} in {timing.seconds:.2f} s")
    say(
        f"job done in {seconds:.1f} s: {len(driver.executors)} executors started, "
        f"{driver.lost} lost; {sum(c for _, c in counts):,} words, {len(counts):,} distinct "
        f"-> {output}"
    )


def sized(units: dict[str, int], examples: str) -> Callable[[str], int]:
    """A parser of sizes such as ``64k``: a whole number, times the unit its suffix names."""

    def parse(text: str) -> int:
        number, scale = text, 1
        if text[-1:].lower() in units:
            number, scale = text[:-1], units[text[-1:].lower()]
        if not number.isdigit() or int(number) < 1:
            raise argparse.ArgumentTypeError(f"a size such as {examples}, got {text!r}")
        return int(number) * scale

    return parse


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, got {text!r}")
    return int(text)


def ratio(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share from 0 to 1, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, ExecutorPlanner]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--master", required=True, help="a Mesos master URL, list or zk:// URL")
    parser.add_argument("--input", type=Path, required=True, help="the text to count")
    parser.add_argument("--output", type=Path, required=True, help="word<TAB>count lines go here")
    parser.add_argument(
        "--executor-cores",
        type=positive,
        help="cores per executor (default: all the whole cpus of its offer)",
    )
    parser.add_argument(
        "--executor-memory",
        type=sized({"m": 1, "g": 1024}, "1024, 512m or 1g"),
        default=1024,
        help="memory per executor, MB or 1g (default 1g; Mesos gets max(10%%, 384 MB) more)",
    )
    parser.add_argument("--cores-max", type=positive, help="cores in all (default: no cap)")
    parser.add_argument(
        "--min-registered-ratio",
        type=ratio,
        default=0.0,
        help="share of --cores-max registered before work is handed out (default 0)",
    )
    parser.add_argument(
        "--max-registered-wait",
        type=float,
        default=30.0,
        help="seconds to wait for that share at most (default 30)",
    )
    parser.add_argument("--constraints", default="", help="agent attributes, 'attr:v1,v2;attr2:v'")
    parser.add_argument(
        "--block-size",
        type=sized({"k": 1 << 10, "m": 1 << 20}, "4096, 64k or 1m"),
        default=1 << 20,
        help="bytes of input per map task (default 1m)",
    )
    parser.add_argument(
        "--partitions", type=positive, default=0, help="reduce tasks (default: one per map task)"
    )
    parser.add_argument("--role", default="*", help="the Mesos role (default *)")
    parser.add_argument(
        "--shutdown-timeout",
        type=float,
        default=10.0,
        help="seconds executors get to stop at the end (default 10)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after (seconds)")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line per finished task")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        parser.error(f"--input: no file at {args.input}")
    try:
        constraints = Constraints.parse(args.constraints)
    except ValueError as error:
        parser.error(f"--{error}")
    planner = ExecutorPlanner(
        memory_mb=executor_memory_mb(args.executor_memory) + EXECUTOR_OWN_MB,
        executor_cores=args.executor_cores,
        cores_max=args.cores_max,
        constraints=constraints,
        min_registered_ratio=args.min_registered_ratio,
        registered_wait=args.max_registered_wait,
    )
    return args, planner


def main(argv: Sequence[str] | None = None) -> int:
    args, planner = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(run_job(args, planner))
    except (TimeoutError, asyncio.TimeoutError) as error:
        print(f"wordcount: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
