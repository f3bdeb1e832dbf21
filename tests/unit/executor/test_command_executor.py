"""The command executor with real processes, driven through the FakeAgent unit-test seam."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from frameworkkit.executor import CommandExecutor
from frameworkkit.executor.command import main, parse_arguments

from .conftest import MakeEnvironment, running, until
from .fake_agent import FakeAgent, task_info

pytestmark = pytest.mark.timeout(90)

HEALTH_REASON = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"


def command_health_check(command: str, *, consecutive_failures: int = 2) -> dict[str, object]:
    return {
        "type": "COMMAND",
        "command": {"value": command},
        "delay_seconds": 0,
        "interval_seconds": 0.05,
        "timeout_seconds": 5,
        "consecutive_failures": consecutive_failures,
        "grace_period_seconds": 0,
    }


@pytest.mark.parametrize(
    ("command", "state", "message"),
    [
        ("exit 0", "TASK_FINISHED", "Command exited with status 0"),
        ("exit 3", "TASK_FAILED", "Command exited with status 3"),
        ("kill -KILL $$", "TASK_FAILED", "Command terminated with signal Killed"),
    ],
)
async def test_a_single_task_reports_its_end_and_the_executor_exits(
    make_environment: MakeEnvironment, agent: FakeAgent, command: str, state: str, message: str
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    async with running(executor, agent) as run:
        agent.launch(task_info("t1", command))
        assert await asyncio.wait_for(run, 20) == 0  # exits once the last update is acknowledged
    assert agent.states("t1") == ["TASK_STARTING", "TASK_RUNNING", state]
    assert agent.final_status("t1")["message"] == message


async def test_a_single_task_executor_refuses_a_second_task(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    async with running(executor, agent) as run:
        agent.launch(task_info("first", "sleep 0.5; exit 4"))
        await agent.wait_for_state("first", "TASK_RUNNING")
        agent.launch(task_info("second", "exit 0"))
        failed = await agent.wait_for_state("second", "TASK_FAILED")
        assert await asyncio.wait_for(run, 20) == 0  # after the first task's end
    assert failed["message"] == 'Attempted to run multiple tasks using a "command" executor'
    assert agent.states("first") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    assert agent.final_status("first")["message"] == "Command exited with status 4"


async def test_multi_task_output_argv_and_environment(
    make_environment: MakeEnvironment, agent: FakeAgent, tmp_path: Path
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    script = 'echo "$GREETING from $MESOS_ALLOCATION_ROLE"; echo oops >&2; pwd'
    async with running(executor, agent):
        agent.launch(
            task_info(
                "argv-task",
                "/bin/sh",
                arguments=["sh", "-c", script],
                environment={"GREETING": "hello"},
            )
        )
        agent.launch(task_info("shell-task", "echo shell says $0"))
        await agent.wait_for_state("argv-task", "TASK_FINISHED")
        await agent.wait_for_state("shell-task", "TASK_FINISHED")
    stdout = (tmp_path / "argv-task.stdout").read_text().splitlines()
    assert stdout == ["hello from unit-role", str(tmp_path)]
    assert (tmp_path / "argv-task.stderr").read_text() == "oops\n"
    assert (tmp_path / "shell-task.stdout").read_text() == "shell says sh\n"


async def test_fifty_tasks_launched_at_once_all_finish(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    task_ids = [f"task-{n:02d}" for n in range(50)]
    async with running(executor, agent) as run:
        for task_id in task_ids:
            agent.launch(task_info(task_id, f"exit {int(task_id[-1]) % 2}"))
        await agent.wait_for(
            lambda: all(len(agent.states(t)) == 3 for t in task_ids), "fifty ended tasks"
        )
        assert not run.done()  # a multi-task executor waits for SHUTDOWN
        agent.shutdown()
        assert await asyncio.wait_for(run, 20) == 0
    for task_id in task_ids:
        expected = "TASK_FAILED" if int(task_id[-1]) % 2 else "TASK_FINISHED"
        assert agent.states(task_id) == ["TASK_STARTING", "TASK_RUNNING", expected]


async def test_killing_one_task_leaves_the_others_running(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    async with running(executor, agent):
        for name in ("a", "b", "c"):
            agent.launch(task_info(name, "sleep 30", kill_grace_period=5))
        for name in ("a", "b", "c"):
            await agent.wait_for_state(name, "TASK_RUNNING")
        agent.kill("b")
        killed = await agent.wait_for_state("b", "TASK_KILLED")
        assert killed["message"] == "Command terminated with signal Terminated"
        assert set(executor.running_tasks) == {"a", "c"}
        assert agent.states("a") == agent.states("c") == ["TASK_STARTING", "TASK_RUNNING"]


async def test_kill_escalates_from_sigterm_to_sigkill_after_the_grace_period(
    make_environment: MakeEnvironment, agent: FakeAgent, tmp_path: Path
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    stubborn = "trap 'echo got-term >> marker' TERM; touch ready; while :; do sleep 0.05; done"
    async with running(executor, agent):
        agent.launch(task_info("stubborn", stubborn, kill_grace_period=30))
        await agent.wait_for_state("stubborn", "TASK_RUNNING")
        await asyncio.wait_for(_file_appears(tmp_path / "ready"), 10)
        agent.kill("stubborn", grace_period=0.3)  # the KILL's policy wins over the task's
        killed = await agent.wait_for_state("stubborn", "TASK_KILLED")
    assert killed["message"] == "Command terminated with signal Killed"
    assert "got-term" in (tmp_path / "marker").read_text()


async def test_a_failing_health_check_kills_the_task(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    task = task_info(
        "sick", "sleep 30", kill_grace_period=5, health_check=command_health_check("exit 1")
    )
    async with running(executor, agent) as run:
        agent.launch(task)
        await asyncio.wait_for(run, 20)
    statuses = agent.statuses("sick")
    assert [s["state"] for s in statuses] == [
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_RUNNING",
        "TASK_RUNNING",
        "TASK_KILLED",
    ]
    health_updates = statuses[2:4]
    assert all(s["healthy"] is False and s["reason"] == HEALTH_REASON for s in health_updates)
    assert statuses[-1]["healthy"] is False
    assert statuses[-1]["message"] == "Command terminated with signal Terminated"


async def test_a_passing_health_check_reports_healthy_once(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    task = task_info("fine", "sleep 1", health_check=command_health_check("true"))
    async with running(executor, agent) as run:
        agent.launch(task)
        await asyncio.wait_for(run, 20)
    statuses = agent.statuses("fine")
    assert [s["state"] for s in statuses] == [
        "TASK_STARTING",
        "TASK_RUNNING",
        "TASK_RUNNING",
        "TASK_FINISHED",
    ]
    assert statuses[2]["healthy"] is True
    assert statuses[2]["reason"] == HEALTH_REASON
    assert "healthy" not in statuses[3]


async def test_a_task_without_a_command_fails(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    async with running(executor, agent) as run:
        agent.launch(task_info("empty"))
        assert await asyncio.wait_for(run, 20) == 0
    assert agent.states("empty") == ["TASK_FAILED"]
    assert "no command" in agent.final_status("empty")["message"]


async def test_what_a_task_leaves_running_ends_with_it(
    make_environment: MakeEnvironment, agent: FakeAgent, tmp_path: Path
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    async with running(executor, agent):
        agent.launch(task_info("leaves", "sleep 30 & echo $! > background.pid"))
        await agent.wait_for_state("leaves", "TASK_FINISHED")
        background = int((tmp_path / "background.pid").read_text())
        await asyncio.wait_for(until(lambda: _gone(background)), 10)


async def test_a_task_past_its_max_completion_time_fails(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent)
    task = {**task_info("slow", "sleep 30"), "max_completion_time": {"nanoseconds": 200_000_000}}
    async with running(executor, agent) as run:
        agent.launch(task)
        await asyncio.wait_for(run, 20)
    final = agent.final_status("slow")
    assert agent.states("slow") == ["TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"]
    assert final["reason"] == "REASON_MAX_COMPLETION_TIME_REACHED"
    assert final["message"] == "Command terminated with signal Terminated"


async def test_packed_tasks_come_by_launch_group_or_with_their_command_in_data(
    make_environment: MakeEnvironment, agent: FakeAgent, tmp_path: Path
) -> None:
    executor = CommandExecutor(make_environment(), agent_api=agent, multi_task=True)
    in_data = {
        **task_info("in-data"),
        "data": base64.b64encode(json.dumps({"value": "echo from data"}).encode()).decode(),
    }
    async with running(executor, agent):
        agent.launch(in_data)
        agent.launch_group([task_info("g1", "echo one"), task_info("g2", "echo two")])
        for task_id in ("in-data", "g1", "g2"):
            await agent.wait_for_state(task_id, "TASK_FINISHED")
    assert (tmp_path / "in-data.stdout").read_text() == "from data\n"
    assert (tmp_path / "g2.stdout").read_text() == "two\n"


async def test_shutdown_ends_tasks_that_ignore_sigterm(
    make_environment: MakeEnvironment, agent: FakeAgent, tmp_path: Path
) -> None:
    environment = make_environment(shutdown_grace_period=2.5)
    executor = CommandExecutor(environment, agent_api=agent, multi_task=True)
    stubborn = "trap '' TERM; touch ready-$0; sleep 30"
    async with running(executor, agent) as run:
        agent.launch(task_info("polite", "sleep 30"))
        agent.launch(task_info("stubborn", stubborn))
        await asyncio.wait_for(_file_appears(tmp_path / "ready-sh"), 10)
        agent.shutdown()
        assert await asyncio.wait_for(run, 20) == 0
    assert agent.final_status("polite")["message"] == "Command terminated with signal Terminated"
    assert agent.final_status("stubborn")["message"] == "Command terminated with signal Killed"
    assert agent.final_status("stubborn")["state"] == "TASK_KILLED"


def test_agent_flags_are_set_apart_to_be_ignored() -> None:
    multi_task, ignored = parse_arguments(
        ["--launcher_dir=/usr/libexec/mesos", "--multi_task", "--sandbox_directory=/mnt"]
    )
    assert multi_task is True
    assert ignored == ["--launcher_dir=/usr/libexec/mesos", "--sandbox_directory=/mnt"]
    assert parse_arguments(["--launcher_dir=/x"])[0] is False
    assert parse_arguments(["--multi-task"]) == (True, [])


def test_help_says_how_to_run_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--multi_task" in capsys.readouterr().out


def test_the_module_refuses_to_start_outside_an_agent(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MESOS_")}
    result = subprocess.run(
        [sys.executable, "-m", "frameworkkit.executor", "--launcher_dir=/x"],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "MESOS_FRAMEWORK_ID" in result.stderr


def _gone(pid: int) -> bool:
    """True once ``pid`` has ended (a zombie waiting for its reaper counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


async def _file_appears(path: Path) -> None:
    while not path.exists():
        await asyncio.sleep(0.02)
