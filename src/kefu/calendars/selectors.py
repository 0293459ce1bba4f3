"""Business calendars as the pure module needs them: seed data plus the admin's table."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kefu.calendars.business_time import BusinessCalendar
from kefu.calendars.models import CalendarDay, CalendarYear, DayKind
from kefu.core.errors import NotFound
from kefu.core.refcache import process_cached

CALENDAR_NAMES = ("24x7", "cn-standard")


def _seed_days() -> tuple[dict, set[int]]:
    from chinese_calendar.constants import holidays, workdays

    days = {d: DayKind.HOLIDAY for d in holidays}
    days.update({d: DayKind.WORKDAY for d in workdays})
    return days, {d.year for d in days}


_ALWAYS_OPEN = BusinessCalendar(name="24x7", always_open=True)


def business_calendar(name: str) -> BusinessCalendar:
    """The named calendar with the current holiday table."""
    if name == "24x7":
        return _ALWAYS_OPEN
    if name != "cn-standard":
        raise NotFound(
            _("Unknown calendar %(name)s; known: %(known)s")
            % {"name": name, "known": ", ".join(CALENDAR_NAMES)}
        )
    return _standard()


# Per process (kefu.core.refcache): every order intake and SLA pass needs it, and building
# it reads ~8,000 seed dates plus the admin's table.
@process_cached(models=(CalendarDay, CalendarYear))
def _standard() -> BusinessCalendar:
    days, years = _seed_days()
    days.update(CalendarDay.objects.values_list("date", "kind"))
    years.update(CalendarYear.objects.values_list("year", flat=True))
    return BusinessCalendar.standard(
        "cn-standard",
        holidays=[d for d, kind in days.items() if kind == DayKind.HOLIDAY],
        workdays=[d for d, kind in days.items() if kind == DayKind.WORKDAY],
        years=years,
    )
