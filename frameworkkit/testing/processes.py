"""Process helpers for the test clusters: find a process's descendants and stop them by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path


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
