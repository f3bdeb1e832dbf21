"""A scheduler written as for pymesos runs on frameworkkit.compat against real Mesos."""

from __future__ import annotations

import getpass
import threading
import uuid
from typing import Any

import pytest

from frameworkkit.compat import DriverStatus, MesosSchedulerDriver, Scheduler
from frameworkkit.testing import EmbeddedCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

TASKS = 5
TASK_CPUS = 0.1
TASK_MEM = 32.0
FINISH_WAIT_SECONDS = 90.0


class HelloScheduler(Scheduler):
    """Launches `TASKS` ``echo hello`` tasks, one offer at a time, and stops when all finished."""

    def __init__(self) -> None:
        self.launched = 0
        self.states: dict[str, list[str]] = {}
        self.finished = threading.Event()
        self.registered_as: str | None = None

    def registered(self, driver: Any, framework_id: Any, master_info: Any) -> None:
        self.registered_as = framework_id["value"]

    def resourceOffers(self, driver: Any, offers: Any) -> None:
        for offer in offers:
            cpus = self.scalar(offer["resources"], "cpus")
            mem = self.scalar(offer["resources"], "mem")
            tasks = []
            while self.launched < TASKS and cpus >= TASK_CPUS and mem >= TASK_MEM:
                task_id = str(uuid.uuid4())
                tasks.append(
                    {
                        "task_id": {"value": task_id},
                        "agent_id": {"value": offer["agent_id"]["value"]},
                        "name": f"hello {task_id}",
                        "resources": [
                            {"name": "cpus", "type": "SCALAR", "scalar": {"value": TASK_CPUS}},
                            {"name": "mem", "type": "SCALAR", "scalar": {"value": TASK_MEM}},
                        ],
                        "command": {"value": "echo hello"},
                    }
                )
                self.launched += 1
                cpus -= TASK_CPUS
                mem -= TASK_MEM
            driver.launchTasks(offer["id"], tasks, {"refuse_seconds": 300})

    def statusUpdate(self, driver: Any, update: Any) -> None:
        self.states.setdefault(update["task_id"]["value"], []).append(update["state"])
        done = [states for states in self.states.values() if states[-1] == "TASK_FINISHED"]
        if len(done) == TASKS:
            self.finished.set()

    @staticmethod
    def scalar(resources: Any, name: str) -> float:
        return float(sum(r["scalar"]["value"] for r in resources if r["name"] == name))


@pytest.mark.parametrize("use_addict", [True, False])
def test_pymesos_style_scheduler_finishes_tasks(
    mesos_cluster: EmbeddedCluster, use_addict: bool
) -> None:
    scheduler = HelloScheduler()
    framework = {"user": getpass.getuser(), "name": f"compat-hello-{use_addict}"}
    driver = MesosSchedulerDriver(scheduler, framework, mesos_cluster.url, use_addict=use_addict)
    driver.start()
    try:
        finished = scheduler.finished.wait(FINISH_WAIT_SECONDS)
    finally:
        driver.stop()
    assert driver.join() is DriverStatus.DRIVER_STOPPED
    assert finished, f"tasks did not all finish: {scheduler.states}"
    assert scheduler.launched == TASKS
    assert all(
        states[-1] == "TASK_FINISHED" and "TASK_FAILED" not in states
        for states in scheduler.states.values()
    )
    frameworks = mesos_cluster.state()["completed_frameworks"]
    assert scheduler.registered_as in [f["id"] for f in frameworks]
