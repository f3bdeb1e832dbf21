"""``runs.jsonl``: one JSON line per attempt of a run, or per skipped run, written once.

Each line says the job, the run (its scheduled time as ``20300101T060000Z``, or ``r<k>`` for
the k-th run of a dependent job), the scheduled time, the attempt, the Mesos task id, when it
started and ended, and its final state (``TASK_FINISHED``, ``TASK_FAILED``, ..., or
``SKIPPED``). A line is appended only if no line of the same job, run and attempt is there yet,
and is on disk when :meth:`RunLog.append` returns; a line cut by a crash is dropped on load.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec


class RunLine(msgspec.Struct, kw_only=True):
    job: str
    run: str
    scheduled: str
    attempt: int | None  # None for a skipped run
    state: str
    task_id: str | None = None
    start: str | None = None
    end: str | None = None

    @property
    def key(self) -> tuple[str, str, int | None]:
        return (self.job, self.run, self.attempt)


class RunLog:
    """The lines of ``path``, appended to at most once per key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[RunLine] = []
        self._keys: set[tuple[str, str, int | None]] = set()

    def load(self) -> RunLog:
        """Read what is there, dropping a last line cut by a crash."""
        data = self.path.read_bytes() if self.path.exists() else b""
        if data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
            with open(self.path, "r+b") as out:
                out.truncate(len(data))
        self.lines = [msgspec.json.decode(raw, type=RunLine) for raw in data.splitlines()]
        self._keys = {line.key for line in self.lines}
        return self

    def has(self, key: tuple[str, str, int | None]) -> bool:
        return key in self._keys

    def append(self, line: RunLine) -> None:
        """Append ``line`` durably, unless a line with its key is there already."""
        if line.key in self._keys:
            return
        with open(self.path, "ab") as out:
            out.write(msgspec.json.encode(line) + b"\n")
            out.flush()
            os.fsync(out.fileno())
        self.lines.append(line)
        self._keys.add(line.key)
