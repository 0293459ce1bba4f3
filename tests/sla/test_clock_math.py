"""Working time between two moments and deadlines across pauses (pure, real holiday data)."""

import datetime as dt

import pytest
from chinese_calendar.constants import holidays, workdays
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.calendars.business_time import (
    BusinessCalendar,
    CalendarYearMissing,
    add_business_minutes,
)
from kefu.sla.clock_math import business_minutes_between, deadline, shift_past_pause
from tests.factories import at, local

CN = BusinessCalendar.standard(
    "cn-standard", holidays=holidays, workdays=workdays, years=range(2004, 2027)
)
ALWAYS = BusinessCalendar(name="24x7", always_open=True)


def between(start: str, end: str, calendar=CN) -> float:
    return business_minutes_between(calendar, at(start), at(end))


def test_lunch_break_and_evenings_do_not_count():
    assert between("2025-06-03 11:30", "2025-06-03 13:30") == 60
    assert between("2025-06-03 17:00", "2025-06-04 10:00") == 120
    assert between("2025-06-03 09:00", "2025-06-03 18:00") == 480


def test_national_day_2025_and_its_make_up_days():
    # 30 Sep 17:00 → 9 Oct 10:00: one hour on the 30th, 1–8 Oct off, one hour on the 9th.
    assert between("2025-09-30 17:00", "2025-10-09 10:00") == 120
    # Sunday 28 Sep and Saturday 11 Oct are make-up working days (调休).
    assert between("2025-09-27 00:00", "2025-09-29 00:00") == 480
    assert between("2025-10-11 00:00", "2025-10-12 00:00") == 480


def test_24x7_counts_every_minute():
    assert between("2025-09-30 17:00", "2025-10-01 17:00", ALWAYS) == 24 * 60


def test_end_before_start_is_zero():
    assert between("2025-06-03 12:00", "2025-06-03 10:00") == 0


def test_a_year_without_data_fails_loudly():
    with pytest.raises(CalendarYearMissing) as err:
        between("2026-12-31 09:00", "2027-01-04 12:00")
    assert err.value.year == 2027


def test_a_pause_carries_the_time_left_over_to_the_resumption():
    # Due Thu 18:00; paused Wed 17:00 with 9 working hours left; resumed Thu 10:00.
    moved = shift_past_pause(
        CN, at("2025-06-05 18:00"), at("2025-06-04 17:00"), at("2025-06-05 10:00")
    )
    assert local(moved) == "2025-06-06 11:00"


def test_a_deadline_already_passed_at_the_pause_stays():
    due = at("2025-06-03 12:00")
    assert shift_past_pause(CN, due, at("2025-06-03 15:00"), at("2025-06-04 15:00")) == due


def test_deadline_replays_every_pause():
    # 3 working days from Tue 09:00 = Thu 18:00; two pauses of one working hour each.
    pauses = [
        (at("2025-06-03 10:00"), at("2025-06-03 11:00")),
        (at("2025-06-04 16:00"), at("2025-06-04 17:00")),
    ]
    assert local(deadline(CN, at("2025-06-03 09:00"), 3 * 480)) == "2025-06-05 18:00"
    assert local(deadline(CN, at("2025-06-03 09:00"), 3 * 480, pauses)) == "2025-06-06 11:00"


moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 6, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=CN.tz)
)


# No per-example deadline: a span of two years is ~700 day steps, and a loaded CI machine
# must not turn that into a flaky failure.
@settings(deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20 * 480))
def test_between_undoes_add(start, minutes):
    end = add_business_minutes(CN, start, minutes)
    assert business_minutes_between(CN, start, end) == pytest.approx(minutes)


@settings(deadline=None)
@given(start=moments, first=moments, second=moments)
def test_between_is_additive(start, first, second):
    a, b, c = sorted([start, first, second])
    total = business_minutes_between(CN, a, c)
    parts = business_minutes_between(CN, a, b) + business_minutes_between(CN, b, c)
    assert total == pytest.approx(parts)
