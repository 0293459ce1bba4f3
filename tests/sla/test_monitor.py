"""The monitor: 事前预警 at 80 %, breach (超时), the escalation ladder handler → unit
supervisor → parent unit, each step once, recorded and notified; only due rows touched."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from kefu.notify.models import Message
from kefu.sla import tasks
from kefu.sla.models import ClockKind, ClockState, SlaClock
from kefu.sla.monitor import sla_monitor_pass
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from tests.factories import local


def first_contact(order) -> SlaClock:
    return SlaClock.objects.get(order=order, kind=ClockKind.FIRST_CONTACT)


def escalations(order) -> list[int]:
    events = WorkOrderEvent.objects.filter(order=order, action="escalate").order_by("id")
    return [e.data["step"] for e in events]


def inbox(template: str, user) -> int:
    return Message.objects.filter(template=template, recipient=user, channel="inbox").count()


@pytest.fixture
def complaint(clock, take_in, dispatch):
    """A complaint taken in Tue 09:00 and dispatched to team A1: contact due 11:00."""
    return dispatch(take_in("complaint"))


def test_warning_at_eighty_percent_tells_handler_and_owner_once(
    clock, complaint, handlers_a1, agent_a
):
    clock.set("2025-06-03 10:35")
    assert sla_monitor_pass() == {}
    clock.set("2025-06-03 10:36")  # 96 of 120 minutes
    assert sla_monitor_pass() == {"warned": 1}
    assert first_contact(complaint).state == ClockState.WARNING
    assert WorkOrder.objects.get(pk=complaint.pk).sla_state == "warning"
    assert inbox("sla_warning", handlers_a1[0]) == 1 and inbox("sla_warning", agent_a) == 1
    assert sla_monitor_pass() == {}  # nothing due any more
    assert inbox("sla_warning", handlers_a1[0]) == 1


def test_the_ladder_does_not_pull_down_a_manual_escalation_that_went_further(
    clock, complaint, supervisor_a, org
):
    clock.set("2025-06-03 11:00")
    assert sla_monitor_pass() == {"breached": 1}
    WorkOrder.objects.filter(pk=complaint.pk).update(escalation_level=2, escalated_to=org["pref_a"])
    clock.set("2025-06-03 12:00")  # the ladder's step to the county (level 1)
    assert sla_monitor_pass() == {"escalated": 1}
    order = WorkOrder.objects.get(pk=complaint.pk)
    assert (order.escalation_level, order.escalated_to) == (2, org["pref_a"])
    assert order.sla_state == "breached"


def test_breach_climbs_the_ladder_one_step_per_interval(
    clock, complaint, handlers_a1, agent_a, supervisor_county, supervisor_a, org
):
    clock.set("2025-06-03 11:00")
    assert sla_monitor_pass() == {"breached": 1}
    order = WorkOrder.objects.get(pk=complaint.pk)
    assert order.sla_state == "breached" and escalations(order) == [1]
    assert inbox("sla_breached", handlers_a1[0]) == 1 and inbox("sla_breached", agent_a) == 1
    assert inbox("sla_escalated", supervisor_county) == 0

    clock.set("2025-06-03 11:59")
    assert sla_monitor_pass() == {}
    clock.set("2025-06-03 12:00")  # escalation_minutes = 60 on the 24x7 clock
    assert sla_monitor_pass() == {"escalated": 1}
    assert inbox("sla_escalated", supervisor_county) == 1
    assert inbox("sla_escalated", supervisor_a) == 0
    order.refresh_from_db()
    assert (order.escalation_level, order.escalated_to) == (1, org["county_a1"])

    clock.set("2025-06-03 13:00")
    assert sla_monitor_pass() == {"escalated": 1}
    assert inbox("sla_escalated", supervisor_a) == 1
    order.refresh_from_db()
    assert (order.escalation_level, order.escalated_to) == (2, org["pref_a"])

    clock.set("2025-06-05 13:00")  # top of the ladder: nothing more, however long
    assert sla_monitor_pass() == {}
    assert escalations(order) == [1, 2, 3]
    assert first_contact(order).next_check_at is None
    notes = list(order.events.filter(action="escalate").values_list("note", flat=True))
    assert "A1县分公司" in notes[1] and "A市分公司" in notes[2]


def test_the_ladder_goes_on_from_a_manual_escalation(
    clock, complaint, handlers_a1, supervisor_county, supervisor_a, org
):
    """The handler escalates to the county by hand at 10:00 (its supervisor is told then);
    the breach's ladder goes on from there: the prefecture next, the county not again."""
    clock.set("2025-06-03 10:00")
    order = work_order_act(
        actor=handlers_a1[0], order=complaint, action="escalate", data={"reason": "需县公司协调"}
    )
    assert (order.escalation_level, order.escalated_to) == (1, org["county_a1"])
    assert inbox("wo_escalated", supervisor_county) == 1
    clock.set("2025-06-03 11:00")
    assert sla_monitor_pass() == {"breached": 1}
    clock.set("2025-06-03 12:00")
    assert sla_monitor_pass() == {"escalated": 1}
    assert inbox("sla_escalated", supervisor_a) == 1
    assert inbox("sla_escalated", supervisor_county) == 0
    order.refresh_from_db()
    assert (order.escalation_level, order.escalated_to) == (2, org["pref_a"])
    clock.set("2025-06-03 13:00")  # nobody above the prefecture: recorded, nothing raised
    assert sla_monitor_pass() == {"escalated": 1}
    order.refresh_from_db()
    assert (order.escalation_level, order.escalated_to) == (2, org["pref_a"])
    assert inbox("sla_escalated", supervisor_a) == 1


