"""`kefu check`: a calendar year the time limits need is missing (from 1 November, next year)."""

from __future__ import annotations

from django.core.checks import Warning, register
from django.db import DatabaseError


@register()
def calendar_years_check(app_configs=None, **kwargs):
    from kefu.sla.selectors import missing_calendar_years

    try:
        missing = missing_calendar_years()
    except DatabaseError:
        return []  # not migrated yet (checks run before `kefu migrate` too)
    return [
        Warning(
            f"calendar {name!r} has no holiday data for {year}: time limits running into it "
            "are provisional (weekends only, no holidays)",
            hint="Import the year from the State Council's notice: kefu calendar import FILE",
            id="kefu_sla.W001",
        )
        for name, year in missing
    ]
