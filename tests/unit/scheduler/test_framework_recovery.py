"""The Framework survives what a broken network or peer sends, through the transport seam.

A real master cannot be made to send a malformed event, cut a frame or answer 503 forever, so
these use the transport's unit-test seam (`tests/unit/transport/fake_master.py`).
"""

import asyncio
import json
import logging
import random
from pathlib import Path

import pytest

from frameworkkit.scheduler import Framework, TaskSpec
from frameworkkit.transport import BackoffPolicy, HttpAnswer, HttpRequest, TransportOptions
from tests.unit.transport.fake_master import SUBSCRIBED, FakeMaster, event, framed, stream


def no_wait_options() -> TransportOptions:
    async def instant(delay: float) -> None:
        await asyncio.sleep(0)

    return TransportOptions(backoff=BackoffPolicy(rng=random.Random(7), sleep=instant))


def calls_of(master: FakeMaster, kind: str) -> list[dict[str, object]]:
    bodies = [json.loads(r.body) for r in master.requests if r.body]
    return [b for b in bodies if b.get("type") == kind]


async def test_malformed_events_cut_frames_and_503s_end_in_resubscription(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    answers = iter(
        [
            HttpAnswer(503),
            HttpAnswer(503),
            # malformed JSON, an event of a wrong shape, then a frame cut in the middle
            stream(
                [framed(SUBSCRIBED, b"{not json", event("UPDATE", update=7)), b'40\n{"ty'],
                then="end",
            ),
            stream([framed(SUBSCRIBED)], then="hang"),
        ]
    )

    def handler(request: HttpRequest) -> HttpAnswer:
        is_subscribe = json.loads(request.body)["type"] == "SUBSCRIBE"
        return next(answers) if is_subscribe else HttpAnswer(202)

    master = FakeMaster(handler)
    fw = Framework(
        "http://127.0.0.1:5050", state_dir=tmp_path, transport=master, options=no_wait_options()
    )

    async def stop_when_resubscribed() -> None:
        while fw.metrics.subscriptions < 2:
            await asyncio.sleep(0.01)
        fw.stop()

    await asyncio.wait_for(
        asyncio.gather(fw.run_async(until="forever"), stop_when_resubscribed()), timeout=20
    )
    assert len(calls_of(master, "SUBSCRIBE")) == 4
    assert fw.framework_id == "fw-1"
    assert "does not decode" in caplog.text
    assert "subscribing again" in caplog.text
    assert "503" in caplog.text


async def test_submit_checks_its_argument(tmp_path: Path) -> None:
    fw = Framework("http://127.0.0.1:5050", state_dir=tmp_path)
    with pytest.raises(TypeError, match=r"specs\[0\]: must be a TaskSpec"):
        fw.submit({"name": "x"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="role"):
        Framework("http://127.0.0.1:5050", state_dir=tmp_path, role="a b")
    with pytest.raises(ValueError, match="failover_timeout"):
        Framework("http://127.0.0.1:5050", state_dir=tmp_path, failover_timeout=-1)
    with pytest.raises(ValueError, match="role: task 'other'"):
        fw.submit(TaskSpec(name="other", command="true", role="batch"))
    assert fw.submit(TaskSpec(name="ok", command="true")).state.value == "PENDING"


async def test_own_values_are_kept_beside_the_tasks_from_any_thread_and_found_again(
    tmp_path: Path,
) -> None:
    def handler(request: HttpRequest) -> HttpAnswer:
        is_subscribe = json.loads(request.body)["type"] == "SUBSCRIBE"
        return stream([framed(SUBSCRIBED)]) if is_subscribe else HttpAnswer(202)

    fw = Framework("http://127.0.0.1:5050", state_dir=tmp_path, transport=FakeMaster(handler))
    fw.put_data("definition", '{"v": 1}')  # before the run: written at once
    runner = asyncio.create_task(fw.run_async(until="forever"))
    while not fw.framework_id:
        await asyncio.sleep(0.01)
    # while it runs, from a worker thread (as a plain hook would): handed to the run's loop
    await asyncio.to_thread(fw.put_data, "definition", '{"v": 2}')
    await asyncio.to_thread(fw.put_data, "cursor", "7")
    assert fw.get_data("definition") == '{"v": 2}'
    fw.stop()
    await asyncio.wait_for(runner, 10)
    again = Framework("http://127.0.0.1:5050", state_dir=tmp_path)
    assert (again.get_data("definition"), again.get_data("cursor")) == ('{"v": 2}', "7")
    again.put_data("cursor", None)
    assert Framework("http://127.0.0.1:5050", state_dir=tmp_path).get_data("cursor") is None
    with pytest.raises(ValueError, match="name: 1-200 letters"):
        again.get_data("no spaces")
    with pytest.raises(TypeError, match="value: a str or None"):
        again.put_data("cursor", 7)  # type: ignore[arg-type]
