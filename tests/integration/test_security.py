"""Authentication and authorization against a real Mesos 1.11 master that enforces them."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from frameworkkit import AccessDenied, Framework, TaskSpec, TaskState
from frameworkkit.compat import MesosSchedulerDriver
from frameworkkit.testing import EmbeddedCluster, free_port
from frameworkkit.transport import HttpAnswer, HttpRequest, HttpTransport

SECRET = "right-S3cret-value"
LIMITED_SECRET = "limited-S3cret-value"


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A cluster whose master authenticates frameworks and authorizes them by ACLs:
    ``fw-user`` may register only role ``batch``; ``limited`` may run tasks as no user."""
    files = tmp_path_factory.mktemp("secured")
    credentials = files / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "credentials": [
                    {"principal": "fw-user", "secret": SECRET},
                    {"principal": "limited", "secret": LIMITED_SECRET},
                ]
            }
        )
    )
    acls = files / "acls.json"
    acls.write_text(
        json.dumps(
            {
                "register_frameworks": [
                    {"principals": {"values": ["fw-user"]}, "roles": {"values": ["batch"]}},
                    {"principals": {"values": ["fw-user"]}, "roles": {"type": "NONE"}},
                ],
                "run_tasks": [{"principals": {"values": ["limited"]}, "users": {"type": "NONE"}}],
            }
        )
    )
    with EmbeddedCluster(agents=2, port=free_port(), credentials=credentials, acls=acls) as cluster:
        yield cluster


def test_the_right_credentials_run_a_task(secured: EmbeddedCluster, tmp_path: Path) -> None:
    fw = Framework(
        secured.url, role="batch", principal="fw-user", secret=SECRET, state_dir=tmp_path
    )
    task = fw.submit(TaskSpec(name="allowed", command="echo ran"))
    fw.run(timeout=60)
    assert task.state is TaskState.TASK_FINISHED


@pytest.mark.parametrize(
    ("principal", "secret"), [("fw-user", "wrong-secret"), (None, None)], ids=["wrong", "none"]
)
def test_a_wrong_or_missing_secret_ends_the_run_at_once_naming_the_principal(
    secured: EmbeddedCluster, tmp_path: Path, principal: str | None, secret: str | None
) -> None:
    fw = Framework(
        secured.url, role="batch", principal=principal, secret=secret, state_dir=tmp_path
    )
    fw.submit(TaskSpec(name="never", command="true"))
    with pytest.raises(AccessDenied) as denied:
        fw.run(timeout=30)
    assert denied.value.principal == principal and "HTTP 401" in denied.value.reason
    assert (repr(principal) if principal else "no principal") in str(denied.value)
    assert "wrong-secret" not in str(denied.value)


def test_a_role_the_acls_deny_ends_the_run_with_the_role_named(
    secured: EmbeddedCluster, tmp_path: Path
) -> None:
    calls: list[str] = []

    class Counting(HttpTransport):
        async def handle(self, request: HttpRequest) -> HttpAnswer:
            calls.append(json.loads(request.body)["type"])
            return await super().handle(request)

    fw = Framework(
        secured.url,
        role="other",
        principal="fw-user",
        secret=SECRET,
        state_dir=tmp_path,
        transport=Counting(),
    )
    fw.submit(TaskSpec(name="never", command="true"))
    started = time.monotonic()
    with pytest.raises(AccessDenied) as denied:
        fw.run(timeout=60)
    took = time.monotonic() - started
    assert denied.value.role == "other" and "'other'" in str(denied.value)
    assert "Not authorized" in denied.value.reason, denied.value.reason
    assert calls.count("SUBSCRIBE") == 3  # a bounded number of attempts, not a hot loop
    assert took < 15, took


def test_an_acl_that_denies_running_tasks_as_the_user_ends_the_task_with_the_masters_reason(
    secured: EmbeddedCluster, tmp_path: Path
) -> None:
    fw = Framework(secured.url, principal="limited", secret=LIMITED_SECRET, state_dir=tmp_path)
    task = fw.submit(TaskSpec(name="as-root", command="true"))
    fw.run(timeout=60)
    assert task.state is TaskState.TASK_ERROR
    assert task.reason == "REASON_TASK_UNAUTHORIZED", (task.reason, task.message)
    assert task.message


def test_the_pymesos_driver_reports_a_refusal_to_error_then_aborts(
    secured: EmbeddedCluster,
) -> None:
    errors: list[str] = []

    class Scheduler:
        def error(self, driver: MesosSchedulerDriver, message: str) -> None:
            errors.append(message)

    driver = MesosSchedulerDriver(
        Scheduler(),
        {"user": "root", "name": "compat", "roles": ["batch"], "principal": "fw-user"},
        secured.url,
        principal="fw-user",
        secret="wrong-secret",
    )
    status = driver.run()
    assert driver.aborted, status
    assert len(errors) == 1 and "401" in errors[0]
    assert "wrong-secret" not in errors[0]


def test_the_secret_stays_out_of_logs_errors_reprs_state_and_sandboxes(
    secured: EmbeddedCluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state = tmp_path / "state"
    fw = Framework(secured.url, role="batch", principal="fw-user", secret=SECRET, state_dir=state)
    task = fw.submit(TaskSpec(name="env", command="env; cat /proc/self/environ"))
    fw.run(timeout=60)
    assert task.state is TaskState.TASK_FINISHED
    wrong = Framework(
        secured.url,
        role="batch",
        principal="fw-user",
        secret=SECRET + "x",
        state_dir=tmp_path / "wrong",
    )
    wrong.submit(TaskSpec(name="x", command="true"))
    with pytest.raises(AccessDenied) as denied:
        wrong.run(timeout=30)
    secret = SECRET.encode()
    assert SECRET not in caplog.text
    assert SECRET not in str(denied.value) and SECRET not in repr(denied.value)
    assert SECRET not in repr(vars(fw)) and SECRET not in repr(fw._options)
    for path in list(state.rglob("*")) + list((secured.work_dir / "mesos").rglob("*")):
        if path.is_file() and not path.is_symlink():
            assert secret not in path.read_bytes(), path
