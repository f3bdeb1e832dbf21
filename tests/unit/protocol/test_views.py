from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import addict
import pytest

from frameworkkit.protocol import views
from frameworkkit.protocol.codec import decode_executor_event, decode_scheduler_event
from frameworkkit.protocol.events import SchedulerEvent
from tests.unit.protocol import events_json as ev
from tests.unit.protocol.events_json import frame


@pytest.fixture
def built_views(monkeypatch: pytest.MonkeyPatch) -> list[addict.Dict]:
    """Every addict view the views module builds, in order."""
    built: list[addict.Dict] = []

    def build(data: Any) -> addict.Dict:
        built.append(addict.Dict(data))
        return built[-1]

    monkeypatch.setattr(views, "addict", SimpleNamespace(Dict=build))
    return built


def test_decoding_builds_no_view(built_views: list[addict.Dict]) -> None:
    decode_scheduler_event(frame(ev.OFFERS))
    decode_executor_event(frame(ev.EXECUTOR_EVENTS["LAUNCH"]))
    assert built_views == []


def test_the_view_is_built_once_and_cached(built_views: list[addict.Dict]) -> None:
    event = decode_scheduler_event(frame(ev.OFFERS))

    first = event.raw_view()
    second = event.raw_view()

    assert first is second
    assert len(built_views) == 1


def test_the_view_holds_every_field_mesos_sent() -> None:
    event = decode_scheduler_event(frame(ev.OFFERS))

    view = event.raw_view()

    assert isinstance(view, addict.Dict)
    assert view == ev.OFFERS
    assert view.offers.offers[0].url.address.port == 5051  # not in the typed model
    assert view.offers.offers[1].allocation_info.role == "analytics"


def test_raw_is_the_exact_frame() -> None:
    received = frame(ev.UPDATE)
    assert decode_scheduler_event(received).raw is received
    executor_frame = frame(ev.EXECUTOR_EVENTS["KILL"])
    assert decode_executor_event(executor_frame).raw is executor_frame


def test_an_event_built_in_code_views_its_own_encoding() -> None:
    event = SchedulerEvent(type="ERROR", error=None)
    assert event.raw_view() == {"type": "ERROR"}
