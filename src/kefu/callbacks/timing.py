"""When a callback is due (pure: no Django).

A callback is due the same business day as the resolution, at the latest `limit_days`
business days after it (001:488). On the working-hours calendar, "the same business day"
ends when that day's last window closes; an order resolved after hours, on a weekend or a
holiday is due by the end of the next working day. The limit is counted in working time
(a business day = the calendar's daily working minutes), so it crosses a holiday week and
counts its make-up working days (调休) as the SLA time limits do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kefu.calendars.business_time import BusinessCalendar, add_business_minutes


@dataclass(frozen=True)
class Due:
    target: dt.datetime  # the same business day's end (当日)
    deadline: dt.datetime  # the limit (最迟)


def day_minutes(calendar: BusinessCalendar) -> int:
    """The working minutes of one business day."""
    if calendar.always_open:
        return 24 * 60
    return sum(closes - opens for opens, closes in calendar.windows) // 60


def callback_due(calendar: BusinessCalendar, resolved_at: dt.datetime, limit_days: int) -> Due:
    """The same-day target and the limit of a callback for an order resolved at
    `resolved_at` (aware). Raises CalendarYearMissing like add_business_minutes."""
    deadline = add_business_minutes(calendar, resolved_at, limit_days * day_minutes(calendar))
    if calendar.always_open:
        local = resolved_at.astimezone(calendar.tz)
        end = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), local.tzinfo)
        return Due(min(end, deadline), deadline)
    # The first working moment at or after the resolution, then that day's closing time.
    start = add_business_minutes(calendar, resolved_at, 1) - dt.timedelta(minutes=1)
    closing = max(closes for _, closes in calendar.windows)
    midnight = dt.datetime.combine(start.date(), dt.time(), tzinfo=calendar.tz)
    target = midnight + dt.timedelta(seconds=closing)
    return Due(min(target, deadline), deadline)


def after_business_minutes(
    calendar: BusinessCalendar, start: dt.datetime, minutes: int
) -> dt.datetime:
    """`minutes` of working time after `start`: when an SMS unanswered goes to a person,
    when the next call attempt is due."""
    return add_business_minutes(calendar, start, minutes)
