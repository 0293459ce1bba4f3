"""/api/v1/calendars/: names, the holiday table of a year, and business-time sums."""

from __future__ import annotations

import pytest

from kefu.calendars.models import CalendarDay, CalendarYear


@pytest.fixture
def api(client, agent_a):
    client.force_login(agent_a)
    return client


def test_lists_both_calendars_with_their_covered_years(api):
    body = api.get("/api/v1/calendars/").json()
    names = {c["name"]: c["years"] for c in body}
    assert set(names) == {"24x7", "cn-standard"}
    assert 2025 in names["cn-standard"] and 2042 not in names["cn-standard"]


def test_national_day_2025_and_its_make_up_days(api):
    days = api.get("/api/v1/calendars/cn-standard/?year=2025").json()["days"]
    kinds = {d["date"]: d["kind"] for d in days}
    assert kinds["2025-10-01"] == "holiday" and kinds["2025-10-08"] == "holiday"
    assert kinds["2025-09-28"] == "workday" and kinds["2025-10-11"] == "workday"


def test_business_time_over_national_day(api):
    response = api.post(
        "/api/v1/calendars/business-time/",
        {"calendar": "cn-standard", "start": "2025-09-30T17:00:00+08:00", "minutes": 120},
        content_type="application/json",
    )
    # One hour left on 30 Sep; the next working hour is 9:00 on Thursday 9 Oct.
    assert response.json() == {"due": "2025-10-09T10:00:00+08:00"}


def test_a_year_without_data_is_a_clear_error(api):
    response = api.post(
        "/api/v1/calendars/business-time/",
        {"calendar": "cn-standard", "start": "2042-03-02T09:00:00+08:00", "minutes": 60},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "calendar_year_missing"
    assert "2042" in response.json()["message"]


def test_an_admin_entry_takes_effect_at_once(api):
    import datetime as dt

    CalendarYear.objects.create(year=2042)
    CalendarDay.objects.create(date=dt.date(2042, 3, 3), kind="holiday", name="测试假日")
    response = api.post(
        "/api/v1/calendars/business-time/",
        {"calendar": "cn-standard", "start": "2042-03-03T09:00:00+08:00", "minutes": 60},
        content_type="application/json",
    )
    assert response.json() == {"due": "2042-03-04T10:00:00+08:00"}


def test_bad_input_names_the_field(api):
    response = api.post(
        "/api/v1/calendars/business-time/",
        {"calendar": "mars", "start": "yesterday", "minutes": -5},
        content_type="application/json",
    )
    errors = response.json()["extra"]["errors"]
    assert response.status_code == 400 and {"calendar", "start", "minutes"} <= set(errors)


def test_times_before_1970_are_refused(api):
    response = api.post(
        "/api/v1/calendars/business-time/",
        {"calendar": "24x7", "start": "1900-01-01T00:00:00Z", "minutes": 0},
        content_type="application/json",
    )
    assert response.status_code == 400 and "start" in response.json()["extra"]["errors"]
