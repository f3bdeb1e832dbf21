"""The one rule for user hooks: async on the loop, plain in a worker thread, ordered per key."""

import asyncio
import contextvars
import threading
import time

import pytest

from frameworkkit.hooks import HookRunner, overrides

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_a_plain_hook_runs_off_the_loop_and_sees_the_callers_context() -> None:
    runner = HookRunner("test")
    loop_thread = threading.current_thread()
    seen: list[tuple[threading.Thread, str]] = []

    def plain(value: int) -> int:
        seen.append((threading.current_thread(), request_id.get()))
        return value * 2

    request_id.set("r-7")
    assert await runner.call(plain, 21) == 42
    assert seen[0][0] is not loop_thread
    assert seen[0][1] == "r-7"
    runner.close()


async def test_an_async_hook_runs_on_the_loop() -> None:
    runner = HookRunner("test")
    threads: list[threading.Thread] = []

    async def on_loop() -> str:
        threads.append(threading.current_thread())
        return "done"

    assert await runner.call(on_loop) == "done"
    assert threads == [threading.current_thread()]


async def test_a_blocking_plain_hook_does_not_stall_the_loop() -> None:
    runner = HookRunner("test")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    counting = asyncio.create_task(ticker())
    await runner.call(time.sleep, 0.3)
    counting.cancel()
    assert ticks >= 3  # the loop went on while the hook slept
    runner.close()


async def test_hooks_of_one_key_run_in_order_and_other_keys_do_not_wait() -> None:
    runner = HookRunner("test")
    order: list[str] = []
    release = threading.Event()

    def slow(name: str) -> None:
        release.wait(10)
        order.append(name)

    def quick(name: str) -> None:
        order.append(name)

    first = runner.schedule("a", slow, "a1")
    second = runner.schedule("a", quick, "a2")
    other = runner.schedule("b", quick, "b1")
    await asyncio.wait_for(other, 10)
    assert order == ["b1"]  # key b ran while a's first hook still blocked
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert order == ["b1", "a1", "a2"]
    assert await runner.drain(1)
    runner.close()


async def test_a_raising_hook_fails_its_future_and_the_next_one_of_its_key_still_runs() -> None:
    runner = HookRunner("test")

    def boom() -> None:
        raise ValueError("bad hook")

    failed = runner.schedule("k", boom)
    after = runner.schedule("k", lambda: "ran")
    with pytest.raises(ValueError, match="bad hook"):
        await failed
    assert await after == "ran"
    runner.close()


def test_overrides_tells_a_replaced_hook_from_the_default() -> None:
    class Base:
        def on_x(self) -> None: ...

        def on_y(self) -> None: ...

    class Mine(Base):
        def on_x(self) -> None: ...

    assert overrides(Mine(), Base, "on_x")
    assert not overrides(Mine(), Base, "on_y")
