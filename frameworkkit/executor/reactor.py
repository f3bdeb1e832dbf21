"""A one-thread event loop for executors that start without asyncio: callbacks, timers, threads.

asyncio alone costs more CPU to import than a command executor may spend starting, so the
command executor runs on a :class:`Reactor`: whatever happens (an agent event, a process end, a
timer) becomes a callback run on the reactor's thread, one at a time, so the executor's state
needs no locks. Blocking work (waiting for a process, probing a task's health) runs in a thread
of its own that hands its outcome back with :meth:`Reactor.call_soon`.
"""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
import time

from frameworkkit._log import get_logger

TYPE_CHECKING = False  # typing's would load typing, at every executor's start
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = ["Reactor", "Timer"]

logger = get_logger("frameworkkit.executor")


class Timer:
    """A callback due at ``when`` (the reactor's clock); :meth:`cancel` it to drop it."""

    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Reactor:
    """Runs callbacks one at a time on the thread that called :meth:`run`, until :meth:`stop`.

    :meth:`call_soon` and :meth:`stop` are safe from any thread and from signal handlers;
    :meth:`call_later` is for the reactor's own thread. A callback that raises is logged and
    the reactor goes on.
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[..., object], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._thread: int | None = None
        self._stopped = False

    @staticmethod
    def time() -> float:
        """The reactor's clock (monotonic seconds)."""
        return time.monotonic()

    def on_thread(self) -> bool:
        """Whether the caller runs on the reactor's thread."""
        return self._thread == threading.get_ident()

    def call_soon(self, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` on the reactor's thread, after the callbacks queued before."""
        self._calls.put((callback, args))

    def call(self, callback: Callable[..., object], *args: Any) -> None:
        """Run ``callback(*args)`` now when on the reactor's thread, else soon (any thread)."""
        if self.on_thread():
            callback(*args)
        else:
            self.call_soon(callback, *args)

    def call_later(self, delay: float, callback: Callable[..., object], *args: Any) -> Timer:
        """Run ``callback(*args)`` in ``delay`` seconds (from the reactor's thread)."""
        timer = Timer(self.time() + max(0.0, delay), callback, args)
        heapq.heappush(self._timers, (timer.when, next(self._order), timer))
        return timer

    def in_thread(
        self,
        work: Callable[[], T],
        then: Callable[[T | None, BaseException | None], object],
        *,
        name: str,
    ) -> None:
        """Run blocking ``work()`` in a new thread; then ``then(result, error)`` on the reactor."""

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # handed to ``then``, which decides
                self.call_soon(then, None, exc)
            else:
                self.call_soon(then, result, None)

        threading.Thread(target=run, name=name, daemon=True).start()

    def stop(self) -> None:
        """End :meth:`run` once the callbacks queued before have run (any thread)."""
        self.call_soon(self._halt)

    def run(self) -> None:
        """Run callbacks and timers until :meth:`stop`."""
        self._thread = threading.get_ident()
        self._stopped = False
        try:
            while not self._stopped:
                try:
                    callback, args = self._calls.get(timeout=self._wait())
                except queue.Empty:
                    pass
                else:
                    self._run(callback, args)
                self._run_due_timers()
        finally:
            self._thread = None

    def _wait(self) -> float | None:
        """Seconds until the next timer is due (None: no timer)."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        if not self._timers:
            return None
        return max(0.0, self._timers[0][0] - self.time())

    def _run_due_timers(self) -> None:
        now = self.time()
        while self._timers and self._timers[0][0] <= now and not self._stopped:
            timer = heapq.heappop(self._timers)[2]
            if not timer.cancelled:
                self._run(timer.callback, timer.args)

    def _run(self, callback: Callable[..., object], args: tuple[Any, ...]) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("an executor callback raised")

    def _halt(self) -> None:
        self._stopped = True
