"""B4: short tasks on an embedded real Mesos cluster, from submit to all finished.

Submits N ``true`` tasks at once to a fresh embedded cluster and reports the wall time until all
finished, tasks per second and submit-to-TASK_RUNNING latency percentiles, for two ways to run
them measured in the same run:

* ``packed``: one frameworkkit command executor per agent runs many tasks (PackedExecutor,
  spread over every agent), first while the executors start (a cold batch), then with them
  running (a warm batch);
* ``per-task``: the baseline, one executor process per task (what a command task costs).

    python bench/launch_bench.py                  # 1000 tasks / 100 agents packed, 200 per-task
    python bench/launch_bench.py --quick          # a small run for CI
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from dataclasses import dataclass

from frameworkkit import Framework, Task, TaskSpec
from frameworkkit.scheduler import PackedExecutor
from frameworkkit.testing import EmbeddedCluster, free_port


@dataclass
class Result:
    mode: str
    tasks: int
    agents: int
    seconds: float
    finished: int
    p50: float
    p99: float

    def row(self) -> str:
        rate = self.finished / self.seconds
        return (
            f"| {self.mode} | {self.tasks} | {self.agents} | {self.seconds:.1f} | {rate:.0f} | "
            f"{self.p50:.2f} | {self.p99:.2f} | {self.finished}/{self.tasks} |"
        )


class Timed(Framework):
    name = "launch-bench"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.running_at: dict[str, float] = {}

    def on_task_running(self, task: Task) -> None:
        self.running_at.setdefault(task.key, time.monotonic())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def batch(fw: Timed, mode: str, tasks: int, agents: int, *, last: bool) -> Result:
    """Submit ``tasks`` new tasks at once and run until all are done."""
    started = time.monotonic()
    first = len(fw.tasks)  # a task's name is its key: each batch has names of its own
    handles = fw.submit_many(
        TaskSpec(name=f"b4-{first + i}", command="true", cpus=0.01, mem=8) for i in range(tasks)
    )
    fw.run(timeout=900, teardown=last)
    seconds = time.monotonic() - started
    latencies = [fw.running_at[h.key] - started for h in handles if h.key in fw.running_at]
    finished = sum(h.state.value == "TASK_FINISHED" for h in handles)
    return Result(
        mode,
        tasks,
        agents,
        seconds,
        finished,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
    )


def run(mode: str, tasks: int, agents: int) -> list[Result]:
    """Packed: a cold batch (executors start) then a warm one (they run); per-task: one batch."""
    with (
        EmbeddedCluster(agents=agents, port=free_port()) as cluster,
        tempfile.TemporaryDirectory() as state,
    ):
        if mode == "per-task":
            return [batch(Timed(cluster.url, state_dir=state), mode, tasks, agents, last=True)]
        fw = Timed(
            cluster.url,
            state_dir=state,
            executor=PackedExecutor(cpus=0.1, mem=64),
            strategy="spread",
        )
        return [
            batch(fw, "packed, executors starting", tasks, agents, last=False),
            batch(fw, "packed, executors running", tasks, agents, last=True),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--baseline-tasks", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="100 tasks on 10 agents")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.agents, args.baseline_tasks = 100, 10, 50
    logging.basicConfig(level=logging.WARNING)
    results = [
        *run("packed", args.tasks, args.agents),
        *run("per-task", args.baseline_tasks, args.agents),
    ]
    print(
        "| mode | tasks | agents | seconds | tasks/s | p50 to RUNNING (s) | "
        "p99 to RUNNING (s) | finished |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for result in results:
        print(result.row())
    packed, baseline = results[0], results[-1]
    speedup = (packed.finished / packed.seconds) / (baseline.finished / baseline.seconds)
    print(f"\npacked runs {speedup:.1f}x the tasks per second of one executor per task")


if __name__ == "__main__":
    main()
