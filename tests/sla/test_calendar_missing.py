"""A year without holiday data: the order is taken in with a provisional (暂定) due time
counted on weekends only, everyone who must act hears about it once, and importing the
year replaces the provisional time with the real one."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from kefu.calendars.business_time import SHANGHAI, add_business_minutes
from kefu.calendars.selectors import business_calendar
from kefu.calendars.services import calendar_import
from kefu.notify.models import Message
from kefu.sla.models import ClockKind, ClockState, SlaClock
from kefu.sla.monitor import sla_calendar_check, sla_monitor_pass
from kefu.workorders.actions import work_order_act
from tests.factories import local


@pytest.fixture
def missing_year(db) -> int:
    """The first year neither the shipped calendar data nor the test's fixtures cover."""
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


@pytest.fixture
def api(agent_a):
    client = APIClient()
    client.force_authenticate(agent_a)
    return client


def weekends_only_due(start: dt.datetime, minutes: int, missing_year: int) -> dt.datetime:
    """`minutes` of working time (09–12, 13–18) from `start`, counting the days of
    `missing_year` Monday to Friday and the days before it on the real calendar."""
    calendar = business_calendar("cn-standard")
    moment, left = start.astimezone(SHANGHAI), minutes
    while True:
        day = moment.date()
        open_day = day.weekday() < 5 if day.year == missing_year else calendar.is_workday(day)
        for opens, closes in ((9, 12), (13, 18)):
            begin = max(moment, dt.datetime.combine(day, dt.time(opens), tzinfo=SHANGHAI))
            end = dt.datetime.combine(day, dt.time(closes), tzinfo=SHANGHAI)
            if open_day and begin < end:
                available = (end - begin).total_seconds() / 60
                if left <= available:
                    return begin + dt.timedelta(minutes=left)
                left -= available
        moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=SHANGHAI)


def test_intake_gets_a_provisional_due_time_on_weekends_only_and_admins_are_alerted(
    year_end, take_in, admin_user, supervisor_a, missing_year, api
):
    order = take_in("complaint")

    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)
    assert resolution.provisional and resolution.state == ClockState.RUNNING
    expected = weekends_only_due(year_end, resolution.budget_minutes, missing_year)
    assert local(resolution.due_at) == local(expected)
    assert resolution.due_at.astimezone(SHANGHAI).year == missing_year
    assert str(missing_year) in resolution.problem
    # The 24x7 first-contact clock is unaffected.
    first = SlaClock.objects.get(order=order, kind=ClockKind.FIRST_CONTACT)
    assert first.state == ClockState.RUNNING and not first.provisional
    # The order's list fields carry a due time, flagged provisional once it is the nearest.
    order.refresh_from_db()
    assert order.sla_state == "" and local(order.due_at) == local(first.due_at)
    assert not order.due_provisional
    work_order_act(actor=order.owner, order=order, action="contact")
    order.refresh_from_db()
    assert local(order.due_at) == local(resolution.due_at) and order.due_provisional
    # The timeline says why, with the provisional time.
    note = order.events.get(action="note")
    assert note.data["problem"] == "calendar_missing" and str(missing_year) in note.note
    assert "暂定" in note.note and local(resolution.due_at) in note.note
    # Administrators and supervisors are told once per missing year, not once per order.
    alerts = Message.objects.filter(template="sla_calendar_missing", channel="inbox")
    assert set(alerts.values_list("recipient", flat=True)) == {admin_user.pk, supervisor_a.pk}
    assert str(missing_year) in alerts.first().subject
    take_in("complaint")
    assert alerts.count() == 2
    # The API says the due time is provisional, in the detail and in the list.
    detail = api.get(f"/api/v1/work-orders/{order.pk}/").json()
    assert detail["provisional"] is True and detail["due_at"] is not None
    rows = {r["id"]: r for r in api.get("/api/v1/work-orders/").json()["results"]}
    assert rows[order.pk]["provisional"] is True


def test_the_page_marks_the_provisional_due_time(year_end, take_in, agent_a, client):
    order = take_in("complaint")
    work_order_act(actor=agent_a, order=order, action="contact")
    client.force_login(agent_a)
    page = client.get(f"/workorders/{order.number}/").content.decode()
    assert page.count("暂定") >= 2  # beside the order's countdown and its resolution clock
    clock_item = page.split('id="clock-resolution"')[1].split("</li>")[0]
    assert "badge-provisional" in clock_item and "暂定" in clock_item


