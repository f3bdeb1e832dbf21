from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from frameworkkit.compat import MesosSchedulerDriver, Scheduler
from frameworkkit.transport import BackoffPolicy, TransportOptions

from .scripted_master import WAIT_SECONDS, ScriptedMaster

CALLBACKS = frozenset(name for name in vars(Scheduler) if not name.startswith("_"))
FRAMEWORK = {"user": "root", "name": "pymesos-style"}
FAST = TransportOptions(backoff=BackoffPolicy(base=0.01, cap=0.02))


class RecordingScheduler:
    """A duck-typed scheduler recording every callback as ``(name, args)``.

    `reactions` maps a callback name to a function run after recording, with the same
    arguments (driver first).
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.reactions: dict[str, Callable[..., None]] = {}
        self._changed = threading.Condition()

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name not in CALLBACKS:
            raise AttributeError(name)

        def callback(driver: MesosSchedulerDriver, *args: Any) -> None:
            with self._changed:
                self.calls.append((name, args))
                self._changed.notify_all()
            reaction = self.reactions.get(name)
            if reaction is not None:
                reaction(driver, *args)

        return callback

    def names(self) -> list[str]:
        with self._changed:
            return [name for name, _ in self.calls]

    def wait_for(self, name: str, count: int = 1) -> list[tuple[Any, ...]]:
        """Wait until `name` was called `count` times; return the argument tuples."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.names().count(name) >= count, WAIT_SECONDS):
                raise AssertionError(f"{name} not called {count} times; got {self.names()}")
            return [args for called, args in self.calls if called == name]


@pytest.fixture
def master() -> ScriptedMaster:
    return ScriptedMaster()


@pytest.fixture
def scheduler() -> RecordingScheduler:
    return RecordingScheduler()


DriverFactory = Callable[..., MesosSchedulerDriver]


@pytest.fixture
def make_driver(master: ScriptedMaster, scheduler: RecordingScheduler) -> Iterator[DriverFactory]:
    """Builds drivers against the scripted master; any still running are aborted afterwards."""
    drivers: list[MesosSchedulerDriver] = []

    def make(**kwargs: Any) -> MesosSchedulerDriver:
        kwargs.setdefault("options", FAST)
        driver = MesosSchedulerDriver(
            kwargs.pop("sched", scheduler),
            kwargs.pop("framework", FRAMEWORK),
            kwargs.pop("master_uri", "127.0.0.1:5050"),
            transport=master,
            **kwargs,
        )
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.abort()
        driver.join()


@pytest.fixture
def registered(make_driver: DriverFactory, scheduler: RecordingScheduler) -> MesosSchedulerDriver:
    """A started driver whose scheduler got ``registered``."""
    driver = make_driver()
    driver.start()
    scheduler.wait_for("registered")
    return driver
