"""The keeper's HTTP API on loopback: Marathon's task listing as JSON and lines, and PUT."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from appdef import parse_app, updated, with_service_ports
from keeper_api import KeeperApi, Service, Snapshot, TaskView, tasks_text

APP = with_service_ports(
    parse_app({"id": "/shop/web", "cmd": "serve", "ports": [0, 0], "healthChecks": [{}]}), None
)
TASKS = [
    TaskView("shop_web.1.1", "h1", [31000, 31001], "S1", "TASK_RUNNING", True, 1, 1.5e9, 1.5e9),
    TaskView("shop_web.2.1", "h2", [31005, 31006], "S2", "TASK_RUNNING", False, 1),
    TaskView("shop_web.3.1", None, [], None, "LAUNCHING", None, 2),
]


class FakeKeeper:
    def __init__(self) -> None:
        self.app, self.version = APP, 1
        self.deployed: list[object] = []

    def snapshot(self) -> Snapshot:
        return Snapshot(self.app, self.version, TASKS, deploying=True)

    def deploy(self, changes: object) -> int:
        self.app = updated(self.app, changes)
        self.version += 1
        self.deployed.append(changes)
        return self.version


@pytest.fixture
def keeper() -> Iterator[tuple[FakeKeeper, str]]:
    fake = FakeKeeper()
    api = KeeperApi(Service(fake.snapshot, fake.deploy), 0).start()
    yield fake, f"http://127.0.0.1:{api.port}"
    api.close()


def call(url: str, method: str = "GET", body: object = None, accept: str = "") -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, text = answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    return status, text if accept == "text/plain" else json.loads(text)


def test_tasks_as_json_name_host_ports_health_and_version(keeper: tuple[FakeKeeper, str]) -> None:
    _, base = keeper
    status, body = call(f"{base}/v2/apps/shop/web/tasks")
    assert status == 200
    first = body["tasks"][0]
    assert (first["id"], first["appId"], first["host"], first["ports"]) == (
        "shop_web.1.1",
        "/shop/web",
        "h1",
        [31000, 31001],
    )
    assert first["servicePorts"] == [10000, 10001] and first["version"] == 1
    assert first["healthy"] is True and first["startedAt"] == "2017-07-14T02:40:00.000Z"
    assert first["healthCheckResults"] == [{"taskId": "shop_web.1.1", "alive": True}]
    assert body["tasks"][2]["healthy"] is None and "healthCheckResults" not in body["tasks"][2]


def test_tasks_as_marathons_lines_one_per_service_port_of_running_instances(
    keeper: tuple[FakeKeeper, str],
) -> None:
    _, base = keeper
    status, text = call(f"{base}/v2/apps/shop/web/tasks", accept="text/plain")
    assert status == 200
    assert text == (
        "shop_web\t10000\th1:31000\th2:31005\t\nshop_web\t10001\th1:31001\th2:31006\t\n"
    )
    portless = Snapshot(parse_app({"id": "w", "cmd": "x", "ports": []}), 1, TASKS)
    assert tasks_text(portless) == "w\t \th1 h2 \n"


def test_the_app_shows_its_version_counts_and_deployment(keeper: tuple[FakeKeeper, str]) -> None:
    _, base = keeper
    status, body = call(f"{base}/v2/apps/shop/web")
    app = body["app"]
    assert status == 200 and app["id"] == "/shop/web" and app["version"] == 1
    assert (
        app["tasksRunning"],
        app["tasksStaged"],
        app["tasksHealthy"],
        app["tasksUnhealthy"],
    ) == (
        2,
        1,
        1,
        1,
    )
    assert app["deployments"] == [{"id": "shop_web-v1"}]
    assert call(f"{base}/v2/apps")[1]["apps"][0]["id"] == "/shop/web"
    assert call(f"{base}/ping", accept="text/plain") == (200, "pong\n")


def test_put_deploys_a_new_version_and_a_bad_one_is_refused_naming_the_field(
    keeper: tuple[FakeKeeper, str],
) -> None:
    fake, base = keeper
    status, body = call(f"{base}/v2/apps/shop/web", "PUT", {"cmd": "serve --v2"})
    assert (status, body) == (200, {"version": 2, "deploymentId": "shop_web-v2"})
    assert fake.app.cmd == "serve --v2"
    status, body = call(f"{base}/v2/apps/shop/web", "PUT", {"instances": -2})
    assert status == 400 and body["message"].startswith("instances:")
    assert fake.deployed == [{"cmd": "serve --v2"}]


def test_other_apps_and_paths_are_not_found(keeper: tuple[FakeKeeper, str]) -> None:
    _, base = keeper
    assert call(f"{base}/v2/apps/other/tasks")[0] == 404
    assert call(f"{base}/v2/apps/shop/web/tasks", "PUT", {"cmd": "x"})[0] == 404
    assert call(f"{base}/v3/anything")[0] == 404
