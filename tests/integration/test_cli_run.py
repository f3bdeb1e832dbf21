"""`frameworkkit run` and `frameworkkit tasks` from a shell, on real Mesos."""

import json
from pathlib import Path

from frameworkkit.testing import EmbeddedCluster
from tests.integration.test_cli import frameworkkit


def names_in_mesos(cluster: EmbeddedCluster, key: str) -> list[str]:
    return [f["name"] for f in cluster.state()[key]]


def test_run_submits_n_tasks_shows_progress_and_ends_its_framework(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    index, count = "$FRAMEWORKKIT_TASK_INDEX", "$FRAMEWORKKIT_TASK_COUNT"
    command = f'echo "{index} of {count}" > "out-{index}"'
    result = frameworkkit(
        "run", "--master", mesos_cluster.url, "-n", "4", "--cpus", "0.2", "--mem", "16",
        "--name", "cli-fanout", "--timeout", "180", "--", f"cd {tmp_path} && {command}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "4/4" in result.stderr  # the progress bar's last state
    assert "4 of 4 tasks finished" in result.stderr
    outputs = {p.name: p.read_text().strip() for p in tmp_path.glob("out-*")}
    assert outputs == {f"out-{i}": f"{i} of 4" for i in range(4)}
    assert "cli-fanout" not in names_in_mesos(mesos_cluster, "frameworks")  # ended, not kept


def test_a_failed_task_gives_a_non_zero_status_and_tasks_lists_its_attempts(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    result = frameworkkit(
        "run", "--master", mesos_cluster.url, "-n", "3", "--retries", "1", "--name", "cli-fail",
        "--state-dir", str(state), "--timeout", "180", "--",
        "test $FRAMEWORKKIT_TASK_INDEX != 1",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "cli-fail-1 failed for good" in result.stderr
    assert "2 of 3 tasks finished" in result.stderr

    listed = frameworkkit("tasks", str(state), "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert {n: (r["state"], r["attempts"]) for n, r in rows.items()} == {
        "cli-fail-0": ("TASK_FINISHED", 1),
        "cli-fail-1": ("TASK_FAILED", 2),  # one retry
        "cli-fail-2": ("TASK_FINISHED", 1),
    }
    assert all(row["host"] and row["agent_id"] for row in rows.values())
    table = frameworkkit("tasks", str(state)).stdout.splitlines()
    assert table[0].split() == ["NAME", "STATE", "ATTEMPTS", "HOST"]
    assert table[2].split()[:3] == ["cli-fail-1", "TASK_FAILED", "2"]
    missing = frameworkkit("tasks", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "no framework state" in missing.stderr


def test_a_run_with_a_state_dir_stopped_by_its_timeout_is_resumed_running_each_task_once(
    mesos_cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    state, release = tmp_path / "state", tmp_path / "release"
    # task 2 waits for the release file, so the first run cannot finish
    command = (
        f"echo $FRAMEWORKKIT_TASK_ID >> {tmp_path}/ran-$FRAMEWORKKIT_TASK_INDEX; "
        f"if [ $FRAMEWORKKIT_TASK_INDEX = 2 ]; then "
        f"while [ ! -e {release} ]; do sleep 0.2; done; fi"
    )
    args = ["run", "--master", mesos_cluster.url, "-n", "3", "--name", "cli-resume"]
    args += ["--state-dir", str(state), "-q"]
    first = frameworkkit(*args, "--timeout", "8", "--", command)
    assert first.returncode == 124, first.stderr
    assert "cli-resume-2" in first.stderr  # the timeout names what was not done
    assert "cli-resume" in names_in_mesos(mesos_cluster, "frameworks")  # kept to fail over
    during = {
        r["name"]: r["state"]
        for r in json.loads(frameworkkit("tasks", str(state), "--json").stdout)
    }
    assert during["cli-resume-2"] != "TASK_FINISHED"

    release.touch()
    second = frameworkkit(*args, "--timeout", "180", "--", command)
    assert second.returncode == 0, second.stderr
    assert second.stderr == ""  # -q
    ran = {p.name: p.read_text().split() for p in tmp_path.glob("ran-*")}
    assert sorted(ran) == ["ran-0", "ran-1", "ran-2"]
    assert all(len(ids) == 1 for ids in ran.values()), ran  # nothing ran twice
    assert "cli-resume" not in names_in_mesos(mesos_cluster, "frameworks")
