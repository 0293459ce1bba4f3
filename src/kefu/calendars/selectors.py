"""Business calendars as the pure module needs them: seed data plus the admin's table."""

from __future__ import annotations

import time

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from kefu.calendars.business_time import BusinessCalendar
from kefu.calendars.models import CalendarDay, CalendarYear, DayKind
from kefu.core.errors import NotFound

CALENDAR_NAMES = ("24x7", "cn-standard")


def _seed_days() -> tuple[dict, set[int]]:
    from chinese_calendar.constants import holidays, workdays

    days = {d: DayKind.HOLIDAY for d in holidays}
    days.update({d: DayKind.WORKDAY for d in workdays})
    return days, {d.year for d in days}


# Built calendars, per process, for a minute: every order intake and SLA pass needs one,
# and building cn-standard reads ~8,000 seed dates plus the admin table. An admin's edit
# clears this process's copy at once; other processes see it within CACHE_SECONDS.
CACHE_SECONDS = 60
_cache: dict[str, tuple[float, BusinessCalendar]] = {}


def _forget(**kwargs) -> None:
    _cache.clear()


post_save.connect(_forget, sender=CalendarDay, dispatch_uid="calendars.forget.day")
post_delete.connect(_forget, sender=CalendarDay, dispatch_uid="calendars.forget.day.del")
post_save.connect(_forget, sender=CalendarYear, dispatch_uid="calendars.forget.year")
post_delete.connect(_forget, sender=CalendarYear, dispatch_uid="calendars.forget.year.del")


def business_calendar(name: str) -> BusinessCalendar:
    """The named calendar with the current holiday table (cached for CACHE_SECONDS)."""
    hit = _cache.get(name)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    calendar = _build(name)
    _cache[name] = (time.monotonic(), calendar)
    return calendar


def _build(name: str) -> BusinessCalendar:
    if name == "24x7":
        return BusinessCalendar(name=name, always_open=True)
    if name != "cn-standard":
        raise NotFound(
            _("Unknown calendar %(name)s; known: %(known)s")
            % {"name": name, "known": ", ".join(CALENDAR_NAMES)}
        )
    days, years = _seed_days()
    days.update(CalendarDay.objects.values_list("date", "kind"))
    years.update(CalendarYear.objects.values_list("year", flat=True))
    return BusinessCalendar.standard(
        name,
        holidays=[d for d, kind in days.items() if kind == DayKind.HOLIDAY],
        workdays=[d for d, kind in days.items() if kind == DayKind.WORKDAY],
        years=years,
    )
