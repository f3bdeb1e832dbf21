"""Chronos's schedules: repeats, starts, periods, time zones, and the run due at a moment."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from intervals import Period, Schedule, ScheduleError

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_repeats_start_and_period_are_read() -> None:
    schedule = Schedule.parse("R5/2030-01-01T06:00:00Z/PT30M")
    assert schedule.repeats == 5 and schedule.start == at("2030-01-01T06:00:00")
    assert schedule.has(4) and not schedule.has(5)
    forever = Schedule.parse("R//P1D")
    assert forever.repeats is None and forever.start is None and forever.has(10**9)
    assert not Schedule.parse("R0//P1D").has(0)
    start = at("2030-01-01T06:00:00")
    assert [schedule.occurrence(start, i) for i in range(3)] == [
        at("2030-01-01T06:00:00"),
        at("2030-01-01T06:30:00"),
        at("2030-01-01T07:00:00"),
    ]


def test_an_offset_in_the_start_is_kept_and_a_start_without_one_is_utc() -> None:
    offset = Schedule.parse("R/2030-01-01T06:00:00+02:00/PT1H")
    assert offset.start == at("2030-01-01T04:00:00")
    assert Schedule.parse("R/2030-01-01T06:00:00/PT1H").start == at("2030-01-01T06:00:00")


def test_periods_combine_calendar_parts_and_elapsed_time() -> None:
    period = Period.parse("P1Y2M3W4DT5H6M7.5S")
    assert (period.months, period.days) == (14, 25)
    assert period.elapsed == timedelta(hours=5, minutes=6, seconds=7.5)
    assert Period.parse("PT90S").seconds() == 90
    with pytest.raises(ScheduleError, match="weeks, days"):
        Period.parse("P1M").seconds()


def test_months_land_on_the_last_day_when_the_start_day_is_missing() -> None:
    schedule = Schedule.parse("R/2024-01-31T00:00:00Z/P1M")
    assert schedule.start is not None
    days = [schedule.occurrence(schedule.start, i).date().isoformat() for i in range(4)]
    assert days == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]


def test_a_time_zone_keeps_the_wall_clock_time_across_daylight_saving() -> None:
    # 06:00 in Berlin: 05:00 UTC in winter, 04:00 UTC once summer time began (31 March 2024);
    # the schedule's own "Z" gives way to the zone, as in Chronos
    schedule = Schedule.parse("R/2024-03-30T06:00:00Z/P1D", "Europe/Berlin")
    assert schedule.start is not None
    stored = datetime.fromisoformat(schedule.start.isoformat())  # as the runner keeps it
    assert [schedule.occurrence(stored, i).hour for i in range(3)] == [5, 4, 4]


def test_the_first_run_at_or_after_a_moment() -> None:
    schedule = Schedule.parse("R/2000-01-31T00:00:00Z/P1M")
    start = schedule.start
    assert start is not None
    index = schedule.first_at_or_after(start, at("2024-05-17T00:00:00"))
    assert schedule.occurrence(start, index) == at("2024-05-31T00:00:00")
    assert schedule.occurrence(start, index - 1) < at("2024-05-17T00:00:00")
    assert schedule.first_at_or_after(start, start - timedelta(days=1)) == 0
    seconds = Schedule.parse("R//PT2S")
    now = at("2030-01-01T00:00:00")
    assert seconds.first_at_or_after(now - timedelta(seconds=11), now) == 6


@pytest.mark.parametrize(
    ("text", "zone", "problem"),
    [
        ("R/2030-01-01/P1D/x", "", "is not R[n]/[start]/period"),
        ("X5//P1D", "", "is not R[n]/[start]/period"),
        ("R/tomorrow/P1D", "", "start 'tomorrow'"),
        ("R//1D", "", "not an ISO 8601 period"),
        ("R//P", "", "not an ISO 8601 period"),
        ("R//PT", "", "not an ISO 8601 period"),
        ("R//P1DT", "", "not an ISO 8601 period"),
        ("R//PT0.5S", "", "at least one second"),
        ("R//P1D", "Mars/Olympus", "not a time zone"),
    ],
)
def test_a_bad_schedule_says_which_part(text: str, zone: str, problem: str) -> None:
    with pytest.raises(ScheduleError, match=re.escape(problem)):
        Schedule.parse(text, zone)
