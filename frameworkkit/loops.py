"""Bridges between synchronous callers and the event loop a framework or executor runs on.

Standard library only: executors import it at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["in_loop", "on_loop", "run_blocking", "time_limit"]

T = TypeVar("T")


def in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the caller runs on ``loop`` right now."""
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def on_loop(loop: asyncio.AbstractEventLoop, function: Callable[..., object], *args: Any) -> None:
    """Call ``function(*args)`` on ``loop``: at once when called on it, else soon (any thread)."""
    if in_loop(loop):
        function(*args)
    else:
        loop.call_soon_threadsafe(function, *args)


def run_blocking(main: Callable[[], Coroutine[Any, Any, T]], *, name: str) -> T:
    """Run ``main()`` to completion from synchronous code and return its result.

    Where an event loop already runs in this thread (Jupyter), it runs in a new thread called
    ``name`` with a loop of its own, and this call blocks until it ends.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    outcome: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(asyncio.run(main()))
        except BaseException as exc:  # handed back to the caller's thread
            failure.append(exc)

    thread = threading.Thread(target=work, name=name)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


if sys.version_info >= (3, 11):
    time_limit = asyncio.timeout
else:

    @contextlib.asynccontextmanager
    async def time_limit(delay: float) -> AsyncIterator[None]:
        """What ``asyncio.timeout`` does from Python 3.11: cancel the block (in this same task)
        after ``delay`` seconds, raising TimeoutError."""
        task = asyncio.current_task()
        assert task is not None, "time_limit needs a running task"
        fired = False

        def fire() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        handle = asyncio.get_running_loop().call_later(delay, fire)
        try:
            yield
        except asyncio.CancelledError:
            if fired:
                raise TimeoutError from None
            raise
        finally:
            handle.cancel()
