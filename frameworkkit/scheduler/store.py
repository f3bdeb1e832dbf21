"""Where a framework keeps what must survive a restart: its id, every submitted task, and
named values of its own (``Framework.put_data``).

Use :class:`FileStateStore` (a local directory, the default) for a single scheduler process and
:class:`ZooKeeperStateStore` when several scheduler instances fail over to each other. Both write
the whole state atomically, so a crash mid-write leaves the previous version intact.
:class:`GroupCommit` batches the writes of many status updates into one.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from frameworkkit._lazy import optional


class TaskRecord(msgspec.Struct, kw_only=True):
    """One submitted task as persisted: its spec (as builtins), progress and current attempt."""

    key: str
    spec: dict[str, object]
    state: str
    attempts: int = 0
    retries: int = 0  # attempts that failed on their own
    relaunches: int = 0  # attempts lost to the cluster
    task_id: str | None = None  # the Mesos task id of the current attempt
    framework_id: str | None = None  # the framework that launched it
    agent_id: str | None = None
    hostname: str | None = None
    executor_id: str | None = None
    ports: list[int] = []  # the host ports the current attempt was given
    launched_at: float | None = None  # wall-clock seconds, of the current attempt
    started_at: float | None = None  # when it reached TASK_RUNNING
    ended_at: float | None = None  # when it ended
    not_before: float = 0.0  # wall-clock time before which a retry must not launch
    message: str | None = None
    reason: str | None = None


class FrameworkState(msgspec.Struct, kw_only=True):
    """The framework id Mesos gave us, every task we were asked to run, and the framework's own
    named values."""

    framework_id: str | None = None
    tasks: list[TaskRecord] = []
    data: dict[str, str] = {}


DATA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
"""What names a value of the framework's own (also a znode name in ZooKeeper)."""


def check_data_name(name: object) -> str:
    """``name`` if it can name a value in every store; ValueError naming the problem if not."""
    if not isinstance(name, str) or not DATA_NAME.match(name):
        raise ValueError(
            f"name: 1-200 letters, digits, '.', '_' or '-', not starting with a symbol; "
            f"got {name!r}"
        )
    return name


class StateStore(Protocol):
    """Keeps a :class:`FrameworkState` durable, one change at a time.

    ``put_tasks`` upserts records by ``key``; a call returns only once its records are durable,
    so a caller may then acknowledge the status updates that caused them.
    """

    def load(self) -> FrameworkState: ...

    def put_framework_id(self, framework_id: str | None) -> None: ...

    def put_tasks(self, records: Sequence[TaskRecord]) -> None: ...

    def put_data(self, name: str, value: str | None) -> None:
        """Keep ``value`` under ``name`` (None removes it); durable when it returns."""
        ...


class GroupCommit:
    """Writes task records to a :class:`StateStore` in batches: one ``put_tasks`` per turn of the
    event loop, for every task marked during it, each with its record as it is at the write.

    Use it where many changes come at once and each must be durable before it is acted on (a
    status update before its acknowledgement): await what :meth:`mark` returns. Records are
    taken at the write, so a batch never writes a task older than a direct ``put_tasks`` of it
    made meanwhile. Call on the event loop.
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self._marked: dict[str, Callable[[], TaskRecord]] = {}
        self._written: asyncio.Future[None] | None = None

    def mark(self, key: str, record: Callable[[], TaskRecord]) -> asyncio.Future[None]:
        """Write task ``key`` (``record()`` gives its record) with the next batch; the future
        is done once it is durable, or has the batch's error."""
        written = self._written
        if written is None:
            loop = asyncio.get_running_loop()
            written = self._written = loop.create_future()
            loop.call_soon(self._write)
        self._marked[key] = record
        return written

    async def flush(self) -> None:
        """Wait for the batch being gathered, if any, to be written (its error is the
        marked tasks' business, not raised here)."""
        written = self._written
        if written is not None:
            await asyncio.wait([written])

    def _write(self) -> None:
        marked, written = self._marked, self._written
        self._marked, self._written = {}, None
        assert written is not None
        try:
            self.store.put_tasks([record() for record in marked.values()])
        except Exception as exc:
            written.set_exception(exc)
        else:
            written.set_result(None)


class _JournalLine(msgspec.Struct, omit_defaults=True):
    framework_id: str | None = None
    clear_framework_id: bool = False
    task: TaskRecord | None = None
    data_name: str | None = None
    data: str | None = None  # with data_name: the value, None to remove it


_ENCODER = msgspec.json.Encoder()
_STATE = msgspec.json.Decoder(FrameworkState)
_LINE = msgspec.json.Decoder(_JournalLine)


def _apply(state: FrameworkState, line: _JournalLine, index: dict[str, int]) -> None:
    if line.clear_framework_id:
        state.framework_id = None
    elif line.framework_id is not None:
        state.framework_id = line.framework_id
    if line.data_name is not None:
        if line.data is None:
            state.data.pop(line.data_name, None)
        else:
            state.data[line.data_name] = line.data
    if line.task is not None:
        at = index.get(line.task.key)
        if at is None:
            index[line.task.key] = len(state.tasks)
            state.tasks.append(line.task)
        else:
            state.tasks[at] = line.task


