"""The Executor base class, driven through the FakeAgent unit-test seam."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest

from frameworkkit.executor import Executor, ExecutorEnvironment
from frameworkkit.protocol.messages import TaskInfo

from .conftest import MakeEnvironment, running, until
from .fake_agent import FakeAgent, task_info

pytestmark = pytest.mark.timeout(60)


class Recording(Executor):
    """Runs scripted async tasks: each task's data names what its launch hook does."""

    def __init__(self, environment: ExecutorEnvironment, agent: FakeAgent) -> None:
        super().__init__(environment, agent_api=agent)
        self.release = asyncio.Event()
        self.cancelled: list[str] = []
        self.messages: list[bytes] = []
        self.acknowledged_states: list[tuple[str, str]] = []

    async def launch(self, task: TaskInfo) -> None:
        script = (task.data or b"finish").decode()
        task_id = task.task_id.value
        if script == "crash":
            raise RuntimeError(f"no input for {task_id}")
        if script == "report":
            self.send_status(task_id, "TASK_RUNNING", "halfway", data=b"\x00progress")
            self.send_framework_message(b"hello from " + task_id.encode())
        if script == "wait":
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.append(task_id)
                raise

    async def framework_message(self, data: bytes) -> None:
        self.messages.append(data)

    async def acknowledged(self, task_id: str, state: str) -> None:
        self.acknowledged_states.append((task_id, state))


def scripted(task_id: str, script: str) -> dict[str, object]:
    return {**task_info(task_id), "data": base64.b64encode(script.encode()).decode()}


async def test_a_returning_launch_hook_reports_running_then_finished(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent):
        agent.launch(scripted("t1", "finish"))
        await agent.wait_for_state("t1", "TASK_FINISHED")
        await agent.wait_for(lambda: executor.acknowledged_states, "acknowledgements")
    assert agent.states("t1") == ["TASK_RUNNING", "TASK_FINISHED"]
    status = agent.final_status("t1")
    assert status["source"] == "SOURCE_EXECUTOR"
    assert status["executor_id"] == {"value": "executor-1"}
    assert ("t1", "TASK_FINISHED") in executor.acknowledged_states


async def test_a_crashing_launch_hook_fails_only_its_task(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent) as run:
        agent.launch(scripted("waits", "wait"))
        agent.launch(scripted("crashes", "crash"))
        failed = await agent.wait_for_state("crashes", "TASK_FAILED")
        assert failed["message"] == "RuntimeError: no input for crashes"
        assert not run.done()
        assert set(executor.running_tasks) == {"waits"}
        executor.release.set()
        await agent.wait_for_state("waits", "TASK_FINISHED")


async def test_status_data_and_framework_messages_reach_the_agent(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent):
        agent.launch(scripted("t1", "report"))
        await agent.wait_for_state("t1", "TASK_FINISHED")
        await agent.wait_for(lambda: agent.messages(), "a framework message")
    halfway = agent.statuses("t1")[1]
    assert halfway["message"] == "halfway"
    assert halfway["data"] == "AHByb2dyZXNz"  # base64 of b"\x00progress"
    assert agent.messages() == [b"hello from t1"]


async def test_messages_from_the_scheduler_reach_the_hook(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent):
        agent.message(b"\x01\x02 work")
        await asyncio.wait_for(until(lambda: executor.messages), 10)
    assert executor.messages == [b"\x01\x02 work"]


