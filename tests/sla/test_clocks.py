"""Clocks follow the order: started at intake, stopped by contact, resolution and reply,
paused by suspension, cancelled with the order — on 24x7 and on Chinese working hours."""

from __future__ import annotations

import pytest

from kefu.sla.models import ClockKind, ClockState, SlaClock
from kefu.sla.selectors import clocks_for, countdown
from kefu.workorders.actions import work_order_act
from tests.factories import complaint_verdict, local


def clock_of(order, kind) -> SlaClock:
    return SlaClock.objects.filter(order=order, kind=kind).order_by("-id").first()


def due(order, kind) -> str:
    return local(clock_of(order, kind).due_at)


def test_complaint_must_be_contacted_within_two_hours_around_the_clock(clock, take_in):
    clock.set("2025-06-03 17:00")  # Tuesday, an hour before closing time
    order = take_in("complaint")
    first = clock_of(order, ClockKind.FIRST_CONTACT)
    assert (first.calendar, first.budget_minutes) == ("24x7", 120)
    assert local(first.due_at) == "2025-06-03 19:00"  # not Wednesday morning
    assert local(first.warn_at) == "2025-06-03 18:36"  # 80 % of two hours
    # Resolution: 3 working days — 1 h Tue, 8 h Wed, 8 h Thu, 7 h Fri.
    assert due(order, ClockKind.RESOLUTION) == "2025-06-06 17:00"
    # The order shows its earliest deadline for the lists, in memory and in the database.
    assert local(order.due_at) == "2025-06-03 19:00" and order.sla_state == ""
    order.refresh_from_db()
    assert local(order.due_at) == "2025-06-03 19:00"


def test_vip_complaint_is_stricter_than_an_ordinary_one(clock, take_in, vip_customer):
    ordinary = take_in("complaint")
    vip = take_in("complaint", customer=vip_customer)
    assert clock_of(ordinary, ClockKind.FIRST_CONTACT).budget_minutes == 120
    assert clock_of(vip, ClockKind.FIRST_CONTACT).budget_minutes == 60
    assert (
        clock_of(vip, ClockKind.RESOLUTION).due_at < clock_of(ordinary, ClockKind.RESOLUTION).due_at
    )


def test_broadband_fault_is_stricter_than_fixed_line(clock, take_in):
    broadband = take_in("fault", line="broadband")
    fixed = take_in("fault", line="fixed")
    assert due(broadband, ClockKind.RESOLUTION) == "2025-06-03 17:00"  # 8 h, 24x7
    assert due(fixed, ClockKind.RESOLUTION) == "2025-06-04 09:00"  # 24 h, 24x7


def test_resolution_limit_skips_national_day_2025_and_counts_its_make_up_saturday(clock, take_in):
    clock.set("2025-09-30 17:00")
    order = take_in("complaint")
    # 1440 working minutes: 60 on 30 Sep; 1–8 Oct off; 480 on Thu 9 and Fri 10 Oct; the
    # remaining 420 on Saturday 11 Oct, a make-up working day: 09–12 and 13–17.
    assert due(order, ClockKind.RESOLUTION) == "2025-10-11 17:00"
    # First contact is 24x7: the holiday does not delay a complaint call-back.
    assert due(order, ClockKind.FIRST_CONTACT) == "2025-09-30 19:00"


def test_make_up_sunday_before_national_day_counts(clock, take_in):
    clock.set("2025-09-27 10:00")  # Saturday, off; Sunday 28 Sep is a working day
    order = take_in("consultation")
    assert due(order, ClockKind.RESOLUTION) == "2025-09-28 18:00"


def test_lunch_break_does_not_count(clock, take_in, vip_customer):
    order = take_in("complaint", customer=vip_customer)
    clock.set("2025-06-03 11:00")
    order = work_order_act(
        actor=order.owner,
        order=order,
        action="resolve",
        data={"resolution": "已处理", **complaint_verdict()},
    )
    # VIP reply limit: 4 working hours — 11–12, then 13–16.
    assert due(order, ClockKind.REPLY) == "2025-06-03 16:00"


