"""What each transition does to the order, asserted field by field: a change to any
transition's effect fails here. Taken in on a clock the tests set (Tue 2025-06-03 09:00)."""

from __future__ import annotations

import pytest

from kefu.core.errors import ValidationFailed
from kefu.notify.models import Message
from kefu.sla.models import ClockState, SlaClock
from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderEvent
from kefu.workorders.services import work_order_create
from tests.factories import at

pytestmark = pytest.mark.usefixtures("clock")


def _inbox(user, template: str) -> list[Message]:
    return list(Message.objects.filter(recipient=user, template=template, channel="inbox"))


def _complaint(agent, customer, types, title="宽带经常掉线"):
    return work_order_create(
        actor=agent,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title=title,
        customer=customer,
    )


@pytest.fixture
def dispatched(org, agent_a, dispatcher_a, handlers_a1, customer_a1, types):
    """A complaint dispatched to team A1, handler 0, who has taken it on."""
    order = work_order_act(
        actor=dispatcher_a,
        order=_complaint(agent_a, customer_a1, types),
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handlers_a1[0]},
    )
    return work_order_act(actor=handlers_a1[0], order=order, action="accept")


def _fresh(order) -> WorkOrder:
    return WorkOrder.objects.get(pk=order.pk)


def test_transfer_sets_the_new_unit_and_its_person(org, dispatcher_a, handler_a2, dispatched):
    work_order_act(
        actor=dispatcher_a,
        order=dispatched,
        action="transfer",
        data={"unit": org["team_a2"], "handler": handler_a2, "reason": "属A2县线路"},
    )
    order = _fresh(dispatched)
    assert (order.status, order.handling_unit, order.handler) == (
        "dispatched",
        org["team_a2"],
        handler_a2,
    )
    assert order.dispatching_unit == org["pref_a"]  # dispatched from the prefecture still
    assert len(_inbox(handler_a2, "wo_assigned")) == 1


def test_transfer_to_a_unit_queue_leaves_nobody_assigned(org, dispatcher_a, dispatched):
    work_order_act(
        actor=dispatcher_a,
        order=dispatched,
        action="transfer",
        data={"unit": org["team_a2"], "reason": "属A2县线路"},
    )
    order = _fresh(dispatched)
    assert (order.handling_unit, order.handler_id) == (org["team_a2"], None)


def test_return_clears_unit_and_handler_and_waits_for_dispatch(handlers_a1, dispatched):
    work_order_act(
        actor=handlers_a1[0], order=dispatched, action="return", data={"reason": "非本班组"}
    )
    order = _fresh(dispatched)
    assert (order.status, order.handling_unit_id, order.handler_id) == ("returned", None, None)
    assert order.dispatched_at is not None  # the first dispatch stays on record


def test_merge_points_at_the_target_and_stops_the_duplicates_clocks(
    agent_a, customer_a1, types, clock
):
    target = _complaint(agent_a, customer_a1, types)
    duplicate = _complaint(agent_a, customer_a1, types, title="同一故障再次来电")
    clock.set("2025-06-03 09:30")
    work_order_act(actor=agent_a, order=duplicate, action="merge", data={"target": target})
    order = _fresh(duplicate)
    assert (order.status, order.merged_into) == ("cancelled", target)
    clocks = SlaClock.objects.filter(order=duplicate)
    assert clocks.exists() and {c.state for c in clocks} == {ClockState.CANCELLED}
    assert {c.stopped_at for c in clocks} == {at("2025-06-03 09:30")}
    assert order.due_at is None
    # The order merged into keeps running, and its timeline names the duplicate.
    assert not SlaClock.objects.filter(order=target, stopped_at__isnull=False).exists()
    assert target.events.filter(note__contains=duplicate.number).exists()


def test_escalate_raises_the_order_to_the_unit_above_and_tells_its_supervisors(
    org, handlers_a1, supervisor_county, supervisor_a, dispatched
):
    work_order_act(
        actor=handlers_a1[0], order=dispatched, action="escalate", data={"reason": "需县公司协调"}
    )
    order = _fresh(dispatched)
    assert (order.escalation_level, order.escalated_to) == (1, org["county_a1"])
    [message] = _inbox(supervisor_county, "wo_escalated")
    assert order.number in message.subject and "需县公司协调" in message.body
    assert _inbox(supervisor_a, "wo_escalated") == []
    event = order.events.get(action="escalate")
    assert event.data["notified"] == [supervisor_county.pk]

    work_order_act(
        actor=handlers_a1[0], order=order, action="escalate", data={"reason": "县公司无法解决"}
    )
    order = _fresh(order)
    assert (order.escalation_level, order.escalated_to) == (2, org["pref_a"])
    assert len(_inbox(supervisor_a, "wo_escalated")) == 1
    assert len(_inbox(supervisor_county, "wo_escalated")) == 1


def test_escalate_skips_a_unit_without_supervisors(org, handlers_a1, supervisor_a, dispatched):
    """Team A1 → county A1 has nobody to tell: the escalation reaches the prefecture."""
    work_order_act(
        actor=handlers_a1[0], order=dispatched, action="escalate", data={"reason": "需协调"}
    )
    order = _fresh(dispatched)
    assert (order.escalation_level, order.escalated_to) == (1, org["pref_a"])
    assert len(_inbox(supervisor_a, "wo_escalated")) == 1


def test_urge_counts_and_tells_the_handler(agent_a, handlers_a1, dispatched):
    work_order_act(actor=agent_a, order=dispatched, action="urge", data={"note": "客户第三次来电"})
    assert _fresh(dispatched).urge_count == 1
    [message] = _inbox(handlers_a1[0], "wo_urged")
    assert dispatched.number in message.subject and "客户第三次来电" in message.body


def test_supervise_records_the_supervisors_unit(org, supervisor_a, handlers_a1, dispatched):
    work_order_act(
        actor=supervisor_a, order=dispatched, action="supervise", data={"note": "今日办结"}
    )
    assert _fresh(dispatched).supervising_unit == org["pref_a"]
    assert len(_inbox(handlers_a1[0], "wo_supervised")) == 1


def test_link_relates_both_orders(agent_a, customer_a1, types, dispatched):
    other = _complaint(agent_a, customer_a1, types, title="同小区另一户")
    work_order_act(actor=agent_a, order=dispatched, action="link", data={"target": other})
    assert list(_fresh(dispatched).related.all()) == [other]
    assert list(other.related.all()) == [_fresh(dispatched)]


def test_the_lead_unit_cannot_invite_itself_to_co_handle(org, handlers_a1, dispatched):
    with pytest.raises(ValidationFailed) as info:
        work_order_act(
            actor=handlers_a1[0],
            order=dispatched,
            action="co_handle",
            data={"units": [org["team_a1"]]},
        )
    assert list(info.value.extra["errors"]) == ["units"]
    order = _fresh(dispatched)
    assert order.version == dispatched.version and not order.co_handlings.exists()
    assert not WorkOrderEvent.objects.filter(order=order, action="co_handle").exists()


def test_co_handling_invites_the_unit(org, supervisor_a, dispatched):
    work_order_act(
        actor=supervisor_a,
        order=dispatched,
        action="co_handle",
        data={"units": [org["team_a2"]]},
    )
    [part] = _fresh(dispatched).co_handlings.all()
    assert (part.unit, part.invited_by, part.done_at) == (org["team_a2"], supervisor_a, None)
