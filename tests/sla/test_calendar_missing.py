"""A year without holiday data: the order is taken in, but its clock is flagged, not guessed,
and everyone who must act hears about it; importing the year heals the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from kefu.calendars.selectors import business_calendar
from kefu.calendars.services import calendar_import
from kefu.notify.models import Message
from kefu.sla.models import ClockKind, ClockState, SlaClock
from kefu.sla.services import sla_calendar_check, sla_monitor_pass
from kefu.workorders.services import work_order_act
from tests.sla.conftest import SHANGHAI, local


@pytest.fixture
def missing_year(db) -> int:
    """The first year the shipped calendar data does not cover (2027 at the time of writing)."""
    return max(business_calendar("cn-standard").years) + 1


@pytest.fixture
def year_end(clock, missing_year):
    """10:00 on the second-last working day before the missing year: three working days
    from there run into it."""
    calendar = business_calendar("cn-standard")
    day = dt.date(missing_year - 1, 12, 31)
    workdays = []
    while len(workdays) < 2:
        if calendar.is_workday(day):
            workdays.append(day)
        day -= dt.timedelta(days=1)
    return clock.set(f"{workdays[-1]} 10:00")


def test_intake_succeeds_but_the_clock_is_flagged_and_admins_are_alerted(
    year_end, take_in, admin_user, missing_year
):
    order = take_in("complaint")

    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)
    assert resolution.state == ClockState.NO_CALENDAR
    assert resolution.due_at is None  # no guessed deadline
    assert str(missing_year) in resolution.problem
    # The 24x7 first-contact clock is unaffected.
    first = SlaClock.objects.get(order=order, kind=ClockKind.FIRST_CONTACT)
    assert first.state == ClockState.RUNNING and first.due_at is not None
    # The order says so in its list fields and on its timeline.
    assert order.sla_state == "error"
    note = order.events.get(action="note")
    assert note.data["problem"] == "calendar_missing" and str(missing_year) in note.note
    # Administrators are told once per missing year, not once per order.
    alerts = Message.objects.filter(template="sla_calendar_missing", recipient=admin_user)
    assert alerts.count() == 1 and str(missing_year) in alerts.get().subject
    take_in("complaint")
    assert alerts.count() == 1


def test_monitor_retries_and_computes_the_deadline_once_the_year_is_imported(
    year_end, take_in, clock, tmp_path, missing_year, caplog, agent_a
):
    order = take_in("complaint")
    work_order_act(actor=agent_a, order=order, action="contact")  # first contact: met
    clock.advance(hours=1)
    assert sla_monitor_pass()["no_calendar"] == 1  # still missing: logged as an error
    assert "calendar year is missing" in caplog.text

    path = tmp_path / "holidays.csv"
    path.write_text(f"日期,类型,名称\n{missing_year}-01-01,休,元旦\n", encoding="utf-8")
    calendar_import(path=path)
    clock.advance(hours=1)
    assert sla_monitor_pass()["recomputed"] == 1

    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)
    assert resolution.state == ClockState.RUNNING and resolution.problem == ""
    assert resolution.due_at.astimezone(SHANGHAI).year == missing_year
    order.refresh_from_db()
    assert order.sla_state == "" and local(order.due_at) == local(resolution.due_at)


def test_daily_check_warns_before_the_year_begins(clock, admin_user, missing_year):
    clock.set(f"{missing_year - 1}-11-15 08:15")
    assert sla_calendar_check() == [("cn-standard", missing_year)]
    assert Message.objects.filter(template="sla_calendar_missing", recipient=admin_user).exists()
    clock.set(f"{missing_year - 1}-06-01 08:15")
    assert sla_calendar_check() == []


def test_the_create_response_already_shows_the_note(year_end, agent_a, customer_a1):
    client = APIClient()
    client.force_authenticate(agent_a)
    body = {"order_type": "complaint", "channel": "hotline", "title": "宽带经常掉线"}
    created = client.post(
        "/api/v1/work-orders/", {**body, "customer": customer_a1.pk}, format="json"
    )
    assert created.status_code == 201, created.content.decode()
    timeline = created.json()["timeline"]
    assert [(e["action"], e["data"].get("problem")) for e in timeline] == [
        ("create", None),
        ("note", "calendar_missing"),
    ]
    order_id = created.json()["id"]
    assert timeline == client.get(f"/api/v1/work-orders/{order_id}/events/").json()