def test_suspension_pauses_every_clock_and_resumption_carries_the_time_left(
    clock, take_in, dispatch, handlers_a1
):
    order = take_in("complaint")  # Tue 09:00: resolution due Thu 18:00
    assert due(order, ClockKind.RESOLUTION) == "2025-06-05 18:00"
    order = dispatch(order)
    handler = handlers_a1[0]
    order = work_order_act(actor=handler, order=order, action="contact")
    clock.set("2025-06-04 17:00")  # Wed: 9 working hours left
    order = work_order_act(
        actor=handler, order=order, action="suspend", data={"reason": "等待客户在家"}
    )
    resolution = clock_of(order, ClockKind.RESOLUTION)
    assert resolution.is_paused and resolution.next_check_at is None
    assert order.due_at is None  # nothing is counting while suspended
    assert countdown(order)[0]["paused"] is True

    clock.set("2025-06-05 10:00")  # Thu
    order = work_order_act(actor=handler, order=order, action="resume")
    # 9 h from Thu 10:00: 10–12, 13–18 (7 h), then Fri 09–11.
    assert due(order, ClockKind.RESOLUTION) == "2025-06-06 11:00"
    assert local(order.due_at) == "2025-06-06 11:00"
    assert clock_of(order, ClockKind.RESOLUTION).pauses


def test_24x7_clock_pause_counts_wall_time(clock, take_in, dispatch, handlers_a1):
    order = dispatch(take_in("fault", line="broadband"))  # 8 h 24x7: due 17:00
    handler = handlers_a1[0]
    order = work_order_act(actor=handler, order=order, action="accept")
    clock.set("2025-06-03 10:00")
    order = work_order_act(actor=handler, order=order, action="suspend", data={"reason": "x"})
    clock.set("2025-06-03 15:00")
    order = work_order_act(actor=handler, order=order, action="resume")
    assert due(order, ClockKind.RESOLUTION) == "2025-06-03 22:00"


def test_first_contact_in_time_is_met_and_late_contact_is_late(
    clock, take_in, dispatch, handlers_a1
):
    handler = handlers_a1[0]
    early = dispatch(take_in("complaint"))
    late = dispatch(take_in("complaint"))
    clock.set("2025-06-03 10:59")
    work_order_act(actor=handler, order=early, action="contact")
    clock.set("2025-06-03 11:01")
    late = work_order_act(actor=handler, order=late, action="contact")
    assert clock_of(early, ClockKind.FIRST_CONTACT).state == ClockState.MET
    assert clock_of(late, ClockKind.FIRST_CONTACT).state == ClockState.LATE
    # The resolution clock keeps running: the order's due time is now its deadline.
    assert local(late.due_at) == due(late, ClockKind.RESOLUTION)


def test_resolve_stops_resolution_and_starts_the_reply_clock_reply_stops_it(
    clock, take_in, agent_a
):
    order = take_in("complaint")
    clock.set("2025-06-03 10:00")
    order = work_order_act(
        actor=agent_a,
        order=order,
        action="resolve",
        data={"resolution": "当场解释清楚", **complaint_verdict()},
    )
    states = {c.kind: c.state for c in clocks_for(order)}
    assert states == {
        ClockKind.FIRST_CONTACT: ClockState.MET,
        ClockKind.RESOLUTION: ClockState.MET,
        ClockKind.REPLY: ClockState.RUNNING,
    }
    assert due(order, ClockKind.REPLY) == "2025-06-04 10:00"  # one working day
    order = work_order_act(actor=agent_a, order=order, action="reply", data={"reply": "已答复"})
    assert clock_of(order, ClockKind.REPLY).state == ClockState.MET
    assert order.due_at is None and order.sla_state == ""
    assert countdown(order) == []


