"""满意度统计: the figures on small fixed data computed by hand, grouping, data scope, the
`kefu report callbacks` command (JSON and xlsx) and the page."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.callbacks.models import (
    CallbackItem,
    CallbackTask,
    DissatisfactionReason,
    Level,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.outcomes import Answer, callback_record
from kefu.callbacks.stats import callback_stats
from tests.factories import at

pytestmark = pytest.mark.usefixtures("clock")

DAY = dt.date(2025, 6, 3)


def _items(area, n, *, level="", on_time=None, status=TaskStatus.DONE, due_on=DAY, **extra):
    task = CallbackTask.objects.create(
        unit=area,
        mode=Mode.SMS,
        created_at=at("2025-06-03 09:00"),
        due_at=at("2025-06-03 18:00"),
        deadline_at=at("2025-06-06 18:00"),
    )
    for _ in range(n):
        CallbackItem.objects.create(
            task=task,
            status=status,
            due_on=due_on,
            deadline_at=task.deadline_at,
            area_unit=area,
            level=level,
            on_time=on_time,
            answered_at=at("2025-06-04 10:00") if level else None,
            **extra,
        )


@pytest.fixture
def reason(db):
    return DissatisfactionReason.objects.create(code="late-tech", name="师傅迟到")


@pytest.fixture
def county_a_data(org, types, reason):
    """County A1: 3 very satisfied, 5 satisfied (one of them late), 2 dissatisfied,
    2 not answered; one cancelled and one of the next month that never count."""
    a1 = org["county_a1"]
    fault = types["fault"]
    _items(a1, 3, level=Level.VERY_SATISFIED, on_time=True, order_type=fault)
    _items(a1, 4, level=Level.SATISFIED, on_time=True, order_type=fault)
    _items(a1, 1, level=Level.SATISFIED, on_time=False, order_type=types["install"])
    _items(a1, 2, level=Level.DISSATISFIED, on_time=True, reason=reason, order_type=fault)
    _items(a1, 2, status=TaskStatus.EXHAUSTED, order_type=fault)
    _items(a1, 1, level=Level.SATISFIED, on_time=True, status=TaskStatus.CANCELLED)
    _items(a1, 1, level=Level.DISSATISFIED, on_time=True, due_on=dt.date(2025, 7, 1))
    # County B1: all dissatisfied.
    _items(org["county_b1"], 4, level=Level.DISSATISFIED, on_time=True)


JUNE = {"date_from": dt.date(2025, 6, 1), "date_to": dt.date(2025, 6, 30)}


def test_the_figures_are_the_formula_on_hand_counted_data(county_a_data, org):
    total = callback_stats(None, unit=org["county_a1"], **JUNE).total
    assert (total.very_satisfied, total.satisfied, total.dissatisfied) == (3, 5, 2)
    assert total.rate == pytest.approx(0.8)
    assert total.coverage == pytest.approx(10 / 12)
    assert total.on_time == pytest.approx(9 / 10)


def test_no_answers_give_no_rate(org, db):
    total = callback_stats(None, **JUNE).total
    assert (total.rate, total.coverage, total.on_time) == (None, None, None)


def test_the_main_reasons_are_counted(county_a_data, org):
    stats = callback_stats(None, unit=org["county_a1"], **JUNE)
    assert stats.reasons == [("师傅迟到", 2)]


def test_grouping_by_type_and_by_month(county_a_data, org, types):
    by_type = callback_stats(None, unit=org["county_a1"], by="type", **JUNE).groups
    figures = {g.label: (g.due, g.rate) for g in by_type}
    assert figures == {
        types["fault"].name: (11, pytest.approx(7 / 9)),
        types["install"].name: (1, 1.0),
    }
    months = callback_stats(
        None, by="month", date_from=dt.date(2025, 6, 1), date_to=dt.date(2025, 7, 31)
    ).groups
    assert [(g.label, g.dissatisfied) for g in months] == [("2025-06", 6), ("2025-07", 1)]


def test_a_county_supervisor_does_not_see_another_countys_figures(county_a_data, org, make_user):
    sup_a1 = make_user("sup_a1", org["county_a1"], "supervisor")
    sup_b1 = make_user("sup_b1", org["county_b1"], "supervisor")
    assert callback_stats(sup_a1, **JUNE).total.due == 12
    b = callback_stats(sup_b1, **JUNE).total
    assert (b.due, b.dissatisfied, b.rate) == (4, 4, 0.0)
    # The province sees both.
    assert callback_stats(None, **JUNE).total.due == 16


def test_answers_through_the_callback_desk_are_counted(resolver, customer_a, callback_agent, org):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    item = task.items.get()
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.SATISFIED)},
    )
    total = callback_stats(callback_agent, **JUNE).total
    assert total.as_json() == {
        "very_satisfied": 0,
        "satisfied": 1,
        "dissatisfied": 0,
        "rate": 1.0,
        "coverage": 1.0,
        "on_time": 1.0,
    }


# --- the command ----------------------------------------------------------------------------


def report(*args: str) -> str:
    out = StringIO()
    call_command("report", "callbacks", *args, stdout=out)
    return out.getvalue().strip()


def test_report_json_prints_the_six_figures(county_a_data):
    printed = json.loads(
        report("--from", "2025-06-01", "--to", "2025-06-30", "--unit", "P-a-1", "--json")
    )
    assert printed == {
        "very_satisfied": 3,
        "satisfied": 5,
        "dissatisfied": 2,
        "rate": pytest.approx(0.8),
        "coverage": pytest.approx(10 / 12),
        "on_time": pytest.approx(0.9),
    }


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--from", "2025-13-01", "--to", "2025-06-30"], "--from"),
        (["--from", "2025-06-01", "--to", "yesterday"], "--to"),
        (["--from", "2025-06-01", "--to", "2025-06-30", "--unit", "NOPE"], "--unit"),
    ],
)
def test_report_names_the_bad_option(db, args, named):
    with pytest.raises(CommandError, match=named):
        report(*args, "--json")


def test_report_xlsx_holds_the_breakdowns(county_a_data, tmp_path, types):
    path = tmp_path / "june.xlsx"
    report("--from", "2025-06-01", "--to", "2025-06-30", "--format", "xlsx", "--output", str(path))
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == [
        "汇总",
        "按责任单位",
        "按工单类型",
        "按业务线",
        "按处理人",
        "按受理坐席",
        "按日",
        "不满意原因",
    ]
    summary = list(workbook["汇总"].iter_rows(values_only=True))
    assert summary[1][:5] == ("合计", 3, 5, 6, 16)
    by_type = {r[0]: r[4] for r in list(workbook["按工单类型"].iter_rows(values_only=True))[1:]}
    assert by_type[types["fault"].name] == 11
    reasons = list(workbook["不满意原因"].iter_rows(values_only=True))
    assert ("师傅迟到", 2) in reasons


# --- the page -----------------------------------------------------------------------------


def test_the_page_shows_a_supervisor_the_figures_of_the_scope(
    client, county_a_data, org, make_user
):
    make_user("sup_a1", org["county_a1"], "supervisor")
    client.login(username="sup_a1", password="Kefu-test-pass-2026")
    response = client.get("/callbacks/stats/", {"from": "2025-06-01", "to": "2025-06-30"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "plotly/plotly.min.js" in html and 'id="total-table"' in html
    assert response.context["stats"].total.due == 12
    assert "师傅迟到" in html
    refused = client.get("/callbacks/stats/", {"unit": "P-b-1"})
    assert refused.status_code == 404


def test_the_page_is_forbidden_to_an_agent_without_the_permission(client, org, make_user):
    make_user("agent_x", org["county_a1"], "agent")
    client.login(username="agent_x", password="Kefu-test-pass-2026")
    assert client.get("/callbacks/stats/").status_code == 403


def test_the_customer_360_page_shows_recent_callback_answers(
    client, resolver, customer_a, callback_agent, supervisor_a
):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    item = task.items.get()
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.VERY_SATISFIED)},
    )
    client.force_login(supervisor_a)
    html = client.get(f"/customers/{customer_a.pk}/").content.decode()
    section = html.split('id="customer-satisfaction"', 1)[1].split("</section>", 1)[0]
    assert item.order.number in section and str(Level.VERY_SATISFIED.label) in section
