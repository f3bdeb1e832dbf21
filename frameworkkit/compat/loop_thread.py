"""A daemon thread that owns one asyncio event loop, as each compat driver needs."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["LoopThread"]

log = logging.getLogger("frameworkkit.compat")


class LoopThread:
    """Runs a driver's main coroutine on its own loop in a daemon thread.

    Use `run_on_loop()` to hand work to that loop from any thread, including callbacks running
    on it. A thread can run one coroutine; start a new `LoopThread` to run again.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start the thread running `main()`; return once its loop is running."""
        if self._thread is not None:
            raise RuntimeError(f"{self._name}: already started")
        self._thread = threading.Thread(target=self._run, args=(main,), name=self._name)
        self._thread.daemon = True
        self._thread.start()
        self._ready.wait()

    def is_current(self) -> bool:
        """Whether the caller runs on this thread (e.g. inside a callback)."""
        return self._thread is not None and self._thread is threading.current_thread()

    def run_on_loop(self, function: Callable[..., object], *args: object) -> bool:
        """Call `function(*args)` on the loop: now when on the loop's thread, else soon.

        Returns False, calling nothing, when the loop is not running (not started, or over).
        """
        if self.is_current():
            function(*args)
            return True
        with self._lock:
            if self._loop is None:
                return False
            self._loop.call_soon_threadsafe(function, *args)
            return True

    def join(self) -> None:
        """Wait for the main coroutine to return (at once if never started)."""
        if self.is_current():
            raise RuntimeError(f"{self._name}: join() from the driver's own thread never returns")
        if self._thread is not None:
            self._thread.join()

    def _run(self, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            asyncio.run(self._main(main))
        except Exception:
            log.exception("%s: the driver thread failed", self._name)
        finally:
            self._ready.set()

    async def _main(self, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
        with self._lock:
            self._loop = asyncio.get_running_loop()
        self._ready.set()
        try:
            await main()
        finally:
            with self._lock:
                self._loop = None
