"""How frameworkkit calls user hooks: one rule for schedulers, executors and the pymesos driver.

- An ``async def`` hook runs on the event loop: it must not block.
- A plain hook runs in a worker thread, off the loop, so it may block (file or network I/O, a
  slow computation) without stalling heartbeats, acknowledgements or offers. The thread sees
  the caller's context variables.
- Hooks given the same ordering key (a task, an executor's callbacks) run one after the other,
  in the order they were scheduled; hooks with different keys run concurrently.

Whoever schedules a hook decides what follows it: the scheduler acknowledges a status update
only once the update's hooks returned. Standard library only: executors import it at start.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["MAX_HOOK_THREADS", "HookRunner", "overrides"]

MAX_HOOK_THREADS = 256
"""Plain hooks running at once, per runner; more wait for a thread."""


def overrides(instance: object, base: type, name: str) -> bool:
    """Whether ``instance``'s class replaces ``base``'s method ``name`` (a hook worth calling)."""
    return getattr(type(instance), name, None) is not getattr(base, name, None)


class HookRunner:
    """Calls hooks, plain or ``async def``, by the rule in this module's docstring.

    Create one per framework or executor, on its event loop's side; :meth:`close` it when done.
    """

    def __init__(self, name: str, *, max_threads: int = MAX_HOOK_THREADS) -> None:
        self._name = name
        self._max_threads = max_threads
        self._threads: ThreadPoolExecutor | None = None
        self._tails: dict[Hashable, asyncio.Future[Any]] = {}

    async def call(self, hook: Callable[..., Any], *args: Any) -> Any:
        """Run ``hook(*args)`` now and return its result; raise what it raised."""
        if inspect.iscoroutinefunction(hook):
            return await hook(*args)
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self._max_threads, f"{self._name}-hook")
        context = contextvars.copy_context()
        work = functools.partial(context.run, hook, *args)
        result = await asyncio.get_running_loop().run_in_executor(self._threads, work)
        if inspect.isawaitable(result):  # a plain function that returned a coroutine
            return await result
        return result

    def schedule(self, key: Hashable, hook: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Run ``hook(*args)`` once the earlier hooks scheduled under ``key`` have returned.

        Returns a future of its result (or of what it raised). Call on the event loop.
        """
        previous = self._tails.get(key)
        future = asyncio.ensure_future(self._after(previous, hook, args))
        self._tails[key] = future
        future.add_done_callback(functools.partial(self._forget, key))
        return future

    def busy(self, key: Hashable) -> bool:
        """Whether hooks scheduled under ``key`` have yet to return."""
        return key in self._tails

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every scheduled hook has returned; False if ``timeout`` passed first."""
        pending = list(self._tails.values())
        if not pending:
            return True
        _, still = await asyncio.wait(pending, timeout=timeout)
        return not still

    def close(self) -> None:
        """Let the worker threads end once their hooks return; the runner can start them anew."""
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=False)

    async def _after(
        self, previous: asyncio.Future[Any] | None, hook: Callable[..., Any], args: tuple[Any, ...]
    ) -> Any:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        return await self.call(hook, *args)

    def _forget(self, key: Hashable, future: asyncio.Future[Any]) -> None:
        if self._tails.get(key) is future:
            del self._tails[key]
