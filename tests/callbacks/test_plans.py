"""Callback plans without an order: thank-you calls to a tier sample, the residence
callback three months after a move-in from a spreadsheet, a leaving account manager's
customers — at the callback desk like any other, inside the planner's data scope."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from kefu.callbacks.models import CallbackTask, Level, Outcome, TaskKind
from kefu.callbacks.outcomes import Answer, callback_record
from kefu.callbacks.plans import (
    plan_handover,
    plan_residence,
    plan_thank_you,
    three_months_after,
)
from kefu.core.errors import PermissionDenied, ValidationFailed
from tests.factories import local, make_customer

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def county_customers(org, agent_a):
    made = []
    for n, tier in enumerate(["gold", "gold", "silver", "diamond", "basic"]):
        c = make_customer(
            actor=agent_a, org_unit=org["county_a1"], name=f"客户{n}", phone=f"1390000000{n}"
        )
        c.tier = tier
        c.save()
        made.append(c)
    return made


def test_thank_you_calls_sample_the_loyal_tiers_reproducibly(
    org, callback_agent, county_customers, customer_b
):
    plan = plan_thank_you(
        actor=callback_agent,
        unit=org["pref_a"],
        name="金卡感谢回访",
        tiers=["gold", "diamond"],
        size=2,
        seed=7,
    )
    tasks = list(plan.tasks.all())
    assert len(tasks) == 2 and all(
        t.kind == TaskKind.THANK_YOU and t.mode == "manual" for t in tasks
    )
    assert {t.customer.tier for t in tasks} <= {"gold", "diamond"}
    again = plan_thank_you(
        actor=callback_agent,
        unit=org["pref_a"],
        name="再来一次",
        tiers=["gold", "diamond"],
        size=2,
        seed=7,
    )
    assert {t.customer_id for t in again.tasks.all()} == {t.customer_id for t in tasks}
    assert all(t.items.get().order is None for t in tasks)


def test_a_plan_needs_the_permission_and_a_unit_in_reach(org, agent_a, callback_agent):
    with pytest.raises(PermissionDenied):
        plan_thank_you(actor=agent_a, unit=org["county_a1"], name="x", tiers=["gold"], size=1)
    with pytest.raises(ValidationFailed) as outside:
        plan_thank_you(actor=callback_agent, unit=org["pref_b"], name="x", tiers=["gold"], size=1)
    assert "unit" in outside.value.extra["errors"]
    assert not CallbackTask.objects.exists()


def test_a_leaving_managers_customers_are_called_within_a_week(
    clock, org, callback_agent, county_customers, make_user
):
    manager = make_user("mgr_a", org["county_a1"], "agent")
    for c in county_customers[:3]:
        c.manager = manager
        c.save()
    clock.set("2025-06-03 10:00")  # Tuesday
    plan = plan_handover(
        actor=callback_agent, unit=org["county_a1"], name="张经理离职", manager=manager
    )
    tasks = list(plan.tasks.all())
    assert len(tasks) == 3
    assert local(tasks[0].deadline_at) == "2025-06-10 10:00"  # five business days


def _sheet(tmp_path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / "owners.xlsx"
    book.save(path)
    return path


def test_residence_callbacks_fall_three_months_after_the_move_in(
    org, callback_agent, county_customers, tmp_path
):
    path = _sheet(
        tmp_path,
        [
            ["客户编号", "入住日期"],
            [county_customers[0].code, "2025-05-31"],
            [county_customers[1].code, "2025/06/10"],
        ],
    )
    plan = plan_residence(
        actor=callback_agent, unit=org["county_a1"], name="翠湖苑集中入住", path=path
    )
    due = sorted(local(t.due_at) for t in plan.tasks.all())
    # Aug 31 2025 is a Sunday: due by the end of the next working day.
    assert due == ["2025-09-01 18:00", "2025-09-10 18:00"]
    assert three_months_after(dt.date(2025, 11, 30)) == dt.date(2026, 2, 28)


def test_a_bad_residence_list_names_the_row_and_column_and_writes_nothing(
    org, callback_agent, county_customers, customer_b, tmp_path
):
    path = _sheet(
        tmp_path,
        [
            ["客户编号", "入住日期"],
            [county_customers[0].code, "下个月"],
            [customer_b.code, "2025-05-01"],
        ],
    )
    with pytest.raises(ValidationFailed) as bad:
        plan_residence(actor=callback_agent, unit=org["county_a1"], name="x", path=path)
    message = str(bad.value.message)  # every bad row named, with its column
    assert "第 2 行「入住日期」" in message and "第 3 行「客户编号」" in message
    assert not CallbackTask.objects.exists()
    no_columns = _sheet(tmp_path, [["姓名", "地址"], ["王", "某地"]])
    with pytest.raises(ValidationFailed):
        plan_residence(actor=callback_agent, unit=org["county_a1"], name="x", path=no_columns)


def test_plan_callbacks_are_recorded_at_the_desk_like_any_other(
    org, callback_agent, county_customers
):
    plan = plan_thank_you(
        actor=callback_agent, unit=org["county_a1"], name="感谢", tiers=["gold"], size=1
    )
    task = plan.tasks.get()
    item = task.items.get()
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.SATISFIED)},
    )
    item.refresh_from_db()
    assert (item.level, item.status, item.on_time) == ("satisfied", "done", True)
