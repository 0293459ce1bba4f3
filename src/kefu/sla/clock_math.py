"""Deadlines of time-limit clocks (pure: no Django imports).

`calendars.business_time.add_business_minutes` moves forward by working time; a clock also
needs the reverse — how much working time lies between two moments — to carry the time
left at a suspension (挂起) over to the resumption. Both raise `CalendarYearMissing` for a
year without holiday data, never guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from kefu.calendars.business_time import BusinessCalendar, add_business_minutes

_DAY = dt.timedelta(days=1)


def business_minutes_between(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime
) -> float:
    """Working minutes in [start, end) on `calendar` (0 when end is not after start)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    if end <= start:
        return 0.0
    if calendar.always_open:
        return (end - start).total_seconds() / 60
    local_start, local_end = start.astimezone(calendar.tz), end.astimezone(calendar.tz)
    first, last = local_start.date(), local_end.date()
    full_day = sum(closes - opens for opens, closes in calendar.windows)
    seconds = 0.0
    day = first
    while day <= last:
        if not calendar.is_workday(day):  # raises CalendarYearMissing
            day += _DAY
            continue
        if first < day < last:
            seconds += full_day  # a whole working day inside the span
        else:
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=calendar.tz)
            for opens, closes in calendar.windows:
                low = max(midnight + dt.timedelta(seconds=opens), local_start)
                high = min(midnight + dt.timedelta(seconds=closes), local_end)
                if high > low:
                    seconds += (high - low).total_seconds()
        day += _DAY
    return seconds / 60


def shift_past_pause(
    calendar: BusinessCalendar,
    moment: dt.datetime,
    paused_at: dt.datetime,
    resumed_at: dt.datetime,
) -> dt.datetime:
    """Where `moment` (a deadline set before the pause) lands after the pause.

    A moment before the pause began has already passed and stays. A later one keeps the
    working time it had left at the pause, counted again from the resumption.
    """
    if moment <= paused_at:
        return moment
    left = business_minutes_between(calendar, paused_at, moment)
    return add_business_minutes(calendar, resumed_at, left)


def deadline(
    calendar: BusinessCalendar,
    start: dt.datetime,
    minutes: float,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]] = (),
) -> dt.datetime:
    """`start` plus `minutes` of working time, with the working time inside each finished
    pause (paused, resumed) not counted."""
    moment = add_business_minutes(calendar, start, minutes)
    for paused_at, resumed_at in sorted(pauses):
        moment = shift_past_pause(calendar, moment, paused_at, resumed_at)
    return moment
