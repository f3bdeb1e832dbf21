"""The keeper's HTTP API, shaped like Marathon's ``/v2/apps``, on a loopback port.

- ``GET /v2/apps/<id>/tasks``: the app's instances as JSON (``{"tasks": [...]}``: task id,
  host, ports, service ports, state, health, version), or, with ``Accept: text/plain``,
  Marathon's line format: per service port, ``<id>\\t<service port>\\t<host>:<port>\\t...``.
- ``GET /v2/apps/<id>``: the definition with its version, task counts and running deployment.
- ``PUT /v2/apps/<id>``: fields of a new definition (the others stay): a rolling restart to it.
- ``GET /v2/apps``, ``GET /ping``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from appdef import App, AppDefinitionError


@dataclass(frozen=True)
class TaskView:
    """One launched instance, as the API shows it."""

    task_id: str
    host: str | None
    ports: list[int]
    agent_id: str | None
    state: str
    healthy: bool | None
    version: int
    staged_at: float | None = None
    started_at: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """The app as deployed now and its instances that have not ended."""

    app: App
    version: int
    tasks: list[TaskView] = field(default_factory=list)
    deploying: bool = False


class Service:
    """What the API serves: a snapshot of the app, and the way to deploy a new definition."""

    def __init__(self, snapshot: Callable[[], Snapshot], deploy: Callable[[object], int]) -> None:
        self.snapshot = snapshot
        self.deploy = deploy  # fields of a new definition -> its version; AppDefinitionError


def tasks_json(snapshot: Snapshot) -> dict[str, Any]:
    app = snapshot.app
    checked = bool(app.health_checks)
    tasks = []
    for task in snapshot.tasks:
        entry: dict[str, Any] = {
            "id": task.task_id,
            "appId": app.id,
            "host": task.host,
            "ports": task.ports,
            "servicePorts": app.service_ports,
            "slaveId": task.agent_id,
            "state": task.state,
            "stagedAt": _iso(task.staged_at),
            "startedAt": _iso(task.started_at),
            "version": task.version,
            "healthy": task.healthy,
        }
        if checked and task.healthy is not None:
            entry["healthCheckResults"] = [{"taskId": task.task_id, "alive": task.healthy}]
        tasks.append(entry)
    return {"tasks": tasks}


def tasks_text(snapshot: Snapshot) -> str:
    """Marathon's line format: one line per service port listing ``host:port`` of each running
    instance (tab-separated); an app without ports lists the hosts on one line."""
    app = snapshot.app
    running = [t for t in snapshot.tasks if t.state == "TASK_RUNNING"]
    if not app.service_ports:
        return f"{app.safe_id}\t \t" + "".join(f"{t.host} " for t in running) + "\n"
    lines = []
    for index, service_port in enumerate(app.service_ports):
        endpoints = "".join(
            f"{t.host}:{t.ports[index] if index < len(t.ports) else 0}\t" for t in running
        )
        lines.append(f"{app.safe_id}\t{service_port}\t{endpoints}\n")
    return "".join(lines)


def app_json(snapshot: Snapshot) -> dict[str, Any]:
    tasks = snapshot.tasks
    running = [t for t in tasks if t.state == "TASK_RUNNING"]
    deployments = [{"id": deployment_id(snapshot)}] if snapshot.deploying else []
    return {
        **snapshot.app.to_json(),
        "version": snapshot.version,
        "tasksStaged": len(tasks) - len(running),
        "tasksRunning": len(running),
        "tasksHealthy": sum(t.healthy is True for t in running),
        "tasksUnhealthy": sum(t.healthy is False for t in running),
        "deployments": deployments,
    }


def deployment_id(snapshot: Snapshot) -> str:
    return f"{snapshot.app.safe_id}-v{snapshot.version}"


class KeeperApi:
    """The API served from a thread of its own on ``127.0.0.1:port`` (0: any free port)."""

    def __init__(self, service: Service, port: int, host: str = "127.0.0.1") -> None:
        handler = type("Handler", (_Handler,), {"service": service})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="keeper-api", daemon=True
        )

    def start(self) -> KeeperApi:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    service: Service
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/ping":
            return self._send(200, "pong\n", "text/plain")
        if self.path.rstrip("/") == "/v2/apps":
            return self._send_json(200, {"apps": [app_json(self.service.snapshot())]})
        snapshot = self._app_snapshot()
        if snapshot is None:
            return None
        if self._route()[1] == "tasks":
            if "text/plain" in self.headers.get("Accept", ""):
                return self._send(200, tasks_text(snapshot), "text/plain")
            return self._send_json(200, tasks_json(snapshot))
        return self._send_json(200, {"app": app_json(snapshot)})

    def do_PUT(self) -> None:
        snapshot = self._app_snapshot()
        if snapshot is None or self._route()[1] != "":
            return None if snapshot is None else self._not_found()
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            version = self.service.deploy(body)
        except (ValueError, AppDefinitionError) as error:  # bad JSON or a bad definition
            return self._send_json(400, {"message": str(error)})
        deployment = deployment_id(Snapshot(snapshot.app, version))
        return self._send_json(200, {"version": version, "deploymentId": deployment})

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the keeper logs enough
        pass

    def _route(self) -> tuple[str, str]:
        """``/v2/apps/<id>[/tasks]`` as (``/<id>``, ``"tasks"`` or ``""``)."""
        path = self.path.split("?", 1)[0].removeprefix("/v2/apps").rstrip("/")
        if path.endswith("/tasks"):
            return path.removesuffix("/tasks"), "tasks"
        return path, ""

    def _app_snapshot(self) -> Snapshot | None:
        """The snapshot when the path names the app (a 404 sent otherwise)."""
        snapshot = self.service.snapshot()
        if not self.path.startswith("/v2/apps/") or self._route()[0] != snapshot.app.id:
            self._not_found()
            return None
        return snapshot

    def _not_found(self) -> None:
        self._send_json(404, {"message": f"no such resource: {self.path}"})

    def _send_json(self, status: int, body: object) -> None:
        self._send(status, json.dumps(body) + "\n", "application/json")

    def _send(self, status: int, text: str, content_type: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    moment = datetime.fromtimestamp(timestamp, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
