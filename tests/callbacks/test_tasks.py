"""Callback tasks: created on resolution, due on the business calendar, merged per
customer, kept with the original department, routed to people where it matters, and the
archive guard. On the clock the tests set (Tue 2025-06-03 09:00 unless moved)."""

from __future__ import annotations

import pytest

from kefu.callbacks.models import (
    CallbackItem,
    CallbackPolicy,
    CallbackSettings,
    CallbackTask,
    ClockState,
    Level,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.monitor import callbacks_monitor_pass
from kefu.callbacks.outcomes import Answer, callback_record
from kefu.callbacks.step import calendar, sampled
from kefu.callbacks.timing import callback_due
from kefu.core.errors import NotFound, ValidationFailed
from kefu.notify.models import Message
from kefu.org.models import Vendor
from kefu.workorders import actions
from kefu.workorders.actions import ActionInvalid
from kefu.workorders.models import WorkOrder
from tests.factories import at, local

pytestmark = pytest.mark.usefixtures("clock")


def test_a_callback_is_due_the_same_business_day_and_at_the_latest_three(
    clock, resolver, customer_a
):
    clock.set("2025-06-03 10:00")  # a Tuesday
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get(items__order=order)
    assert (local(task.due_at), local(task.deadline_at)) == ("2025-06-03 18:00", "2025-06-06 10:00")
    assert task.mode == Mode.SMS and task.unit.code == "P-a-1"  # who took it in, not the team
    sms = Message.objects.get(template="callback_sms")
    assert "1 非常满意，2 满意，3 不满意" in sms.body and "/cb/" in sms.body
    assert sms.address == "13912345678"


@pytest.mark.parametrize(
    ("resolved", "target", "deadline"),
    [
        # Tuesday before the holiday: 7 h that day, then Oct 9, Oct 10 and the make-up
        # working Saturday Oct 11 (调休).
        ("2025-09-30 10:00", "2025-09-30 18:00", "2025-10-11 10:00"),
        # After hours on the last working day: the same-day target is the next working day.
        ("2025-09-30 19:00", "2025-10-09 18:00", "2025-10-11 18:00"),
        # During the holiday.
        ("2025-10-03 10:00", "2025-10-09 18:00", "2025-10-11 18:00"),
        # The make-up working Sunday before it (Sep 28) counts as a working day.
        ("2025-09-28 17:00", "2025-09-28 18:00", "2025-10-09 17:00"),
    ],
)
def test_due_times_cross_the_2025_national_day_holiday(db, resolved, target, deadline):
    due = callback_due(calendar(), at(resolved), 3)
    assert (local(due.target), local(due.deadline)) == (target, deadline)


def test_one_customers_callbacks_merge_into_one_call_across_departments(
    clock, org, resolver, customer_a, handler_a2
):
    first = resolver.resolved(customer=customer_a)
    clock.advance(days=1)
    second = resolver.resolved(
        customer=customer_a, type_code="install", unit=org["team_a2"], handler=handler_a2
    )
    task = CallbackTask.objects.get()
    assert {i.order_id for i in task.items.all()} == {first.pk, second.pk}
    assert {i.unit.code for i in task.items.all()} == {"P-a-1-t", "P-a-2-t"}
    assert Message.objects.filter(template="callback_sms").count() == 1
    clock.advance(days=3)  # past the merge window: a new call
    resolver.resolved(customer=customer_a, title="又断网")
    assert CallbackTask.objects.count() == 2


def test_an_outsourced_repair_is_called_back_by_our_own_department(
    org, resolver, customer_a, make_user
):
    vendor = Vendor.objects.create(name="某某通信工程公司")
    contractor = make_user("vendor_tech", org["team_a1"], "handler")
    contractor.staff.vendor = vendor
    contractor.staff.save()
    order = resolver.resolved(customer=customer_a, handler=contractor)
    task = CallbackTask.objects.get(items__order=order)
    assert task.unit == order.accepting_unit == org["county_a1"]  # not the vendor's team


def test_important_customers_and_those_without_a_mobile_are_called_by_a_person(
    org, resolver, customer_a, customer_a1, agent_a
):
    customer_a.tier_override = "diamond"
    customer_a.save()
    vip = CallbackTask.objects.get(items__order=resolver.resolved(customer=customer_a))
    assert vip.mode == Mode.MANUAL and vip.next_attempt_at is not None
    customer_a1.phone = "053112345678"  # a landline
    customer_a1.save()
    landline = CallbackTask.objects.get(items__order=resolver.resolved(customer=customer_a1))
    assert landline.mode == Mode.MANUAL
    assert not Message.objects.filter(template="callback_sms").exists()


def test_an_order_is_not_archived_before_its_callback(resolver, customer_a, agent_a):
    order = resolver.resolved(customer=customer_a)
    order = actions.work_order_reply(actor=agent_a, order=order, reply="已修复")
    with pytest.raises(ActionInvalid, match="callback|回访"):
        actions.work_order_close(actor=agent_a, order=order)
    assert WorkOrder.objects.get(pk=order.pk).status == "replied"


def test_a_satisfied_callback_archives_the_order(resolver, customer_a, callback_agent):
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    item = task.items.get()
    callback_record(
        actor=callback_agent,
        task=task,
        outcome=Outcome.ANSWERED,
        answers={item.pk: Answer(Level.VERY_SATISFIED)},
    )
    order.refresh_from_db()
    assert order.status == "closed"
    item.refresh_from_db()
    assert (item.level, item.on_time, item.status) == (Level.VERY_SATISFIED, True, "done")


def test_attempts_exhausted_end_the_callback_and_allow_archiving(
    clock, resolver, customer_a, callback_agent, agent_a
):
    order = resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    for outcome in (Outcome.NO_ANSWER, Outcome.BUSY):
        task = callback_record(actor=callback_agent, task=task, outcome=outcome)
        assert task.status == TaskStatus.OPEN and task.next_attempt_at > clock.now
        clock.advance(hours=1)
    task = callback_record(actor=callback_agent, task=task, outcome=Outcome.NO_ANSWER)
    assert task.status == TaskStatus.EXHAUSTED and "3" in task.outcome_note
    assert list(task.log.values_list("outcome", flat=True)) == [
        "sms_sent",
        "no_answer",
        "busy",
        "no_answer",
    ]
    order = actions.work_order_reply(actor=agent_a, order=order, reply="已修复")
    assert actions.work_order_close(actor=agent_a, order=order).status == "closed"


def test_an_answer_needs_a_level_per_order_and_a_reason_when_dissatisfied(
    resolver, customer_a, callback_agent
):
    resolver.resolved(customer=customer_a)
    task = CallbackTask.objects.get()
    item = task.items.get()
    with pytest.raises(ValidationFailed) as missing:
        callback_record(actor=callback_agent, task=task, outcome=Outcome.ANSWERED, answers={})
    assert f"level_{item.pk}" in missing.value.extra["errors"]
    with pytest.raises(ValidationFailed) as no_reason:
        callback_record(
            actor=callback_agent,
            task=task,
            outcome=Outcome.ANSWERED,
            answers={item.pk: Answer(Level.DISSATISFIED)},
        )
    assert f"reason_{item.pk}" in no_reason.value.extra["errors"]
    assert CallbackTask.objects.get().status == TaskStatus.OPEN


def test_a_callback_agent_of_another_prefecture_cannot_record(org, resolver, customer_a, make_user):
    resolver.resolved(customer=customer_a)
    outsider = make_user("cb_b", org["pref_b"], "callback_agent")
    with pytest.raises(NotFound):
        callback_record(actor=outsider, task=CallbackTask.objects.get(), outcome=Outcome.BUSY)
    assert CallbackTask.objects.get().attempts == 0


def test_a_reopened_order_withdraws_its_callback_and_gets_a_new_one_when_resolved_again(
    resolver, customer_a, supervisor_a, handler_a1
):
    order = resolver.resolved(customer=customer_a)
    order = actions.work_order_reopen(actor=supervisor_a, order=order, reason="客户又来电")
    assert CallbackTask.objects.get().status == TaskStatus.CANCELLED
    order = actions.work_order_dispatch(actor=supervisor_a, order=order, unit=order.handling_unit)
    order = actions.work_order_accept(actor=handler_a1, order=order)
    actions.work_order_resolve(actor=handler_a1, order=order, resolution="再次修复")
    assert CallbackItem.objects.filter(order=order, status="open").count() == 1


def test_the_share_samples_a_stable_part_of_a_type(resolver, customer_a, types):
    CallbackPolicy.objects.create(order_type=types["consultation"], share=30)
    orders = [
        resolver.resolved(customer=None, type_code="consultation", title=f"咨询 {n}")
        for n in range(40)
    ]
    called = {i.order_id for i in CallbackItem.objects.filter(order__in=orders)}
    expected = {o.pk for o in orders if sampled(o, 30)}
    assert called == expected and 0 < len(called) < 40


def test_no_sms_reply_goes_to_a_person_after_four_business_hours(clock, resolver, customer_a):
    clock.set("2025-06-03 16:00")
    resolver.resolved(customer=customer_a)
    clock.set("2025-06-04 10:59")  # 2 h on Tuesday + 1 h 59 on Wednesday
    callbacks_monitor_pass()
    assert CallbackTask.objects.get().mode == Mode.SMS
    clock.set("2025-06-04 11:00")
    callbacks_monitor_pass()
    task = CallbackTask.objects.get()
    assert task.mode == Mode.MANUAL and task.next_attempt_at == clock.now
    assert task.log.filter(outcome=Outcome.NO_REPLY).count() == 1


def test_the_callback_clock_warns_breaches_and_escalates_once(
    clock, resolver, customer_a, supervisor_county, supervisor_a
):
    clock.set("2025-06-03 10:00")
    resolver.resolved(customer=customer_a)
    clock.set("2025-06-03 18:00")
    callbacks_monitor_pass()
    assert CallbackTask.objects.get().clock_state == ClockState.WARNING
    clock.set("2025-06-06 10:00")
    callbacks_monitor_pass()
    callbacks_monitor_pass()  # a second pass finds the step done
    assert CallbackTask.objects.get().clock_state == ClockState.BREACHED
    breached = Message.objects.filter(template="callback_breached", channel="inbox")
    assert [m.recipient for m in breached] == [supervisor_county]  # above team A1
    clock.set("2025-06-06 11:00")
    callbacks_monitor_pass()
    escalated = Message.objects.filter(template="callback_escalated", channel="inbox")
    assert [m.recipient for m in escalated] == [supervisor_a]
    assert CallbackTask.objects.get().next_check_at is None


def test_settings_change_the_limit(clock, resolver, customer_a):
    CallbackSettings.objects.create(limit_days=1, manual_tiers=[])
    clock.set("2025-06-03 10:00")
    resolver.resolved(customer=customer_a)
    assert local(CallbackTask.objects.get().deadline_at) == "2025-06-04 10:00"


def test_the_worker_puts_a_resolved_orders_callback_into_a_call_each_minute(
    org, agent_a, dispatcher_a, handler_a1, types, customer_a
):
    from kefu.callbacks.tasks import callbacks_monitor
    from kefu.workorders.services import work_order_create

    order = work_order_create(
        actor=agent_a,
        order_type=types["install"],
        channel="hotline",
        title="装宽带",
        customer=customer_a,
    )
    order = actions.work_order_dispatch(
        actor=dispatcher_a, order=order, unit=org["team_a1"], handler=handler_a1
    )
    order = actions.work_order_accept(actor=handler_a1, order=order)
    actions.work_order_resolve(actor=handler_a1, order=order, resolution="已装好")
    assert CallbackItem.objects.get(order=order).task is None  # not yet in a call
    assert callbacks_monitor.call_local() >= 1
    assert CallbackItem.objects.get(order=order).task.mode == Mode.SMS
    assert Message.objects.filter(template="callback_sms").count() == 1
