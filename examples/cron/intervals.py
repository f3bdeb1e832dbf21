"""Chronos's schedules: ISO 8601 repeating intervals ``R[n]/<start>/<period>``.

``R5/2030-01-01T06:00:00Z/P1D`` runs five times, daily from that start; a bare ``R`` repeats
forever; an empty start means "now" (fixed when the job is first seen); ``R0`` never runs.
``scheduleTimeZone`` (a tz database name such as ``Europe/Berlin``) keeps the start's
wall-clock time in that zone, ignoring the offset written in the schedule, so a daily 06:00
stays 06:00 local across daylight-saving changes: years, months, weeks and days are added on
the calendar in that zone, hours, minutes and seconds as elapsed time.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_PERIOD = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_AVERAGE_MONTH = timedelta(days=365.2425 / 12)


class ScheduleError(ValueError):
    """A schedule, period or time zone that cannot be read; the message says which part."""


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration ``PnYnMnWnDTnHnMnS``: calendar months and days, and elapsed time."""

    months: int = 0
    days: int = 0
    elapsed: timedelta = timedelta()

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _PERIOD.match(text)
        if found is None or text in ("P", "PT") or text.endswith("T"):
            raise ScheduleError(f"{text!r} is not an ISO 8601 period like P1D or PT30M")
        part = {k: float(v) if v else 0.0 for k, v in found.groupdict().items()}
        period = cls(
            months=int(part["years"] * 12 + part["months"]),
            days=int(part["weeks"] * 7 + part["days"]),
            elapsed=timedelta(
                hours=part["hours"], minutes=part["minutes"], seconds=part["seconds"]
            ),
        )
        if period.approximate < timedelta(seconds=1):
            raise ScheduleError(f"{text!r}: a period of at least one second, please")
        return period

    @property
    def approximate(self) -> timedelta:
        """About how long it is (months of average length)."""
        return self.months * _AVERAGE_MONTH + timedelta(days=self.days) + self.elapsed

    def seconds(self) -> float:
        """Its length in seconds, for periods without months (an epsilon)."""
        if self.months:
            raise ScheduleError("give it in weeks, days, hours, minutes or seconds")
        return (timedelta(days=self.days) + self.elapsed).total_seconds()

    def times(self, start: datetime, count: int) -> datetime:
        """``start`` plus ``count`` periods: calendar parts on the wall clock of ``start``'s
        zone, then elapsed time."""
        wall = start.replace(tzinfo=None)
        months = wall.month - 1 + self.months * count
        year, month = wall.year + months // 12, months % 12 + 1
        day = min(wall.day, _days_in(year, month))  # Jan 31 + 1 month = Feb 28 (or 29)
        wall = wall.replace(year=year, month=month, day=day) + timedelta(days=self.days * count)
        local = wall.replace(tzinfo=start.tzinfo)
        return (local.astimezone(timezone.utc) + self.elapsed * count).astimezone(start.tzinfo)


@dataclass(frozen=True)
class Schedule:
    """When a job runs: ``repeats`` times (None: forever) from ``start``, every ``period``, on
    the calendar of ``zone`` (None: that of the start's own offset)."""

    repeats: int | None
    start: datetime | None  # None: "now", fixed when the job is first seen
    period: Period
    zone: tzinfo | None = None

    @classmethod
    def parse(cls, text: str, time_zone: str = "") -> Schedule:
        parts = text.split("/")
        if len(parts) != 3 or not re.fullmatch(r"R\d*", parts[0]):
            raise ScheduleError(
                f"{text!r} is not R[n]/[start]/period (e.g. R/2030-01-01T06:00:00Z/P1D)"
            )
        repeats = int(parts[0][1:]) if len(parts[0]) > 1 else None
        zone = _zone(time_zone) if time_zone else None
        start = _start(parts[1], zone) if parts[1] else None
        return cls(repeats, start, Period.parse(parts[2]), zone)

    def occurrence(self, start: datetime, index: int) -> datetime:
        """The time of run ``index`` (0 is the first) from ``start``, in UTC."""
        local = start.astimezone(self.zone) if self.zone is not None else start
        return self.period.times(local, index).astimezone(timezone.utc)

    def first_at_or_after(self, start: datetime, moment: datetime) -> int:
        """The index of the first run at ``moment`` or later (may be past ``repeats``)."""
        if moment <= start:
            return 0
        index = max(0, math.floor((moment - start) / self.period.approximate) - 2)
        while index > 0 and self.occurrence(start, index) >= moment:
            index -= 1
        while self.occurrence(start, index) < moment:
            index += 1
        return index

    def has(self, index: int) -> bool:
        """Whether run ``index`` is part of the schedule."""
        return self.repeats is None or index < self.repeats


def _start(text: str, zone: tzinfo | None) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScheduleError(
            f"start {text!r} is not an ISO 8601 time like 2030-01-01T06:00:00Z"
        ) from None
    if zone is not None:  # the wall-clock time, in that zone (as Chronos does)
        return moment.replace(tzinfo=zone)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name!r} is not a time zone of the tz database") from None


def _days_in(year: int, month: int) -> int:
    following = datetime(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
