"""A Marathon-style service keeper on frameworkkit: keeps an app's instances running and healthy.

    python examples/service/keeper.py --master URL --app APP.json --api-port P --state-dir D

It runs ``instances`` copies of the app in Marathon's JSON shape (see ``appdef.py``), replaces
any that ends or fails its health check (after Marathon's launch backoff), rolls to a new
definition given with ``PUT /v2/apps/<id>`` (or a changed ``APP.json`` at start) as the upgrade
strategy allows, and serves its instances' endpoints on ``127.0.0.1:P`` (``keeper_api.py``).
Everything it must remember is in ``D``: killed and started again with the same ``D``, it finds
its instances by reconciliation and starts no duplicates. SIGTERM or Ctrl-C stops the keeper
and leaves the instances running for the next start.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from appdef import App, parse_app, task_spec, updated, with_service_ports
from keeper_api import KeeperApi, Service, Snapshot, TaskView
from rollout import Instance, LaunchBackoff, plan

from frameworkkit import Framework, Task, TaskState

log = logging.getLogger("keeper")

STEP_SECONDS = 1.0
"""The longest the keeper waits between two looks at its instances."""


class ServiceKeeper(Framework):
    """Keeps one app deployed: its definition, version and instances.

    Built with the app as given (``source``), it takes up the version deployed before when the
    state holds one from the same ``source``, and deploys ``source`` as a new version otherwise.
    """

    name = "service-keeper"

    def __init__(self, master: str, *, state_dir: Path, source: App) -> None:
        super().__init__(master, state_dir=state_dir)
        self.changed = threading.Event()  # something to act on: wakes the control loop
        self.subscribed = threading.Event()
        self.deploy_lock = threading.Lock()
        self.source = source
        self._serial = 0
        self._seen: dict[str, bool] = {}  # instances at the last step: name -> ready
        saved = self.get_data("app")
        state = json.loads(saved) if saved is not None else None
        if state is not None and parse_app(state["source"]) == source:
            self._use(parse_app(state["app"]), state["version"])
            log.info("resuming %s at version %d", self.app.id, self.version)
        else:
            before = parse_app(state["app"]) if state is not None else None
            version = state["version"] + 1 if state is not None else 1
            self._deploy(with_service_ports(source, before), version)

    # ---- the definition ----------------------------------------------------------------------

    def deploy(self, changes: object) -> int:
        """A new version with ``changes`` (a ``PUT`` body) over the current definition."""
        with self.deploy_lock:
            self._deploy(with_service_ports(updated(self.app, changes), self.app), self.version + 1)
            return self.version

    def _deploy(self, app: App, version: int) -> None:
        state = {"version": version, "app": app.to_json(), "source": self.source.to_json()}
        self.put_data("app", json.dumps(state))
        self._use(app, version)
        log.info("deploying %s version %d: %d instances", app.id, version, app.instances)
        self.changed.set()

    def _use(self, app: App, version: int) -> None:
        self.app, self.version = app, version
        self.backoff = LaunchBackoff(
            app.backoff_seconds, app.backoff_factor, app.max_launch_delay_seconds
        )

    # ---- hooks -------------------------------------------------------------------------------

    def on_subscribed(self, framework_id: str) -> None:
        self.subscribed.set()
        self.changed.set()

    def on_task_update(self, task: Task, status: object) -> None:
        self.changed.set()

    # ---- keeping it running ------------------------------------------------------------------

    def control(self, stopping: threading.Event) -> None:
        """Act on the instances until ``stopping``; acts only once subscribed (the instances
        of an earlier run are known and being reconciled by then)."""
        while not stopping.is_set() and not self.subscribed.wait(0.2):
            pass
        while not stopping.is_set():
            self.changed.clear()
            try:
                self.step()
            except Exception:
                log.exception("step failed; trying again")
            self.changed.wait(STEP_SECONDS)

    def step(self) -> None:
        """One look at the instances: kill and start what the plan says."""
        with self.deploy_lock:
            app, version = self.app, self.version
        mine = self._instances(app)
        self._note_changes(mine, version)
        todo = plan(
            [_instance(t) for t in mine],
            version=version,
            count=app.instances,
            minimum_health_capacity=app.upgrade_strategy.minimum_health_capacity,
            maximum_over_capacity=app.upgrade_strategy.maximum_over_capacity,
        )
        by_name = {t.name: t for t in mine}
        for name in todo.kill:
            log.info("killing %s (version %d)", name, _version(by_name[name]))
            self.kill(by_name[name])
        if todo.start and self.backoff.remaining() == 0:
            names = [self._next_name(app) for _ in range(todo.start)]
            log.info("starting %s (version %d)", ", ".join(names), version)
            self.submit_many(task_spec(app, name, version=version) for name in names)

    def _note_changes(self, mine: list[Task], version: int) -> None:
        """Back off for each instance that ended since the last step without being asked to;
        stop backing off once one of the current version is ready."""
        now = {t.name: _ready(t) for t in mine}
        newly_ready = [t for t in mine if now[t.name] and not self._seen.get(t.name)]
        if any(_version(t) == version for t in newly_ready):
            self.backoff.reset()
        for name in self._seen.keys() - now.keys():
            task = self.task(name)
            if not task.kill_requested:
                delay = self.backoff.failed()
                log.warning(
                    "%s ended %s (%s); next launch in %.1f s",
                    task.task_id,
                    task.state.value,
                    task.message or task.reason,
                    delay,
                )
        self._seen = now

    def snapshot(self) -> Snapshot:
        """What the API shows."""
        with self.deploy_lock:
            app, version = self.app, self.version
        mine = self._instances(app)
        views = [_view(t) for t in mine if t.task_id is not None]
        deploying = any(_version(t) != version for t in mine) or (
            sum(_ready(t) for t in mine) < app.instances
        )
        return Snapshot(app, version, views, deploying)

    def _instances(self, app: App) -> list[Task]:
        return [t for t in list(self.tasks) if t.spec.labels.get("app_id") == app.id and not t.done]

    def _next_name(self, app: App) -> str:
        prefix = f"{app.safe_id}."
        known = [t.name.removeprefix(prefix) for t in list(self.tasks)]
        self._serial = max([self._serial, *(int(s) for s in known if s.isdigit())]) + 1
        return f"{prefix}{self._serial}"


def _version(task: Task) -> int:
    return int(task.spec.labels.get("app_version", "0"))


def _ready(task: Task) -> bool:
    """Running, and healthy when it has a health check."""
    running = task.state is TaskState.TASK_RUNNING
    return running and (task.spec.health_check is None or task.healthy is True)


def _instance(task: Task) -> Instance:
    serial = int(task.name.rsplit(".", 1)[1])
    return Instance(task.name, serial, _version(task), _ready(task), task.kill_requested)


def _view(task: Task) -> TaskView:
    assert task.task_id is not None
    return TaskView(
        task_id=task.task_id,
        host=task.hostname,
        ports=list(task.ports),
        agent_id=task.agent_id,
        state=task.state.value,
        healthy=task.healthy,
        version=_version(task),
        staged_at=task.launched_at,
        started_at=task.started_at,
    )


def app_file(path: str) -> App:
    """The checked app definition in the JSON file ``path`` (for ``--app``)."""
    try:
        return parse_app(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as error:  # unreadable, not JSON, or a bad definition
        raise argparse.ArgumentTypeError(f"{path}: {error}") from None


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Keep a Marathon-style app running on Mesos, healthy, and up to date."
    )
    parser.add_argument("--master", required=True, help="http://host:5050 or zk://hosts/mesos")
    parser.add_argument("--app", required=True, type=app_file, help="the app definition (JSON)")
    parser.add_argument(
        "--api-port", required=True, type=int, help="port of the HTTP API on 127.0.0.1"
    )
    parser.add_argument("--state-dir", required=True, type=Path, help="where the state is kept")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        keeper = ServiceKeeper(args.master, state_dir=args.state_dir, source=args.app)
    except (KeyError, ValueError) as error:  # a state written by something else
        print(f"keeper: the state in {args.state_dir} is unreadable: {error!r}", file=sys.stderr)
        return 1
    try:
        api = KeeperApi(Service(keeper.snapshot, keeper.deploy), args.api_port).start()
    except OSError as error:
        print(f"keeper: cannot serve on 127.0.0.1:{args.api_port}: {error}", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()
        keeper.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    control = threading.Thread(target=keeper.control, args=(stopping,), name="keeper-control")
    control.start()
    try:
        if not stopping.is_set():
            keeper.run(until="forever")
    finally:
        stopping.set()
        control.join()
        api.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
