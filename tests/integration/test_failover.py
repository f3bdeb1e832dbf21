"""A scheduler killed with SIGKILL mid-run and started again loses nothing and repeats nothing."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from frameworkkit.scheduler.store import FileStateStore
from frameworkkit.testing import EmbeddedCluster

SCRIPT = Path(__file__).with_name("crashable_scheduler.py")


def scheduler(master: str, state: Path, markers: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), master, str(state), str(markers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_a_script_killed_and_run_again_unchanged_runs_each_task_once_and_ends_clean(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    state, markers = tmp_path / "state", tmp_path / "markers"
    markers.mkdir()
    first = scheduler(mesos_cluster.url, state, markers)
    journal = state / "journal.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (
        journal.exists() and b"TASK_FINISHED" in journal.read_bytes()
    ):
        assert first.poll() is None, first.communicate()
        time.sleep(0.1)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    before = FileStateStore(state).load()
    assert before.framework_id
    assert any(t.state != "TASK_FINISHED" for t in before.tasks), "killed too late to matter"

    second = scheduler(mesos_cluster.url, state, markers)
    out, err = second.communicate(timeout=170)
    assert second.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["subscribed_as"] == [before.framework_id]
    assert result["states"] == {f"part-{i}": "TASK_FINISHED" for i in range(30)}
    runs = {p.name: p.read_text().split() for p in markers.iterdir()}
    assert sorted(runs) == sorted(f"part-{i}" for i in range(30))
    assert all(len(lines) == 1 for lines in runs.values()), runs
    # the batch ended clean: its framework is over in Mesos, nothing of it runs
    cluster_state = mesos_cluster.state()
    assert not any(f["id"] == before.framework_id for f in cluster_state["frameworks"])
    ended = [f for f in cluster_state["completed_frameworks"] if f["id"] == before.framework_id]
    assert ended and ended[0]["executors"] == [] and ended[0]["tasks"] == []
    assert FileStateStore(state).load().framework_id is None