def _version(path: Path) -> tuple[int, int] | None:
    """What changes when ``path`` is replaced or written."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


class FileStateStore:
    """State in a directory: a snapshot (``state.json``) plus an append-only journal.

    Each change is one appended, fsynced line; the journal is folded into a new snapshot (written
    to a temporary file, fsynced and renamed) when it grows past ``compact_after`` lines and when
    the store is loaded. A line cut by a crash is ignored: its change was never acknowledged.
    """

    def __init__(self, directory: str | os.PathLike[str], *, compact_after: int = 20_000) -> None:
        self.directory = Path(directory).expanduser()
        self.snapshot = self.directory / "state.json"
        self.journal = self.directory / "journal.jsonl"
        self.compact_after = compact_after
        self._lines = 0
        self._state = FrameworkState()
        self._index: dict[str, int] = {}

    def load(self) -> FrameworkState:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._state, self._index = self._fold()
        self._compact()
        return msgspec.structs.replace(
            self._state, tasks=list(self._state.tasks), data=dict(self._state.data)
        )

    def read(self) -> FrameworkState:
        """The state as kept, writing nothing: for a reader beside the scheduler that keeps it
        (``frameworkkit tasks``). FileNotFoundError when the directory holds no state."""
        if not self.snapshot.exists() and not self.journal.exists():
            raise FileNotFoundError(f"no framework state in {self.directory}")
        while True:
            before = _version(self.snapshot)
            state, _ = self._fold()
            if _version(self.snapshot) == before:  # else compacted meanwhile: read again
                return state

    def _fold(self) -> tuple[FrameworkState, dict[str, int]]:
        """The snapshot with the journal applied, and the task index."""
        state = _STATE.decode(self.snapshot.read_bytes()) if self.snapshot.exists() else None
        state = state or FrameworkState()
        index = {t.key: i for i, t in enumerate(state.tasks)}
        if self.journal.exists():
            for raw in self.journal.read_bytes().splitlines():
                try:
                    line = _LINE.decode(raw)
                except msgspec.DecodeError:
                    continue  # the last line, cut by a crash before it was durable
                _apply(state, line, index)
        return state, index

    def put_framework_id(self, framework_id: str | None) -> None:
        line = _JournalLine(framework_id=framework_id, clear_framework_id=framework_id is None)
        self._append([line])

    def put_tasks(self, records: Sequence[TaskRecord]) -> None:
        if records:
            self._append([_JournalLine(task=r) for r in records])

    def put_data(self, name: str, value: str | None) -> None:
        self._append([_JournalLine(data_name=check_data_name(name), data=value)])

    def _append(self, lines: list[_JournalLine]) -> None:
        for line in lines:
            _apply(self._state, line, self._index)
        with open(self.journal, "ab") as out:
            out.write(b"".join(_ENCODER.encode(line) + b"\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
        self._lines += len(lines)
        if self._lines >= self.compact_after:
            self._compact()

    def _compact(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".state-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_ENCODER.encode(self._state))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.snapshot)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with open(self.journal, "wb") as out:
            os.fsync(out.fileno())
        self._lines = 0

    def __repr__(self) -> str:
        return f"FileStateStore({str(self.directory)!r})"


class ZooKeeperStateStore:
    """State in ZooKeeper under ``path``: the framework id in one znode, one znode per task
    (``tasks/<name>``) and one per named value (``data/<name>``).

    Use it with several scheduler instances so the one that takes over finds the framework id and
    the pending work (``hosts`` like ``"127.0.0.1:2181"``, ``path`` like ``/crunch``). Each
    ``put_tasks`` is one ZooKeeper transaction.
    """

    def __init__(self, hosts: str, path: str, *, timeout: float = 10.0) -> None:
        kazoo = optional("kazoo.client", "zookeeper", "ZooKeeperStateStore")

        if not path.startswith("/") or path.endswith("/"):
            raise ValueError(f"path: a znode path starts and does not end with '/', got {path!r}")
        self.path = path
        self._client = kazoo.KazooClient(hosts=hosts, timeout=timeout)
        self._client.start(timeout=timeout)
        self._client.ensure_path(f"{path}/tasks")
        self._client.ensure_path(f"{path}/data")
        self._known: set[str] = set()

    def load(self) -> FrameworkState:
        framework_id, _ = self._client.get(self.path)
        tasks = []
        for name in sorted(self._client.get_children(f"{self.path}/tasks")):
            data, _ = self._client.get(f"{self.path}/tasks/{name}")
            tasks.append(msgspec.json.decode(data, type=TaskRecord))
        self._known = {t.key for t in tasks}
        data = {}
        for name in self._client.get_children(f"{self.path}/data"):
            value, _ = self._client.get(f"{self.path}/data/{name}")
            data[name] = value.decode()
        return FrameworkState(framework_id=framework_id.decode() or None, tasks=tasks, data=data)

    def put_framework_id(self, framework_id: str | None) -> None:
        self._client.set(self.path, (framework_id or "").encode())

    def put_tasks(self, records: Sequence[TaskRecord]) -> None:
        transaction = self._client.transaction()
        for record in records:
            node, data = f"{self.path}/tasks/{record.key}", _ENCODER.encode(record)
            if record.key in self._known:
                transaction.set_data(node, data)
            else:
                transaction.create(node, data)
        results = transaction.commit()
        failures = [r for r in results if isinstance(r, Exception)]
        if failures:
            raise RuntimeError(f"ZooKeeper state update failed: {failures[0]!r}")
        self._known.update(r.key for r in records)

    def put_data(self, name: str, value: str | None) -> None:
        node = f"{self.path}/data/{check_data_name(name)}"
        if value is None:
            if self._client.exists(node):
                self._client.delete(node)
        elif self._client.exists(node):
            self._client.set(node, value.encode())
        else:
            self._client.create(node, value.encode())

    def close(self) -> None:
        self._client.stop()
        self._client.close()

    def __repr__(self) -> str:
        return f"ZooKeeperStateStore({self.path!r})"
