"""The keeper's own state, without a cluster: the version deployed survives a restart, a changed
definition is a new version, and each step starts what is missing once."""

from __future__ import annotations

from pathlib import Path

from appdef import parse_app
from keeper import ServiceKeeper

NOWHERE = "http://127.0.0.1:1"  # never contacted: nothing here runs the framework
APP = {"id": "/web", "cmd": "serve", "instances": 3, "ports": [0, 0]}


def keeper(state: Path, **changes: object) -> ServiceKeeper:
    return ServiceKeeper(NOWHERE, state_dir=state, source=parse_app({**APP, **changes}))


def test_the_same_definition_resumes_its_version_and_a_changed_one_is_the_next(
    tmp_path: Path,
) -> None:
    first = keeper(tmp_path)
    assert (first.version, first.app.ports) == (1, [10000, 10001])
    assert first.deploy({"cmd": "serve --v2"}) == 2
    again = keeper(tmp_path)  # restarted with the same file: the PUT's version 2 stays
    assert (again.version, again.app.cmd) == (2, "serve --v2")
    changed = keeper(tmp_path, cmd="serve --v3", ports=[0, 0, 0])
    assert (changed.version, changed.app.cmd) == (3, "serve --v3")
    assert changed.app.ports == [10000, 10001, 10002]  # the service ports it had stay


def test_a_step_starts_what_is_missing_once_and_a_new_version_beside_the_old(
    tmp_path: Path,
) -> None:
    web = keeper(tmp_path)
    web.step()
    web.step()  # the three are pending: they count, nothing more starts
    assert sorted(t.name for t in web.tasks) == ["web.1", "web.2", "web.3"]
    assert {t.spec.labels["app_version"] for t in web.tasks} == {"1"}
    web.deploy({"cmd": "serve --v2"})
    web.step()  # none is ready, so none is killed; three of version 2 start beside them
    versions = sorted((t.name, t.spec.labels["app_version"]) for t in web.tasks if not t.done)
    assert versions == [
        ("web.1", "1"),
        ("web.2", "1"),
        ("web.3", "1"),
        ("web.4", "2"),
        ("web.5", "2"),
        ("web.6", "2"),
    ]
    restarted = keeper(tmp_path)
    restarted.step()
    assert len([t for t in restarted.tasks if not t.done]) == 6  # no duplicates after a restart
