"""A command run by a test, its stdout read line by line as it comes (stderr kept in a file)."""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from pathlib import Path


class CommandLines:
    """Start ``argv``; :meth:`expect` waits for a line matching a pattern, keeping every line."""

    def __init__(self, argv: list[str], stderr: Path) -> None:
        self.stderr_path = stderr
        with open(stderr, "wb") as errors:
            self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first new line matching ``pattern``; AssertionError if the output ends first or
        ``timeout`` seconds pass without a line."""
        compiled = re.compile(pattern)
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}: {self.output()}") from None
            if line is None:
                raise AssertionError(f"ended before a line matching {pattern!r}: {self.output()}")
            self.lines.append(line)
            match = compiled.search(line)
            if match:
                return match

    def finish(self, timeout: float) -> int:
        """Wait for the command to end; its exit status (every line read)."""
        try:
            status = self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(line)
        return status

    def output(self) -> str:
        """Every line read so far, and the end of stderr, to explain a failure."""
        errors = self.stderr_path.read_text(errors="replace")[-3000:]
        return "\n".join(self.lines) + f"\n--- stderr (end) ---\n{errors}"