def test_cancelling_an_order_cancels_its_clocks(clock, take_in, agent_a):
    order = take_in("complaint")
    order = work_order_act(actor=agent_a, order=order, action="cancel", data={"reason": "重复"})
    assert {c.state for c in clocks_for(order)} == {ClockState.CANCELLED}
    assert order.due_at is None


def test_reopening_starts_a_fresh_resolution_clock(clock, take_in, agent_a, supervisor_a):
    order = take_in("complaint")
    order = work_order_act(
        actor=agent_a,
        order=order,
        action="resolve",
        data={"resolution": "已处理", **complaint_verdict()},
    )
    clock.set("2025-06-04 09:00")
    order = work_order_act(
        actor=supervisor_a, order=order, action="reopen", data={"reason": "客户不满意"}
    )
    resolutions = list(clocks_for(order).filter(kind=ClockKind.RESOLUTION))
    assert [c.state for c in resolutions] == [ClockState.MET, ClockState.RUNNING]
    assert local(resolutions[1].due_at) == "2025-06-06 18:00"  # 3 days from Wed 09:00
    assert clock_of(order, ClockKind.REPLY).state == ClockState.CANCELLED


def test_editing_a_policy_does_not_move_a_running_clock(clock, take_in, admin_user):
    from kefu.sla.models import SlaPolicy
    from kefu.sla.policies import sla_policy_update

    order = take_in("complaint")
    policy = SlaPolicy.objects.get(code="complaint")
    sla_policy_update(actor=admin_user, policy=policy, data={"first_contact_minutes": 30})
    assert due(order, ClockKind.FIRST_CONTACT) == "2025-06-03 11:00"
    assert clock_of(take_in("complaint"), ClockKind.FIRST_CONTACT).budget_minutes == 30


@pytest.mark.parametrize("type_code", ["praise", "suggestion", "internal"])
def test_every_order_gets_a_time_limit_from_the_fallback(clock, take_in, type_code):
    order = take_in(type_code)
    assert clock_of(order, ClockKind.RESOLUTION).policy.code == "default"


def test_the_summary_kept_by_actions_is_what_the_monitors_bulk_sync_computes(
    clock, take_in, dispatch, handlers_a1
):
    """Actions keep due_at/sla_state from the clocks in hand, the monitor re-reads the live
    clocks of many orders at once: the lists' 预警/超时 queues must not depend on which one
    wrote last."""
    from kefu.sla.clocks import sync_orders
    from kefu.workorders.models import WorkOrder

    def stored(order):
        return WorkOrder.objects.values_list("due_at", "sla_state").get(pk=order.pk)

    fresh = take_in("complaint")
    handler = handlers_a1[0]
    suspended = work_order_act(actor=handler, order=dispatch(take_in()), action="contact")
    work_order_act(actor=handler, order=suspended, action="suspend", data={"reason": "客户出差"})
    orders = [fresh, suspended]
    by_actions = [stored(o) for o in orders]
    assert by_actions[0][0] is not None and by_actions[1] == (None, "")  # paused: no due
    WorkOrder.objects.filter(pk__in=[o.pk for o in orders]).update(due_at=None, sla_state="?")
    assert sync_orders([o.pk for o in orders]) == 2
    assert [stored(o) for o in orders] == by_actions
    assert sync_orders([o.pk for o in orders]) == 0  # nothing changed: nothing written


def test_an_order_resolved_at_intake_does_not_wait_for_a_reply(clock, take_in):
    """首次联系解决: the answer given on the phone is the reply; no reply clock left running."""
    order = take_in("consultation", resolve_at_intake="已解答资费问题")
    assert order.status == "replied" and order.reply == "已解答资费问题"
    assert [e.action for e in order.events.order_by("id")] == ["create", "resolve", "reply"]
    assert order.events.get(action="reply").data == {"at_intake": True}
    assert not SlaClock.objects.filter(order=order, stopped_at=None).exists()
    reply = clock_of(order, ClockKind.REPLY)
    assert reply is None or reply.state == ClockState.MET
    assert order.due_at is None and order.sla_state == ""