def test_a_monitor_that_was_down_catches_up_each_step_exactly_once(
    clock, complaint, supervisor_county, supervisor_a
):
    clock.set("2025-06-03 18:00")
    assert sla_monitor_pass() == {"breached": 1, "escalated": 2}
    assert escalations(complaint) == [1, 2, 3]
    clock.advance(minutes=1)
    assert sla_monitor_pass() == {}
    assert sla_monitor_pass(now=clock.now) == {}
    assert escalations(complaint) == [1, 2, 3]
    assert inbox("sla_escalated", supervisor_county) == inbox("sla_escalated", supervisor_a) == 1


def test_ladder_runs_on_the_clock_calendar(clock, take_in, dispatch, supervisor_county):
    clock.set("2025-06-03 09:30")  # Tuesday; resolution due Fri 2025-06-06 09:30 (3 days)
    order = dispatch(take_in("complaint"))
    SlaClock.objects.filter(order=order, kind=ClockKind.FIRST_CONTACT).delete()
    resolution = SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION)
    SlaClock.objects.filter(pk=resolution.pk).update(
        due_at=clock.set("2025-06-06 17:30"), warn_at=None, next_check_at=clock.now
    )
    assert sla_monitor_pass() == {"breached": 1}
    # One working hour after Friday 17:30 is Monday 09:30, not Friday 18:30.
    assert local(SlaClock.objects.get(pk=resolution.pk).next_step_at) == "2025-06-09 09:30"
    clock.set("2025-06-07 12:00")
    assert sla_monitor_pass() == {}
    clock.set("2025-06-09 09:30")
    assert sla_monitor_pass() == {"escalated": 1}
    assert inbox("sla_escalated", supervisor_county) == 1


def test_a_suspended_order_is_neither_warned_nor_escalated(clock, complaint, handlers_a1):
    handler = handlers_a1[0]
    order = work_order_act(actor=handler, order=complaint, action="contact")
    clock.set("2025-06-03 10:00")
    work_order_act(actor=handler, order=order, action="suspend", data={"reason": "客户出差"})
    clock.set("2025-06-04 10:00")
    assert sla_monitor_pass() == {}
    assert escalations(order) == []


