"""Subscription, resubscription and reliable updates, driven through the FakeAgent seam."""

from __future__ import annotations

import asyncio

import pytest

from frameworkkit.executor import Executor, ExecutorEnvironment
from frameworkkit.protocol.messages import TaskInfo

from .conftest import MakeEnvironment, running, until
from .fake_agent import FakeAgent, task_info

pytestmark = pytest.mark.timeout(60)


class Waiting(Executor):
    """Each task reports TASK_RUNNING and waits for ``release`` before it finishes."""

    def __init__(self, environment: ExecutorEnvironment, agent: FakeAgent) -> None:
        super().__init__(environment, agent_api=agent)
        self.release = asyncio.Event()
        self.disconnections = 0

    async def launch(self, task: TaskInfo) -> None:
        await self.release.wait()

    async def disconnected(self) -> None:
        self.disconnections += 1


def carried(subscribe: dict[str, object]) -> tuple[list[tuple[str, str]], list[str]]:
    """(task id, state) of the updates and the task ids a SUBSCRIBE carries."""
    body = subscribe["subscribe"]
    assert isinstance(body, dict)
    updates = [
        (u["status"]["task_id"]["value"], u["status"]["state"])
        for u in body.get("unacknowledged_updates", [])
    ]
    tasks = [t["task_id"]["value"] for t in body.get("unacknowledged_tasks", [])]
    return updates, tasks


async def test_the_first_subscribe_carries_nothing(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Waiting(make_environment(), agent)
    async with running(executor, agent):
        pass
    assert carried(agent.subscribes[0]) == ([], [])
    assert agent.subscribes[0]["executor_id"] == {"value": "executor-1"}
    assert agent.subscribes[0]["framework_id"] == {"value": "framework-1"}


async def test_unacknowledged_updates_and_tasks_are_resent_on_resubscribe(
    make_environment: MakeEnvironment,
) -> None:
    agent = FakeAgent(auto_acknowledge=False)
    executor = Waiting(make_environment(checkpoint=True, recovery_timeout=30.0), agent)
    async with running(executor, agent):
        agent.launch(task_info("t1"))
        running_update = await agent.wait_for_state("t1", "TASK_RUNNING")
        agent.disconnect()
        await agent.wait_for(lambda: len(agent.subscribes) == 2, "a second SUBSCRIBE")
        assert carried(agent.subscribes[1]) == ([("t1", "TASK_RUNNING")], ["t1"])
        resent = agent.subscribes[1]["subscribe"]["unacknowledged_updates"][0]["status"]
        assert resent["uuid"] == running_update["uuid"]
        assert executor.disconnections == 1
        assert agent.stream is not None  # subscribed again; the executor runs on
        assert set(executor.running_tasks) == {"t1"}


async def test_an_acknowledgement_removes_the_update_and_its_task(
    make_environment: MakeEnvironment,
) -> None:
    agent = FakeAgent(auto_acknowledge=False)
    executor = Waiting(make_environment(checkpoint=True, recovery_timeout=30.0), agent)
    async with running(executor, agent):
        agent.launch(task_info("acked"))
        agent.launch(task_info("pending"))
        acked = await agent.wait_for_state("acked", "TASK_RUNNING")
        await agent.wait_for_state("pending", "TASK_RUNNING")
        agent.acknowledge(acked)
        executor.release.set()
        await agent.wait_for_state("acked", "TASK_FINISHED")
        await agent.wait_for_state("pending", "TASK_FINISHED")
        agent.disconnect()
        await agent.wait_for(lambda: len(agent.subscribes) == 2, "a second SUBSCRIBE")
    updates, tasks = carried(agent.subscribes[1])
    assert updates == [
        ("pending", "TASK_RUNNING"),
        ("acked", "TASK_FINISHED"),
        ("pending", "TASK_FINISHED"),
    ]
    assert tasks == ["pending"]


async def test_updates_made_while_disconnected_go_with_the_next_subscribe(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Waiting(make_environment(checkpoint=True, recovery_timeout=30.0), agent)
    async with running(executor, agent):
        agent.launch(task_info("t1"))
        await agent.wait_for_state("t1", "TASK_RUNNING")
        agent.disconnect(reachable=False)
        await agent.wait_for(lambda: len(agent.subscribes) >= 3, "failed resubscriptions")
        executor.release.set()
        await asyncio.wait_for(until(lambda: not executor.running_tasks), 10)
        agent.reachable = True
        await agent.wait_for(lambda: agent.stream is not None, "a new subscription")
    last = agent.subscribes[-1]
    assert carried(last) == ([("t1", "TASK_FINISHED")], [])
    assert agent.states("t1") == ["TASK_RUNNING"]  # never posted: SUBSCRIBE carried it


async def test_without_checkpointing_a_lost_agent_ends_the_executor(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Waiting(make_environment(checkpoint=False), agent)
    async with running(executor, agent) as run:
        agent.launch(task_info("t1"))
        await agent.wait_for_state("t1", "TASK_RUNNING")
        agent.disconnect()
        assert await asyncio.wait_for(run, 10) == 1
    assert len(agent.subscribes) == 1
    assert executor.running_tasks == {}


async def test_with_checkpointing_the_executor_gives_up_after_the_recovery_timeout(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    executor = Waiting(make_environment(checkpoint=True, recovery_timeout=0.3), agent)
    async with running(executor, agent) as run:
        agent.disconnect(reachable=False)
        assert await asyncio.wait_for(run, 10) == 1
    assert len(agent.subscribes) > 2  # it kept trying in between


async def test_an_unreachable_agent_at_start_is_retried(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    agent.reachable = False
    executor = Waiting(make_environment(), agent)
    run = asyncio.create_task(executor.run_async())
    await agent.wait_for(lambda: len(agent.subscribes) >= 3, "retried subscriptions")
    agent.reachable = True
    await agent.wait_for(lambda: agent.stream is not None, "a subscription")
    executor.stop()
    assert await asyncio.wait_for(run, 10) == 0


async def test_an_agent_that_refuses_the_executors_credentials_ends_it_at_once(
    make_environment: MakeEnvironment, agent: FakeAgent
) -> None:
    agent.refuse_status = 401
    executor = Waiting(make_environment(), agent)
    assert await asyncio.wait_for(executor.run_async(), 10) == 1
    assert len(agent.subscribes) == 1  # a refused token is not tried again
