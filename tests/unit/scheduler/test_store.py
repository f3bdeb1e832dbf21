"""The file state store: every acknowledged change survives a restart, even a cut last line."""

from pathlib import Path

import pytest

from frameworkkit.scheduler.store import FileStateStore, TaskRecord


def record(key: str, state: str) -> TaskRecord:
    return TaskRecord(key=key, spec={"name": key}, state=state)


def test_changes_survive_reopening(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path)
    assert store.load().framework_id is None
    store.put_framework_id("fw-1")
    store.put_tasks([record("a", "PENDING"), record("b", "PENDING")])
    store.put_tasks([record("a", "TASK_FINISHED")])
    state = FileStateStore(tmp_path).load()
    assert state.framework_id == "fw-1"
    assert [(t.key, t.state) for t in state.tasks] == [("a", "TASK_FINISHED"), ("b", "PENDING")]


def test_a_line_cut_by_a_crash_is_ignored(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path)
    store.load()
    store.put_tasks([record("a", "PENDING")])
    with open(tmp_path / "journal.jsonl", "ab") as journal:
        journal.write(b'{"task":{"key":"b","spe')
    state = FileStateStore(tmp_path).load()
    assert [t.key for t in state.tasks] == ["a"]


def test_compaction_keeps_everything(tmp_path: Path) -> None:
    store = FileStateStore(tmp_path, compact_after=3)
    store.load()
    for i in range(10):
        store.put_tasks([record(f"t{i}", "PENDING")])
    store.put_framework_id(None)
    assert len((tmp_path / "journal.jsonl").read_bytes().splitlines()) < 3
    assert len(FileStateStore(tmp_path).load().tasks) == 10


def test_named_values_survive_reopening_and_compaction_and_none_removes_one(
    tmp_path: Path,
) -> None:
    store = FileStateStore(tmp_path, compact_after=2)
    store.load()
    store.put_data("schedule", '{"next": 3}')
    store.put_data("scratch", "x")
    store.put_data("schedule", '{"next": 4}')
    store.put_data("scratch", None)
    assert FileStateStore(tmp_path).load().data == {"schedule": '{"next": 4}'}


def test_a_value_name_must_fit_every_store(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="name: 1-200 letters"):
        FileStateStore(tmp_path).put_data("a/b", "x")


def test_read_sees_what_a_running_store_kept_and_writes_nothing(tmp_path: Path) -> None:
    writer = FileStateStore(tmp_path / "state", compact_after=3)
    with pytest.raises(FileNotFoundError, match="no framework state"):
        FileStateStore(tmp_path / "state").read()
    assert not (tmp_path / "state").exists()
    writer.load()
    writer.put_framework_id("fw-1")
    for i in range(3):  # the third line compacts: a snapshot and a journal both hold some
        writer.put_tasks([record(f"t{i}", "PENDING")])
    writer.put_tasks([record("t0", "TASK_FINISHED")])
    files = {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()}
    assert files["journal.jsonl"]
    state = FileStateStore(tmp_path / "state").read()
    assert state.framework_id == "fw-1"
    assert [(t.key, t.state) for t in state.tasks] == [
        ("t0", "TASK_FINISHED"),
        ("t1", "PENDING"),
        ("t2", "PENDING"),
    ]
    assert {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()} == files