def test_importing_the_year_replaces_the_provisional_due_time(
    year_end, take_in, agent_a, tmp_path, missing_year, api
):
    order = take_in("complaint")
    work_order_act(actor=agent_a, order=order, action="contact")
    provisional = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION).due_at

    # The first working week of the year is a holiday: the real due time lies after it.
    days = [dt.date(missing_year, 1, 1) + dt.timedelta(days=n) for n in range(7)]
    rows = "".join(f"{d},休,元旦\n" for d in days)
    path = tmp_path / "holidays.csv"
    path.write_text(f"日期,类型,名称\n{rows}", encoding="utf-8")
    calendar_import(path=path)

    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)
    assert not resolution.provisional and resolution.problem == ""
    calendar = business_calendar("cn-standard")
    assert resolution.due_at == add_business_minutes(
        calendar, resolution.started_at, resolution.budget_minutes
    )
    assert resolution.due_at.astimezone(SHANGHAI).date() > days[-1] > provisional.date()
    order.refresh_from_db()
    assert not order.due_provisional and order.due_at == resolution.due_at
    detail = api.get(f"/api/v1/work-orders/{order.pk}/").json()
    assert detail["provisional"] is False


def test_the_provisional_due_time_drives_warning_and_breach(
    year_end, take_in, agent_a, clock, missing_year
):
    order = take_in("complaint")
    work_order_act(actor=agent_a, order=order, action="contact")
    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)

    clock.now = resolution.warn_at + dt.timedelta(minutes=1)
    assert sla_monitor_pass()["warned"] == 1
    clock.now = resolution.due_at + dt.timedelta(minutes=1)
    assert sla_monitor_pass()["breached"] == 1
    resolution.refresh_from_db()
    assert resolution.state == ClockState.BREACHED and resolution.provisional
    assert order.events.filter(action="escalate").count() == 1
    order.refresh_from_db()
    assert order.sla_state == "breached"


def test_the_daily_check_tells_admins_and_supervisors_once_from_1_november(
    clock, admin_user, supervisor_a, agent_a, missing_year
):
    clock.set(f"{missing_year - 1}-10-31 08:15")
    assert sla_calendar_check() == []
    clock.set(f"{missing_year - 1}-11-01 08:15")
    assert sla_calendar_check() == [("cn-standard", missing_year)]
    clock.set(f"{missing_year - 1}-11-02 08:15")
    assert sla_calendar_check() == [("cn-standard", missing_year)]  # run again next day
    alerts = Message.objects.filter(template="sla_calendar_missing", channel="inbox")
    assert sorted(alerts.values_list("recipient", flat=True)) == sorted(
        [admin_user.pk, supervisor_a.pk]
    )  # one each, the agent none


def test_home_page_banner_from_1_november(clock, client, supervisor_a, agent_a, missing_year):
    def home(user) -> str:
        client.force_login(user)  # on the test's clock: an idle session expires
        response = client.get("/")
        assert response.status_code == 200
        return response.content.decode()

    clock.set(f"{missing_year - 1}-10-31 09:00")
    assert 'id="calendar-missing"' not in home(supervisor_a)
    clock.set(f"{missing_year - 1}-11-01 09:00")
    banner = home(supervisor_a).split('id="calendar-missing"')[1].split("</div>")[0]
    assert str(missing_year) in banner and "暂定" in banner
    assert 'id="calendar-missing"' not in home(agent_a)  # an agent cannot act on it


def test_kefu_check_warns_about_the_missing_year(clock, missing_year):
    clock.set(f"{missing_year - 1}-11-01 09:00")
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "kefu_sla.W001" in text and str(missing_year) in text
    clock.set(f"{missing_year - 1}-10-31 09:00")
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "kefu_sla.W001" not in out.getvalue() + err.getvalue()


def test_the_create_response_already_shows_the_note(year_end, api, customer_a1):
    body = {"order_type": "complaint", "channel": "hotline", "title": "宽带经常掉线"}
    created = api.post("/api/v1/work-orders/", {**body, "customer": customer_a1.pk}, format="json")
    assert created.status_code == 201, created.content.decode()
    timeline = created.json()["timeline"]
    assert [(e["action"], e["data"].get("problem")) for e in timeline] == [
        ("create", None),
        ("note", "calendar_missing"),
    ]
    order_id = created.json()["id"]
    assert timeline == api.get(f"/api/v1/work-orders/{order_id}/events/").json()
