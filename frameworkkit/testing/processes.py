"""Processes of the test services: start one, find its descendants, stop them all by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from typing_extensions import Self


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name is in parentheses and may contain spaces: split after the last ')'
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int) -> list[int]:
    """Every live process below ``root`` in the process tree (children first found first)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            parent = _parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop_tree(root: int, timeout: float = 10.0) -> None:
    """SIGTERM ``root``, wait up to ``timeout`` s, then SIGKILL it and every process it started.

    The descendants are listed before the signal, so executors that outlive their agent (Mesos
    executors do) are found and ended too.
    """
    family = descendants(root)
    _signal(root, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    family += [p for p in descendants(root) if p not in family]
    for pid in [root, *family]:
        if alive(pid):
            _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while any(alive(p) for p in family) and time.monotonic() < deadline:
        time.sleep(0.05)


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


class LocalService:
    """Base of the test services: one background process of ours in a work directory.

    Subclasses implement :meth:`start` (which calls :meth:`_spawn`). :meth:`stop` ends the
    process and everything it started; :meth:`close` also removes a temporary work directory.
    Use a service as a context manager to get both.
    """

    def __init__(self, work_dir: Path | str | None, prefix: str) -> None:
        self._owned_work_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix=prefix))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Self:
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def running(self) -> bool:
        return self._process is not None and alive(self._process.pid)

    def _spawn(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        """Start ``argv`` in a session of its own, output appended to ``log_path``."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(
                argv,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _exit_status(self) -> int | None:
        """The process's exit status if it has ended, else None."""
        return self._process.poll() if self._process else None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process and every process it started; idempotent."""
        if self._process is None:
            return
        stop_tree(self._process.pid, timeout)
        self._process.wait()
        self._process = None

    def close(self) -> None:
        """Stop and, if the work directory was a temporary one, remove it."""
        self.stop()
        if self._owned_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def free_port(ip: str = "127.0.0.1") -> int:
    """A TCP port on ``ip`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((ip, 0))
        port: int = sock.getsockname()[1]
        return port
