"""Business-time arithmetic (pure: no Django imports).

A due time is "start + N minutes of working time" on a calendar:

- `24x7`: every minute counts.
- `cn-standard`: 09:00–12:00 and 13:00–18:00 Asia/Shanghai on Chinese working days —
  Monday to Friday, minus statutory holidays, plus the make-up working days (调休) the State
  Council announces each year.

A year the calendar has no holiday data for is an error (`CalendarYearMissing`), never a
silent guess: treating a Spring Festival week as working days would make every time limit
in it wrong. Where a time limit must still run (warnings, escalation), the caller asks
for `calendar.provisional()`: the same calendar with every missing year counted on
weekends only (Saturday and Sunday off, no holidays), and marks the result 暂定.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
STANDARD_WINDOWS = ((9 * 3600, 12 * 3600), (13 * 3600, 18 * 3600))  # seconds after midnight
_DAY = dt.timedelta(days=1)


class CalendarYearMissing(LookupError):
    def __init__(self, calendar: str, year: int):
        super().__init__(f"calendar {calendar!r} has no holiday data for {year}")
        self.calendar = calendar
        self.year = year


@dataclass(frozen=True)
class BusinessCalendar:
    name: str
    always_open: bool = False
    windows: tuple[tuple[int, int], ...] = STANDARD_WINDOWS
    holidays: frozenset[int] = frozenset()  # date ordinals off although Monday–Friday
    workdays: frozenset[int] = frozenset()  # date ordinals on although Saturday/Sunday
    years: frozenset[int] = frozenset()
    tz: dt.tzinfo = SHANGHAI
    # A provisional calendar (暂定) counts a year without holiday data on weekends only
    # instead of raising CalendarYearMissing.
    weekends_beyond: bool = False

    @classmethod
    def standard(
        cls,
        name: str,
        *,
        holidays: Iterable[dt.date],
        workdays: Iterable[dt.date],
        years: Iterable[int],
    ) -> BusinessCalendar:
        return cls(
            name=name,
            holidays=frozenset(d.toordinal() for d in holidays),
            workdays=frozenset(d.toordinal() for d in workdays),
            years=frozenset(years),
        )

    def provisional(self) -> BusinessCalendar:
        """This calendar, with each year it has no holiday data for counted Monday–Friday."""
        return replace(self, weekends_beyond=True)

    def is_workday(self, day: dt.date) -> bool:
        if day.year not in self.years and not self.weekends_beyond:
            raise CalendarYearMissing(self.name, day.year)
        return self._open(day.toordinal())

    def _open(self, ordinal: int) -> bool:
        if ordinal in self.workdays:
            return True
        # date(1, 1, 1) has ordinal 1 and is a Monday.
        return (ordinal - 1) % 7 < 5 and ordinal not in self.holidays


def add_business_minutes(
    calendar: BusinessCalendar, start: dt.datetime, minutes: int | float
) -> dt.datetime:
    """The moment `minutes` of working time after `start` (an aware datetime).

    Time before a window opens counts from the opening; a result that lands exactly on a
    window's end stays there (12:00, not 13:00). Returned in the calendar's time zone.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    local = start.astimezone(calendar.tz)
    if calendar.always_open or minutes == 0:
        return local + dt.timedelta(minutes=minutes)
    remaining = minutes * 60
    day = local.date()
    position = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    ordinal = day.toordinal()
    year = day.year
    years = calendar.years
    windows = calendar.windows
    strict = not calendar.weekends_beyond
    while True:
        if strict and year not in years:
            raise CalendarYearMissing(calendar.name, year)
        if calendar._open(ordinal):
            for opens, closes in windows:
                if position >= closes:
                    continue
                begin = opens if position < opens else position
                available = closes - begin
                if remaining <= available:
                    midnight = dt.datetime.combine(
                        dt.date.fromordinal(ordinal), dt.time(), tzinfo=calendar.tz
                    )
                    return midnight + dt.timedelta(seconds=begin + remaining)
                remaining -= available
                position = closes
        ordinal += 1
        position = 0
        year = dt.date.fromordinal(ordinal).year
