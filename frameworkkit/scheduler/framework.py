"""The :class:`Framework` base class: subclass it, submit tasks, run it.

``Framework`` is the public face; the work is done by parts with one job each, composed for
every run: the subscription loop (:mod:`.subscription`), offer handling (:mod:`.offers`),
update handling (:mod:`.updates`) and reconciliation (:mod:`.reconciler`). User hooks are
called by :mod:`frameworkkit.hooks`' rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import getpass
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from frameworkkit import validation
from frameworkkit.hooks import HookRunner, overrides
from frameworkkit.loops import in_loop, run_blocking
from frameworkkit.placement import STRATEGY_NAMES
from frameworkkit.protocol import infos
from frameworkkit.scheduler.hooks import FrameworkHooks
from frameworkkit.scheduler.metrics import FrameworkMetrics
from frameworkkit.scheduler.packing import PackedExecutor, check_runs
from frameworkkit.scheduler.sandbox import Sandbox
from frameworkkit.scheduler.spec import TaskSpec
from frameworkkit.scheduler.store import FileStateStore, StateStore, check_data_name
from frameworkkit.scheduler.tasks import Task, TaskTracker
from frameworkkit.states import TaskState
from frameworkkit.transport import Secret, Transport, TransportOptions

if TYPE_CHECKING:
    from frameworkkit.placement import Fitness, Unplaced
    from frameworkkit.scheduler.matching import Matcher
    from frameworkkit.scheduler.run import Run

log = logging.getLogger("frameworkkit.scheduler")

ONE_WEEK = 7 * 24 * 3600.0
Until = Literal["idle", "forever"]


class Framework(FrameworkHooks):
    """Base class of a Mesos framework. Subclass it and override the ``on_*`` hooks you need.

    Construct it with the master (``http://host:5050``, a list of masters, or
    ``zk://h1:2181,h2:2181/mesos``), :meth:`submit` :class:`TaskSpec` objects, then :meth:`run`
    (blocking) or ``await`` :meth:`run_async` (Jupyter). Keywords and their defaults:

    - ``role`` (``"*"``): the role the framework subscribes with and its tasks use.
    - ``user`` (the current user): the user tasks run as.
    - ``state_dir`` (``~/.frameworkkit/<name>``) or ``store`` (a :class:`StateStore`): where
      the framework id and every submitted task are kept, so that a restarted script resumes.
    - ``principal`` and ``secret`` (None): HTTP basic authentication to the master.
    - ``failover_timeout`` (a week): how long Mesos keeps the tasks while no scheduler is
      connected. ``checkpoint`` (True): agents checkpoint the tasks (they survive agent restarts).
    - ``strategy`` (``"binpack"``; or ``"spread"``, ``"firstfit"``, ``"alignment"``, or a
      placement ``Fitness``) and ``seed`` (0): how tasks are spread over offers.
    - ``executor`` (None: each task runs under Mesos's command executor): a
      :class:`PackedExecutor` runs all tasks on an agent in one long-lived executor.
    - ``reconcile_interval`` (600 s): how often every task is reconciled implicitly.
    - ``decline_seconds`` (300 s) filters offers declined while nothing waits;
      ``unfit_decline_seconds`` (5 s) those declined while work waits.
    - ``webui_url`` and ``labels`` (None): shown in the master's web UI.
    - ``options`` (:class:`TransportOptions`: TLS, timeouts, retries) and ``transport`` (a
      :class:`~frameworkkit.transport.Transport` in place of the network, for tests: an
      in-process peer, or an ``HttpTransport`` subclass that watches the calls).

    Hooks may be plain functions (run in a worker thread: they may block) or ``async def`` (run
    on the framework's loop); the hooks of one task run in order, and an update is acknowledged
    to Mesos only after its hooks returned.
    """

    name: ClassVar[str] = "frameworkkit"

    def __init__(
        self,
        master: str | Sequence[str],
        *,
        role: str = "*",
        user: str | None = None,
        state_dir: str | Path | None = None,
        store: StateStore | None = None,
        principal: str | None = None,
        secret: str | Secret | None = None,
        failover_timeout: float = ONE_WEEK,
        checkpoint: bool = True,
        strategy: str | Fitness = "binpack",
        seed: int = 0,
        webui_url: str | None = None,
        labels: dict[str, str] | None = None,
        options: TransportOptions | None = None,
        transport: Transport | None = None,
        reconcile_interval: float = 600.0,
        decline_seconds: float = 300.0,
        unfit_decline_seconds: float = 5.0,
        executor: PackedExecutor | None = None,
    ) -> None:
        self.role = validation.role("role", role)
        self.failover_timeout = validation.number("failover_timeout", failover_timeout)
        self.reconcile_interval = validation.number("reconcile_interval", reconcile_interval)
        self.decline_seconds = validation.number("decline_seconds", decline_seconds)
        self.unfit_decline_seconds = validation.number(
            "unfit_decline_seconds", unfit_decline_seconds
        )
        self.checkpoint = validation.flag("checkpoint", checkpoint)
        if state_dir is not None and store is not None:
            raise ValueError("store: give state_dir or store, not both")
        if executor is not None and not isinstance(executor, PackedExecutor):
            raise TypeError(f"executor: must be a PackedExecutor, got {type(executor).__name__}")
        if transport is not None and not isinstance(transport, Transport):
            raise TypeError(f"transport: must be a Transport, got {type(transport).__name__}")
        if secret is not None and principal is None:
            raise ValueError("principal: a secret needs the principal it belongs to")
        self.master = master
        self.user = user or getpass.getuser()
        self.webui_url = webui_url
        self.labels = dict(labels or {})
        self.executor = executor
        base_options = options or TransportOptions()
        if principal is not None:
            wrapped = Secret(secret) if isinstance(secret, str) else secret
            base_options = dataclasses.replace(base_options, principal=principal, secret=wrapped)
        self._options = base_options
        self.principal = principal
        self._transport = transport
        directory = Path(state_dir or Path.home() / ".frameworkkit" / self.name).expanduser()
        self.store: StateStore = store or FileStateStore(directory)
        self.tasks = TaskTracker()
        self.metrics = FrameworkMetrics()
        if isinstance(strategy, str) and strategy not in STRATEGY_NAMES:
            raise ValueError(
                f"strategy: one of {sorted(STRATEGY_NAMES)} or a Fitness, got {strategy!r}"
            )
        self._strategy, self._seed = strategy, validation.whole_number("seed", seed)
        self.framework_id: str | None = None
        self._hooks = HookRunner(self.name)
        self._sandbox = Sandbox(master, base_options)
        self._lock = threading.RLock()
        self._loaded = False
        self._data: dict[str, str] = {}
        self._run: Run | None = None

    # ---- public API ---------------------------------------------------------------------------

    def submit(self, spec: TaskSpec) -> Task:
        """Queue a task and return its handle; durable before it returns. Thread-safe.

        A name already submitted (in this run or an earlier one with the same state) returns
        that task when the spec is equal, and raises ValueError when it differs: a script
        re-run after a crash runs each task once.
        """
        return self.submit_many([spec])[0]

    def submit_many(self, specs: Iterable[TaskSpec]) -> list[Task]:
        """Queue several tasks with one durable write (see :meth:`submit`). Thread-safe."""
        checked = list(specs)
        for index, spec in enumerate(checked):
            if not isinstance(spec, TaskSpec):
                raise TypeError(f"specs[{index}]: must be a TaskSpec, got {type(spec).__name__}")
            check_runs(self.executor, spec, f"specs[{index}]")
            if spec.role not in (None, self.role):
                raise ValueError(
                    f"specs[{index}].role: task {spec.name!r} asks for role {spec.role!r}, but "
                    f"the framework subscribes with role {self.role!r}"
                )
        added: list[Task] = self._on_framework_loop(lambda: self._add(checked))
        return added

    def task(self, name: str) -> Task:
        """The task submitted under ``name`` (KeyError if none)."""
        with self._lock:
            self._ensure_loaded()
        found = self.tasks.get(name)
        if found is None:
            raise KeyError(f"no task named {name!r}")
        return found

    def get_data(self, name: str) -> str | None:
        """The value kept under ``name`` by :meth:`put_data` (in this run or an earlier one with
        the same state), or None."""
        check_data_name(name)
        with self._lock:
            self._ensure_loaded()
            return self._data.get(name)

    def put_data(self, name: str, value: str | None) -> None:
        """Keep a value of the framework's own (a schedule's progress, a definition) in its state
        store under ``name`` (None removes it), durable when this returns, beside the tasks.
        Thread-safe."""
        check_data_name(name)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"value: a str or None, got {type(value).__name__}")
        self._on_framework_loop(lambda: self._put_data(name, value))

    @property
    def unplaced(self) -> dict[str, Unplaced]:
        """Why each waiting task has not been launched, by task name (``str()`` reads well)."""
        return {t.name: t.unplaced for t in self.tasks.pending() if t.unplaced is not None}

    def kill(self, task: Task) -> None:
        """Kill a task: a pending one ends TASK_KILLED at once, a launched one through Mesos."""
        if not task.done:
            self._on_framework_loop(lambda: self._spawn_kill(task))

    def send_message(self, agent_id: str, executor_id: str, data: bytes) -> None:
        """Send ``data`` to the framework's executor ``executor_id`` on ``agent_id``: the mirror
        of :meth:`on_message`, it reaches the executor's ``framework_message`` hook. As in
        Mesos, delivery is not guaranteed. Thread-safe; needs a running framework."""
        run = self._running("send_message")
        self._on_framework_loop(lambda: run.send_message(agent_id, executor_id, data))

    def revive(self) -> None:
        """Ask Mesos for offers now, clearing every decline filter the framework set (offers
        it declined while idle, say). Thread-safe; needs a running framework."""
        self._on_framework_loop(self._running("revive").revive)

    def stop(self, *, teardown: bool = False) -> None:
        """End the framework's run. ``teardown=True`` also ends the framework in Mesos (its
        tasks are killed, its executors stop); otherwise Mesos keeps its tasks running for
        ``failover_timeout``, for a later run to pick up. Called while nothing runs, with
        ``teardown=True``, it connects to the master just to end the framework."""
        run = self._run
        if run is not None:
            run.request_stop(teardown=teardown)
        elif teardown:
            run_blocking(self._teardown_now, name=f"{self.name}-teardown")

    def run(
        self, until: Until = "idle", *, timeout: float | None = None, teardown: bool | None = None
    ) -> None:
        """Run until every task is done (``"idle"``) or :meth:`stop` (``"forever"``); blocking.

        When the run ends because every task is done, the framework is torn down in Mesos
        (nothing of it stays registered or running) unless ``teardown=False`` keeps it for a
        later run; a run that ends otherwise (timeout, error, :meth:`stop`) leaves it to fail
        over unless ``teardown=True``. ``timeout`` raises TimeoutError naming what is pending.
        Inside a running event loop (Jupyter), it runs in a worker thread; ``await``
        :meth:`run_async` instead to keep the notebook responsive.
        """
        run_blocking(
            lambda: self.run_async(until, timeout=timeout, teardown=teardown),
            name=f"{self.name}-framework",
        )

    async def run_async(
        self, until: Until = "idle", *, timeout: float | None = None, teardown: bool | None = None
    ) -> None:
        """The framework's main loop as a coroutine; see :meth:`run`."""
        if until not in ("idle", "forever"):
            raise ValueError(f"until: 'idle' or 'forever', got {until!r}")
        if timeout is not None:
            validation.number("timeout", timeout, above=True)
        if teardown is not None:
            validation.flag("teardown", teardown)
        if self._run is not None:
            raise RuntimeError(f"{self.name}: already running")
        with self._lock:
            self._ensure_loaded()
        run = self._run = self._new_run()
        try:
            await run.run(until, timeout=timeout, teardown=teardown)
        finally:
            self._run = None

    # ---- for the run's parts ------------------------------------------------------------------

    @functools.cached_property
    def matcher(self) -> Matcher:
        """Places this framework's tasks on offers (made at first use: it loads the engine)."""
        from frameworkkit.scheduler import matching

        return matching.Matcher(self.role, self._strategy, self._seed, self.executor)

    def user_hook(self, name: str) -> Callable[..., Any] | None:
        """The subclass's hook ``name``, or None when it keeps the base class's no-op."""
        return getattr(self, name) if overrides(self, Framework, name) else None

    def framework_info(self) -> dict[str, Any]:
        """The ``FrameworkInfo`` to subscribe with."""
        return infos.framework_info(
            self.user,
            self.name,
            framework_id=self.framework_id,
            failover_timeout=self.failover_timeout,
            checkpoint=self.checkpoint,
            roles=[self.role],
            capabilities=["MULTI_ROLE", "PARTITION_AWARE", "TASK_KILLING_STATE"],
            principal=self.principal,
            webui_url=self.webui_url,
            labels=self.labels or None,
        )

    def remember_framework_id(self, framework_id: str | None) -> None:
        """Keep the framework id Mesos gave (None: forget it) in the state store."""
        if framework_id != self.framework_id:
            with self._lock:
                self.store.put_framework_id(framework_id)
            self.framework_id = framework_id

    # ---- internals ----------------------------------------------------------------------------

    def _new_run(self) -> Run:
        from frameworkkit.scheduler import run  # loads the transport and the engine

        return run.Run(self, self._options, self._transport)

    def _add(self, specs: list[TaskSpec]) -> list[Task]:
        with self._lock:
            self._ensure_loaded()
            added = [self.tasks.add(spec) for spec in specs]
            new = [task for task, is_new in added if is_new]
            self.store.put_tasks([task.record() for task in new])
        for task in new:
            task._sandbox = self._sandbox
        self.metrics.tasks_submitted += len(new)
        if new and self._run is not None:
            self._run.new_work(new)
        return [task for task, _ in added]

    def _put_data(self, name: str, value: str | None) -> None:
        with self._lock:
            self._ensure_loaded()
            self.store.put_data(name, value)
            if value is None:
                self._data.pop(name, None)
            else:
                self._data[name] = value

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        state = self.store.load()
        self.framework_id = state.framework_id
        self._data = dict(state.data)
        for record in state.tasks:
            self.tasks.restore(record)._sandbox = self._sandbox
        self._loaded = True
        if state.tasks:
            log.info(
                "%s: restored framework %s with %d tasks (%d not done)",
                self.name,
                self.framework_id,
                len(state.tasks),
                sum(not t.done for t in self.tasks),
            )

    def _on_framework_loop(self, work: Callable[[], Any]) -> Any:
        """Do ``work`` where the tracker may change: on the run's loop while one runs."""
        run = self._run
        if run is None or in_loop(run.loop):
            return work()

        async def on_loop() -> Any:
            return work()

        return asyncio.run_coroutine_threadsafe(on_loop(), run.loop).result()

    def _running(self, what: str) -> Run:
        run = self._run
        if run is None:
            raise RuntimeError(f"{what}: the framework is not running")
        return run

    def _spawn_kill(self, task: Task) -> None:
        run = self._run
        if run is not None:
            run.kill(task)
        else:
            self._kill_offline(task)

    def _kill_offline(self, task: Task) -> None:
        if task.state is not TaskState.PENDING:
            raise RuntimeError(
                f"kill: task {task.name!r} is {task.state.value}; it can be killed while the "
                f"framework runs"
            )
        with self._lock:
            self.tasks.kill_pending(task)
            self.store.put_tasks([task.record()])

    async def _teardown_now(self) -> None:
        with self._lock:
            self._ensure_loaded()
        if self.framework_id is None:
            log.info("%s: no framework registered in Mesos; nothing to tear down", self.name)
            return
        run = self._run = self._new_run()
        try:
            await run.teardown_only()
        finally:
            self._run = None
