"""The examples' command lines: help, and a bad definition refused before anything connects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.examples.conftest import EXAMPLES

KEEPER, RUNNER = EXAMPLES / "service" / "keeper.py", EXAMPLES / "cron" / "runner.py"
NOWHERE = "http://127.0.0.1:1"  # never contacted: these fail first


def run(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("script", [KEEPER, RUNNER])
def test_help_says_what_it_takes(script: Path) -> None:
    shown = run(script, "--help")
    assert shown.returncode == 0 and "--master" in shown.stdout and "--state-dir" in shown.stdout


def test_the_keeper_refuses_a_bad_app_naming_the_field(tmp_path: Path) -> None:
    app = tmp_path / "app.json"
    app.write_text(json.dumps({"id": "/web", "cmd": "serve", "instances": -1}))
    options = ["--master", NOWHERE, "--app", str(app), "--state-dir", str(tmp_path / "s")]
    refused = run(KEEPER, *options, "--api-port", "1")
    assert refused.returncode == 2 and "instances: a number >= 0" in refused.stderr
    app.write_text("{not json")
    assert run(KEEPER, *options, "--api-port", "1").returncode == 2
    assert run(KEEPER, *options).returncode == 2  # --api-port missing
    assert not (tmp_path / "s").exists()


def test_the_runner_refuses_a_bad_job_naming_it_and_the_field(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps([{"name": "etl", "command": "x", "schedule": "R/soon/P1D"}]))
    options = ["--master", NOWHERE, "--jobs", str(jobs), "--state-dir", str(tmp_path / "s")]
    refused = run(RUNNER, *options)
    assert refused.returncode == 2 and "jobs[0]: schedule: start 'soon'" in refused.stderr
    assert run(RUNNER, *options[:4], "--state-dir", "x", "--run-for", "0").returncode == 2
    assert (
        run(
            RUNNER, "--master", NOWHERE, "--jobs", str(tmp_path / "none.json"), "--state-dir", "x"
        ).returncode
        == 2
    )
    assert not (tmp_path / "s").exists()
