"""Business-time arithmetic on cn-standard and 24x7 (pure module, real holiday data)."""

import datetime as dt

import pytest
from chinese_calendar.constants import holidays, workdays
from hypothesis import given
from hypothesis import strategies as st

from kefu.calendars.business_time import (
    SHANGHAI,
    BusinessCalendar,
    CalendarYearMissing,
    add_business_minutes,
)

CN = BusinessCalendar.standard(
    "cn-standard", holidays=holidays, workdays=workdays, years=range(2004, 2027)
)
ALWAYS = BusinessCalendar(name="24x7", always_open=True)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def due(start: str, minutes: int, calendar=CN) -> str:
    return add_business_minutes(calendar, at(start), minutes).strftime("%Y-%m-%d %H:%M")


def test_national_day_2025_is_skipped():
    # 30 Sep (Tue) 17:00 + 2 h: one hour that day, then 1–8 Oct off, resume Thu 9 Oct.
    assert due("2025-09-30 17:00", 120) == "2025-10-09 10:00"


def test_make_up_sunday_before_national_day_is_a_working_day():
    # Sat 27 Sep is off; Sun 28 Sep is a make-up working day (调休).
    assert due("2025-09-27 10:00", 30) == "2025-09-28 09:30"


def test_make_up_saturday_after_national_day_is_a_working_day():
    # Fri 10 Oct 17:30 + 1 h: half an hour Friday, half an hour on make-up Sat 11 Oct.
    assert due("2025-10-10 17:30", 60) == "2025-10-11 09:30"


def test_lunch_break_does_not_count():
    assert due("2025-06-03 11:30", 60) == "2025-06-03 13:30"
    assert due("2025-06-03 12:15", 30) == "2025-06-03 13:30"


def test_result_on_a_window_end_stays_there():
    assert due("2025-06-03 11:00", 60) == "2025-06-03 12:00"
    assert due("2025-06-03 17:00", 60) == "2025-06-03 18:00"


def test_before_opening_and_at_night_count_from_the_next_opening():
    assert due("2025-06-03 07:00", 30) == "2025-06-03 09:30"
    assert due("2025-06-03 22:00", 30) == "2025-06-04 09:30"


def test_weekend_is_skipped():
    assert due("2025-06-06 17:30", 60) == "2025-06-09 09:30"  # Fri → Mon


def test_a_full_working_day_is_eight_hours():
    assert due("2025-06-03 09:00", 8 * 60) == "2025-06-03 18:00"


def test_24x7_counts_every_minute():
    assert due("2025-09-30 17:00", 120, ALWAYS) == "2025-09-30 19:00"
    assert due("2025-10-01 23:30", 60, ALWAYS) == "2025-10-02 00:30"


def test_other_time_zones_are_converted():
    start = dt.datetime(2025, 6, 3, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert add_business_minutes(CN, start, 30) == at("2025-06-03 09:30")


def test_year_without_holiday_data_fails_loudly():
    with pytest.raises(CalendarYearMissing) as err:
        due("2027-01-04 09:00", 60)
    assert err.value.year == 2027
    with pytest.raises(CalendarYearMissing):
        due("2026-12-31 17:30", 60)  # runs into 2027


def test_a_provisional_calendar_counts_a_missing_year_on_weekends_only():
    provisional = CN.provisional()
    # 2027 has no data: Fri 1 Jan (New Year's Day in fact) counts as a working day …
    assert due("2026-12-31 17:30", 60, provisional) == "2027-01-01 09:30"
    # … Saturday and Sunday do not; the known year keeps its holidays (1 Oct 2026).
    assert due("2027-01-01 17:30", 60, provisional) == "2027-01-04 09:30"
    assert due("2026-09-30 17:30", 60, provisional) == due("2026-09-30 17:30", 60)
    assert provisional.is_workday(dt.date(2027, 2, 8)) and not provisional.is_workday(
        dt.date(2027, 2, 6)
    )


def test_naive_or_negative_input_is_refused():
    with pytest.raises(ValueError):
        add_business_minutes(CN, dt.datetime(2025, 6, 3, 9), 10)
    with pytest.raises(ValueError):
        add_business_minutes(CN, at("2025-06-03 09:00"), -1)


def working_minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Reference: count working minutes one by one."""
    count, t = 0, start
    while t < end:
        if CN.is_workday(t.date()) and (9 <= t.hour < 12 or 13 <= t.hour < 18):
            count += 1
        t += dt.timedelta(minutes=1)
    return count


@given(
    st.datetimes(min_value=dt.datetime(2024, 9, 20), max_value=dt.datetime(2025, 10, 20)),
    st.integers(min_value=1, max_value=3 * 8 * 60),
)
def test_due_time_holds_exactly_the_working_minutes_asked_for(start, minutes):
    start = start.replace(second=0, microsecond=0, tzinfo=SHANGHAI)
    end = add_business_minutes(CN, start, minutes)
    assert working_minutes_between(start, end) == minutes
    # and not a minute later than needed: the last minute counted ends at `end`
    assert working_minutes_between(start, end - dt.timedelta(minutes=1)) == minutes - 1


@given(
    st.datetimes(min_value=dt.datetime(2005, 1, 1), max_value=dt.datetime(2026, 6, 1)),
    st.integers(0, 5000),
    st.integers(0, 5000),
)
def test_adding_in_two_steps_equals_adding_at_once(start, a, b):
    start = start.replace(tzinfo=SHANGHAI)
    once = add_business_minutes(CN, start, a + b)
    twice = add_business_minutes(CN, add_business_minutes(CN, start, a), b)
    assert once == twice
