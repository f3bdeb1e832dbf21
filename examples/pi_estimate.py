"""Estimate π with Monte Carlo tasks packed onto a real Mesos cluster.

With no ``--master`` it starts an embedded real Mesos 1.11 cluster (``--agents`` agents) for the
run and stops it afterwards. Each task samples points in the unit square and writes how many fell
inside the quarter circle; the framework adds them up as tasks finish.

    python examples/pi_estimate.py --tasks 40 --samples 400000
    python examples/pi_estimate.py --master http://127.0.0.1:5050
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import logging
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

from tqdm import tqdm

from frameworkkit import Framework, Task, TaskSpec
from frameworkkit.testing import EmbeddedCluster, free_port

SAMPLER = (
    "import random, sys; seed, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]; "
    "rng = random.Random(seed); "
    "hits = sum(1 for _ in range(n) if rng.random() ** 2 + rng.random() ** 2 <= 1.0); "
    "open(out, 'w').write(str(hits))"
)


class PiEstimate(Framework):
    """Adds up the hits each finished task wrote to the shared results directory."""

    name = "pi-estimate"

    def __init__(self, master: str, results: Path, bar: tqdm[NoReturn], **kwargs: object) -> None:
        super().__init__(master, **kwargs)  # type: ignore[arg-type]
        self.results = results
        self.bar = bar
        self.hits = 0
        self.samples = 0
        self.placements: collections.Counter[str] = collections.Counter()

    def on_task_finished(self, task: Task) -> None:
        self.hits += int((self.results / task.name).read_text())
        self.samples += int(task.spec.labels["samples"])
        self.placements[task.agent_id or "?"] += 1
        self.bar.update(1)
        self.bar.set_postfix(pi=f"{4 * self.hits / self.samples:.5f}")

    def on_task_failed(self, task: Task) -> None:
        self.bar.write(f"{task.name} failed for good: {task.message}")


@contextlib.contextmanager
def cluster_for(master: str | None, agents: int) -> Iterator[str]:
    if master:
        yield master
        return
    print(f"starting an embedded Mesos 1.11 cluster with {agents} agents ...", file=sys.stderr)
    with EmbeddedCluster(agents=agents, port=free_port(), progress=True) as cluster:
        print(f"master {cluster.url} (Mesos {cluster.version()})", file=sys.stderr)
        yield cluster.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", help="a running master; default: an embedded cluster")
    parser.add_argument("--agents", type=int, default=10, help="embedded cluster size")
    parser.add_argument("--tasks", type=int, default=40, help="number of tasks")
    parser.add_argument("--samples", type=int, default=400_000, help="samples per task")
    parser.add_argument("--cpus", type=float, default=0.5, help="cpus per task")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    with cluster_for(args.master, args.agents) as master, tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        results.mkdir()
        bar = tqdm(total=args.tasks, desc="tasks finished", unit="task")
        fw = PiEstimate(master, results, bar, state_dir=Path(tmp) / "state")
        fw.submit_many(
            TaskSpec(
                name=f"pi-{i}",
                command=[
                    sys.executable,
                    "-c",
                    SAMPLER,
                    str(i),
                    str(args.samples),
                    str(results / f"pi-{i}"),
                ],
                cpus=args.cpus,
                mem=64,
                max_retries=2,
                labels={"samples": str(args.samples)},
            )
            for i in range(args.tasks)
        )
        started = time.monotonic()
        fw.run(until="idle", timeout=600, teardown=True)
        bar.close()
        elapsed = time.monotonic() - started

    done = sum(fw.placements.values())
    estimate = 4 * fw.hits / max(fw.samples, 1)
    print(f"\nπ ≈ {estimate:.6f} (error {abs(estimate - math.pi):.6f}) from {fw.samples:,} samples")
    print(f"{done}/{args.tasks} tasks finished in {elapsed:.1f} s on {len(fw.placements)} agents")
    for agent, count in sorted(fw.placements.items()):
        print(f"  agent …{agent[-6:]}: {'#' * count} {count}")
    return 0 if done == args.tasks else 1


if __name__ == "__main__":
    sys.exit(main())