async def test_kill_cancels_an_async_launch_hook_and_reports_killed(
    make_environment: MakeEnvironment,
) -> None:
    agent = FakeAgent(capabilities=["TASK_KILLING_STATE"])
    executor = Recording(make_environment(), agent)
    async with running(executor, agent):
        agent.launch(scripted("victim", "wait"))
        agent.launch(scripted("bystander", "wait"))
        await agent.wait_for_state("victim", "TASK_RUNNING")
        agent.kill("victim")
        await agent.wait_for_state("victim", "TASK_KILLED")
        assert agent.states("victim") == ["TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]
        assert executor.cancelled == ["victim"]
        assert set(executor.running_tasks) == {"bystander"}


async def test_no_task_killing_state_unless_the_framework_opted_in(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent):
        agent.launch(scripted("victim", "wait"))
        await agent.wait_for_state("victim", "TASK_RUNNING")
        agent.kill("victim")
        await agent.wait_for_state("victim", "TASK_KILLED")
    assert agent.states("victim") == ["TASK_RUNNING", "TASK_KILLED"]


async def test_plain_launch_hooks_run_in_threads(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    loop_thread = threading.current_thread()
    hook_threads: list[threading.Thread] = []

    class Blocking(Executor):
        def launch(self, task: TaskInfo) -> None:
            hook_threads.append(threading.current_thread())
            self.send_status(task.task_id.value, "TASK_RUNNING", "from a thread")

    executor = Blocking(make_environment(), agent_api=agent)
    async with running(executor, agent):
        agent.launch(task_info("t1"))
        await agent.wait_for_state("t1", "TASK_FINISHED")
    assert hook_threads and hook_threads[0] is not loop_thread
    assert [s.get("message") for s in agent.statuses("t1")] == [None, "from a thread", None]


async def test_a_plain_kill_hook_stops_a_plain_launch_hook(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    class Blocking(Executor):
        def __init__(self, environment: ExecutorEnvironment, agent: FakeAgent) -> None:
            super().__init__(environment, agent_api=agent)
            self.stop_flags: dict[str, threading.Event] = {}

        def launch(self, task: TaskInfo) -> None:
            flag = self.stop_flags[task.task_id.value] = threading.Event()
            flag.wait(30)

        def kill(self, task_id: str, grace_period: float) -> None:
            self.stop_flags[task_id].set()

    executor = Blocking(make_environment(), agent)
    async with running(executor, agent):
        agent.launch(task_info("t1"))
        await agent.wait_for_state("t1", "TASK_RUNNING")
        await asyncio.wait_for(until(lambda: "t1" in executor.stop_flags), 10)
        agent.kill("t1")
        await agent.wait_for_state("t1", "TASK_KILLED")
    assert agent.states("t1") == ["TASK_RUNNING", "TASK_KILLED"]


async def test_shutdown_kills_every_task_and_run_returns_zero(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    async with running(executor, agent) as run:
        for n in range(3):
            agent.launch(scripted(f"t{n}", "wait"))
        await agent.wait_for(
            lambda: all(agent.states(f"t{n}") for n in range(3)), "three running tasks"
        )
        agent.shutdown()
        assert await asyncio.wait_for(run, 10) == 0
    assert sorted(executor.cancelled) == ["t0", "t1", "t2"]
    assert all(agent.states(f"t{n}")[-1] == "TASK_KILLED" for n in range(3))
    assert agent.closed


async def test_updates_after_the_terminal_one_are_dropped(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    class Chatty(Executor):
        async def launch(self, task: TaskInfo) -> None:
            self.send_status(task.task_id.value, "TASK_FAILED", "gave up")
            self.send_status(task.task_id.value, "TASK_RUNNING", "too late")

    executor = Chatty(make_environment(), agent_api=agent)
    async with running(executor, agent):
        agent.launch(task_info("t1"))
        await agent.wait_for_state("t1", "TASK_FAILED")
        agent.launch(task_info("t2"))  # anything after t1's updates shows they were all sent
        await agent.wait_for_state("t2", "TASK_FAILED")
    assert agent.states("t1") == ["TASK_RUNNING", "TASK_FAILED"]


async def test_bad_arguments_fail_at_the_call(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Recording(make_environment(), agent)
    with pytest.raises(RuntimeError, match="not running"):
        executor.send_status("t1", "TASK_RUNNING")
    async with running(executor, agent):
        with pytest.raises(ValueError, match="state"):
            executor.send_status("t1", "TASK_SLEEPING")
        with pytest.raises(TypeError, match="data"):
            executor.send_status("t1", "TASK_RUNNING", data="text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="data"):
            executor.send_framework_message("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="environment"):
        Recording("env", agent)  # type: ignore[arg-type]


def test_run_blocks_until_the_executor_ends(make_environment: MakeEnvironment) -> None:
    class OneShot(Executor):
        async def subscribed(self, info: object) -> None:
            self.stop()

        async def launch(self, task: TaskInfo) -> None:
            raise AssertionError("no task is launched")

    agent_api = FakeAgent()
    assert OneShot(make_environment(), agent_api=agent_api).run() == 0
    assert len(agent_api.subscribes) == 1
