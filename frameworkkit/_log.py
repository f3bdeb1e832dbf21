"""Loggers for the executor's start path: :mod:`logging` loads only when a record is written.

:func:`get_logger` gives an object with the ``logging.Logger`` methods frameworkkit's executors
call. By default each record goes to ``logging.getLogger(name)``, so a process that configures
:mod:`logging` (a scheduler, a user's executor, a test) sees every record as usual. The command
executor program calls :func:`write_to_stderr` first: its log is its stderr (the agent keeps it
in the sandbox), and writing it directly spares every task's executor the import of
:mod:`logging` and what it pulls in (a sixth of the executor's start).
"""

from __future__ import annotations

import sys
import time

__all__ = ["DEBUG", "ERROR", "INFO", "WARNING", "Logger", "get_logger", "write_to_stderr"]

DEBUG, INFO, WARNING, ERROR = 10, 20, 30, 40
_LEVEL_NAMES = {DEBUG: "DEBUG", INFO: "INFO", WARNING: "WARNING", ERROR: "ERROR"}
_stderr_level: int | None = None  # set by write_to_stderr: records then bypass logging


class Logger:
    """Writes records for ``name``: through :mod:`logging`, or straight to stderr (see module)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def debug(self, message: str, *args: object) -> None:
        self._log(DEBUG, message, args)

    def info(self, message: str, *args: object) -> None:
        self._log(INFO, message, args)

    def warning(self, message: str, *args: object) -> None:
        self._log(WARNING, message, args)

    def error(self, message: str, *args: object) -> None:
        self._log(ERROR, message, args)

    def exception(self, message: str, *args: object) -> None:
        """An ERROR record with the traceback of the exception being handled."""
        self._log(ERROR, message, args, with_traceback=True)

    def _log(
        self, level: int, message: str, args: tuple[object, ...], with_traceback: bool = False
    ) -> None:
        if _stderr_level is None:
            import logging

            logging.getLogger(self.name).log(
                level, message, *args, exc_info=with_traceback, stacklevel=3
            )
        elif level >= _stderr_level:
            _write(self.name, level, message % args if args else message, with_traceback)


def get_logger(name: str) -> Logger:
    """The logger for ``name`` (``frameworkkit.executor``, ``frameworkkit.transport``)."""
    return Logger(name)


def write_to_stderr(level: int = INFO) -> None:
    """From now on write records of ``level`` and above to stderr, in the format of
    ``logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")``, without
    loading :mod:`logging`. For a program whose whole log is its stderr."""
    global _stderr_level
    _stderr_level = level


def _write(name: str, level: int, text: str, with_traceback: bool) -> None:
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    line = f"{stamp},{int(now % 1 * 1000):03d} {_LEVEL_NAMES[level]} {name}: {text}\n"
    if with_traceback:
        import traceback

        line += traceback.format_exc()
    sys.stderr.write(line)
    sys.stderr.flush()
