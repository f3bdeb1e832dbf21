"""The executors' start stays light: what their imports load, checked in fresh interpreters.

An agent starts an executor per command task; each module on the way costs CPU on every task
(see bench/executor_start_bench.py for the numbers). These guards fail when a change pulls a
heavy module back onto the path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import frameworkkit
from frameworkkit.executor.command import command_line

pytestmark = pytest.mark.timeout(120)

NEVER = ("httpx", "numpy", "prometheus_client", "kazoo", "tqdm", "docker")
NEVER_OURS = ("frameworkkit.scheduler", "frameworkkit.placement", "frameworkkit.compat")
NOT_ON_THE_COMMAND_PATH = ("asyncio", "msgspec", "logging", "typing", "pathlib", "ssl", "uuid")


ROOT = str(Path(frameworkkit.__file__).parents[1])


def loaded(statement: str, *, isolated: bool) -> set[str]:
    """The modules loaded after ``statement`` in a new interpreter: with ``-I -S`` and only
    frameworkkit's directory on the path if ``isolated`` (as :func:`command_line` starts the
    command executor), else as a user's ``python`` would."""
    flags = ["-I", "-S"] if isolated else []
    script = f"import json, sys; sys.path.insert(0, {ROOT!r}); {statement}; "
    script += "print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, *flags, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(result.stdout))


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names or m.startswith(names))


def test_the_command_executor_loads_the_standard_library_and_itself_only() -> None:
    modules = loaded("import frameworkkit.executor.command", isolated=True)
    assert heavy(modules, NEVER + NEVER_OURS + NOT_ON_THE_COMMAND_PATH) == []
    assert "frameworkkit.executor.command" in modules


def test_a_users_executor_loads_no_scheduler_and_no_httpx() -> None:
    modules = loaded("from frameworkkit.executor import Executor", isolated=False)
    assert heavy(modules, NEVER + NEVER_OURS) == []
    assert "frameworkkit.executor.base" in modules


def test_the_package_alone_loads_nothing_heavy() -> None:
    modules = loaded("import frameworkkit.executor", isolated=True)
    assert heavy(modules, NEVER + NEVER_OURS + NOT_ON_THE_COMMAND_PATH) == []
    assert "frameworkkit.executor.base" not in modules


def test_the_quick_command_line_runs_without_site_packages() -> None:
    result = subprocess.run(
        f"{command_line(multi_task=True)} --help",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--multi_task" in result.stdout
    assert " -I -S " in command_line() and command_line(multi_task=True).endswith("--multi_task")
