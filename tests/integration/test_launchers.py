"""The Spark-style and Storm-style examples on real Mesos, each losing workers mid-run: their
output is checked against counts computed here, independently, from the same input."""

from __future__ import annotations

import collections
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

from frameworkkit.testing import EmbeddedCluster, free_port
from tests.integration.command_lines import CommandLines

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TIMEOUT = 240  # seconds for a whole run on a busy machine


def ranked(counts: collections.Counter[str]) -> str:
    """Counts as the examples write them: by count, most first, then by word."""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "".join(f"{word}\t{count}\n" for word, count in rows)


def test_spark_style_wordcount_loses_an_executor_and_still_counts_right(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    book, output = tmp_path / "book.txt", tmp_path / "counts.tsv"
    make_text = EXAMPLES / "spark_style" / "make_text.py"
    subprocess.run([sys.executable, make_text, "--megabytes", "2", book], check=True)
    job = CommandLines(
        [
            sys.executable,
            str(EXAMPLES / "spark_style" / "wordcount.py"),
            *("--master", mesos_cluster.url, "--input", str(book), "--output", str(output)),
            *("--executor-cores", "1", "--cores-max", "3", "--executor-memory", "256"),
            *("--block-size", "64k", "--partitions", "4", "--timeout", str(TIMEOUT), "-v"),
        ],
        stderr=tmp_path / "stderr",
    )
    pids: dict[str, int] = {}
    while True:  # until an executor holds a map output: the one to kill
        line = job.expect(r"registered: .*\(pid (\d+)\)|finished task map-\d+ on (\S+)", TIMEOUT)
        if line[1]:
            pids[line.string.split()[1]] = int(line[1])
        else:
            victim = line[2]
            break
    # Freeze the driver while the executor dies, so that the job is mid-way for sure: that
    # executor holds a map output, which only a rerun elsewhere can replace.
    os.kill(job.process.pid, signal.SIGSTOP)
    try:
        os.kill(pids[victim], signal.SIGKILL)
    finally:
        os.kill(job.process.pid, signal.SIGCONT)
    job.expect(rf"executor {victim} lost \(TASK_FAILED", TIMEOUT)
    stage = job.expect(r"stage 0 \(map\): \d+ tasks, (\d+) rerun", TIMEOUT)
    assert int(stage[1]) >= 1
    job.expect(r"stage 1 \(reduce\): 4 tasks", TIMEOUT)
    summary = job.expect(r"job done in .* (\d+) executors started, 1 lost", TIMEOUT)
    assert job.finish(TIMEOUT) == 0, job.output()
    text = book.read_text(encoding="utf-8")
    assert output.read_text(encoding="utf-8") == ranked(
        collections.Counter(re.findall(r"\w+", text.lower()))
    )
    assert int(summary[1]) >= 3 and "top 10 words:" in job.lines


def test_storm_style_topology_loses_workers_and_still_counts_every_word_once(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(EXAMPLES / "storm_style"))
    try:
        from sentences import sentences
        from topology import SEED
    finally:
        sys.path.remove(str(EXAMPLES / "storm_style"))
    first = random.randrange(33000, 60000, 100)  # ports of their own: agents share 127.0.0.1
    resources = f"cpus:2;mem:4096;disk:1024;ports:[{first}-{first + 99}]"
    output, count = tmp_path / "counts.tsv", 1200
    with EmbeddedCluster(agents=6, port=free_port(), resources=resources) as cluster:
        run = CommandLines(
            [
                sys.executable,
                str(EXAMPLES / "storm_style" / "topology.py"),
                *("--master", cluster.url, "--sentences", str(count), "--output", str(output)),
                *("--worker-cpus", "0.5", "--worker-mem", "256", "--rate", "150"),
                *("--message-timeout", "4", "--timeout", str(TIMEOUT)),
            ],
            stderr=tmp_path / "stderr",
        )
        # The spout emits at most 150 sentences a second, so each pass over the stream lasts
        # 8 s at least, and each kill below lands in the pass it follows the start of.
        pids: dict[str, str] = {}
        while len(pids) < 2:
            started = run.expect(r"worker (count-0|split-0) running .*\(pid (\d+)\)", TIMEOUT)
            pids[started[1]] = started[2]
        run.expect(r"acked [1-9]\d*/\d+ sentences \(epoch 0\)", TIMEOUT)
        os.kill(int(pids["count-0"]), signal.SIGKILL)  # its counts are gone with it:
        run.expect(r"worker count-0 died \(TASK_FAILED", TIMEOUT)  # the pass cannot end
        again = run.expect(r"worker count-0 running .*\(pid (\d+)\)", TIMEOUT)  # new slot
        assert again[1] != pids["count-0"]
        run.expect(r"count-0's state was lost: replaying the stream from its start", TIMEOUT)
        run.expect(r"acked [1-9]\d*/\d+ sentences \(epoch 1\)", TIMEOUT)
        os.kill(int(pids["split-0"]), signal.SIGKILL)  # its tuples are replayed, late
        run.expect(r"worker split-0 died \(TASK_FAILED", TIMEOUT)
        status = run.finish(TIMEOUT)
    assert status == 0, run.output()
    assert run.lines[-1] == f"processed={count}"
    expected = collections.Counter(w for line in sentences(count, SEED) for w in line.split())
    assert output.read_text(encoding="utf-8") == ranked(expected)
    assert any(re.search(r"5 workers, [12] restarted, epoch 1$", line) for line in run.lines)