def test_suspending_before_first_contact_leaves_the_contact_clock_running(
    clock, complaint, handlers_a1, agent_a
):
    """Taken on at 09:00, suspended at 10:00 without calling the customer: the two-hour
    first-contact promise still falls due at 11:00 and breaches; resolution is paused."""
    handler = handlers_a1[0]
    order = work_order_act(actor=handler, order=complaint, action="accept")
    clock.set("2025-06-03 10:00")
    order = work_order_act(actor=handler, order=order, action="suspend", data={"reason": "缺料"})
    contact = first_contact(order)
    assert not contact.is_paused and local(contact.due_at) == "2025-06-03 11:00"
    assert SlaClock.objects.get(order=order, kind=ClockKind.RESOLUTION).is_paused
    assert local(order.due_at) == "2025-06-03 11:00"  # the lists still count down to it
    clock.set("2025-06-03 11:00")
    assert sla_monitor_pass() == {"breached": 1}
    assert inbox("sla_breached", handler) == 1 and inbox("sla_breached", agent_a) == 1
    order = work_order_act(actor=handler, order=order, action="resume")
    assert first_contact(order).pauses == []  # it never paused


def test_a_late_contact_ends_the_ladder_and_clears_the_flag(clock, complaint, handlers_a1):
    clock.set("2025-06-03 11:00")
    sla_monitor_pass()
    clock.set("2025-06-03 11:30")
    order = work_order_act(actor=handlers_a1[0], order=complaint, action="contact")
    assert first_contact(order).state == ClockState.LATE
    assert order.sla_state == ""
    clock.set("2025-06-03 14:00")
    assert sla_monitor_pass() == {}
    assert escalations(order) == [1]


def test_breach_before_dispatch_escalates_in_the_area(clock, take_in, supervisor_a, agent_a):
    order = take_in("complaint")  # waiting in the dispatch queue, no handler
    clock.set("2025-06-03 13:00")
    assert sla_monitor_pass() == {"breached": 1, "escalated": 2}
    assert inbox("sla_breached", agent_a) == 1  # the owner of record
    assert inbox("sla_escalated", supervisor_a) == 1  # the area's nearest supervisor
    events = list(WorkOrderEvent.objects.filter(order=order, action="escalate").order_by("id"))
    assert events[1].data["unit"] == "A市分公司"
    # Nobody supervises above the prefecture here: the step is still recorded, and says so.
    assert events[2].data == {**events[2].data, "step": 3, "unit": "", "notified": []}
    assert "no supervisor" in events[2].note or "未找到" in events[2].note


def test_a_pass_with_nothing_due_reads_one_index_range(clock, complaint, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert sla_monitor_pass() == {}


def test_only_due_clocks_are_touched(clock, take_in, dispatch):
    orders = [dispatch(take_in("complaint")) for _ in range(3)]
    clock.set("2025-06-03 10:00")
    late = take_in("complaint")  # contact due 12:00
    clock.set("2025-06-03 11:00")
    before = {c.pk: c.next_check_at for c in SlaClock.objects.filter(order=late)}
    assert sla_monitor_pass() == {"breached": 3}
    assert {c.pk: c.next_check_at for c in SlaClock.objects.filter(order=late)} == before
    assert [escalations(o) for o in orders] == [[1], [1], [1]]


def test_the_periodic_task_runs_the_pass(clock, complaint):
    clock.set("2025-06-03 11:00")
    tasks.sla_monitor()  # tests run Huey immediate
    assert escalations(complaint) == [1]


@pytest.mark.django_db(transaction=True)
def test_an_order_a_user_is_acting_on_is_passed_over_not_waited_for(clock, complaint):
    """SKIP LOCKED: the monitor neither blocks behind a user's action nor deadlocks with it;
    the next pass picks the order up."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole write transactions")
    locked, release = threading.Event(), threading.Event()

    def user_action():
        try:
            with transaction.atomic():
                WorkOrder.objects.select_for_update().get(pk=complaint.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=user_action)
    thread.start()
    assert locked.wait(30)
    clock.set("2025-06-03 11:00")
    try:
        assert sla_monitor_pass() == {"passed_over": 1}
    finally:
        release.set()
        thread.join(30)
    assert sla_monitor_pass() == {"breached": 1}
    assert escalations(complaint) == [1]
