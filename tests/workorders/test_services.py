"""Intake, the lifecycle through the services, first-contact ownership and concurrency."""

from __future__ import annotations

import pytest

from kefu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from kefu.workorders import selectors
from kefu.workorders.actions import ActionInvalid, work_order_act
from kefu.workorders.capacity import capacities
from kefu.workorders.models import Channel, ComplaintSource, WorkOrderEvent
from kefu.workorders.services import work_order_create
from tests.factories import callback_refused, complaint_verdict


def _complaint(agent, customer, types, **extra):
    return work_order_create(
        actor=agent,
        order_type=types["complaint"],
        channel=Channel.HOTLINE,
        title="宽带经常掉线",
        customer=customer,
        **extra,
    )


def test_intake_numbers_the_order_and_makes_the_agent_its_owner(agent_a, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types)
    assert order.number.endswith(f"{order.pk:08d}") and len(order.number) == 16
    assert order.owner == agent_a and order.status == "accepted"
    assert order.area_unit == customer_a1.org_unit and order.is_complaint
    assert list(order.events.values_list("action", flat=True)) == ["create"]
    assert order in selectors.work_order_list(viewer=agent_a, queue="accepted_by_me")
    assert order in selectors.work_order_list(viewer=agent_a, queue="dispatch")


def test_complaint_from_a_regulator_is_an_escalated_complaint(agent_a, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types, source=ComplaintSource.MIIT)
    assert order.is_escalated


def test_agent_cannot_take_in_an_order_for_a_customer_outside_their_scope(
    agent_b, customer_a1, types
):
    with pytest.raises(PermissionDenied):
        _complaint(agent_b, customer_a1, types)


def test_title_is_required_and_named(agent_a, customer_a1, types):
    with pytest.raises(ValidationFailed) as info:
        work_order_create(
            actor=agent_a, order_type=types["consultation"], channel="hotline", title="  "
        )
    assert "title" in info.value.extra["errors"]


def test_full_lifecycle_writes_one_event_per_action(
    org, agent_a, dispatcher_a, handlers_a1, customer_a1, types
):
    order = _complaint(agent_a, customer_a1, types)
    handler = handlers_a1[0]
    order = work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler},
    )
    assert order.status == "dispatched" and order.handler == handler
    order = work_order_act(actor=handler, order=order, action="contact", data={"note": "已联系"})
    assert order.status == "in_progress" and order.first_contact_at is not None
    order = work_order_act(
        actor=handler,
        order=order,
        action="resolve",
        data={
            "resolution": "更换光猫",
            "cause": complaint_verdict()["cause"],
            "justified": True,
            "remedy": "repair_replace_redo",
        },
    )
    assert order.status == "resolved" and order.justified is True
    assert not order.first_contact_resolution
    order = work_order_act(actor=agent_a, order=order, action="reply", data={"reply": "已修复"})
    callback_refused(order)
    order = work_order_act(actor=agent_a, order=order, action="close")
    assert order.status == "closed"
    actions = list(WorkOrderEvent.objects.filter(order=order).values_list("action", flat=True))
    assert actions == ["create", "dispatch", "contact", "resolve", "reply", "close"]


def test_invalid_action_names_the_allowed_ones(agent_a, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types)
    with pytest.raises(ActionInvalid) as info:
        work_order_act(actor=agent_a, order=order, action="reply", data={"reply": "x"})
    assert info.value.status == 400
    assert set(info.value.extra["allowed"]) >= {"contact", "note", "resolve", "cancel"}
    assert "reply" not in info.value.extra["allowed"]


def test_resolving_at_intake_is_first_contact_resolution(agent_a, customer_a1, types):
    order = work_order_create(
        actor=agent_a,
        order_type=types["consultation"],
        channel="hotline",
        title="咨询套餐资费",
        customer=customer_a1,
        resolve_at_intake="已解答资费问题",
    )
    assert order.status == "replied" and order.first_contact_resolution


def test_reason_is_required_to_transfer(
    org, agent_a, dispatcher_a, handlers_a1, customer_a1, types
):
    order = _complaint(agent_a, customer_a1, types)
    order = work_order_act(
        actor=dispatcher_a, order=order, action="dispatch", data={"unit": org["team_a1"]}
    )
    with pytest.raises(ValidationFailed) as info:
        work_order_act(
            actor=handlers_a1[0], order=order, action="transfer", data={"unit": org["county_a2"]}
        )
    assert "reason" in info.value.extra["errors"]


def test_stale_version_gets_409_and_changes_nothing(agent_a, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types)
    work_order_act(
        actor=agent_a, order=order, action="note", data={"note": "一"}, expected_version=1
    )
    with pytest.raises(Conflict):
        work_order_act(
            actor=agent_a, order=order, action="note", data={"note": "二"}, expected_version=1
        )
    assert order.events.filter(action="note").count() == 1


def test_orders_outside_scope_are_invisible(agent_a, agent_b, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types)
    assert selectors.work_order_visible(viewer=agent_b, key=order.number) is None
    assert not selectors.work_order_list(viewer=agent_b).filter(pk=order.pk).exists()
    with pytest.raises(NotFound):
        work_order_act(actor=agent_b, order=order, action="note", data={"note": "x"})


def test_suspend_keeps_the_state_to_resume_to(
    org, agent_a, dispatcher_a, handlers_a1, customer_a1, types
):
    order = _complaint(agent_a, customer_a1, types)
    h = handlers_a1[1]
    order = work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": h},
    )
    order = work_order_act(actor=h, order=order, action="accept")
    order = work_order_act(actor=h, order=order, action="suspend", data={"reason": "客户出差"})
    assert order.status == "suspended"
    order = work_order_act(actor=h, order=order, action="resume")
    assert order.status == "in_progress"


def test_capacities_of_the_owner_and_a_stranger(agent_a, agent_b, customer_a1, types):
    order = _complaint(agent_a, customer_a1, types)
    assert "owner" in capacities(agent_a, order)
    assert capacities(agent_b, order) == frozenset()


def test_the_owner_of_record_hears_of_every_change_by_others(
    org, agent_a, dispatcher_a, handlers_a1, customer_a1, types
):
    from kefu.notify.models import Message

    order = _complaint(agent_a, customer_a1, types)
    handler = handlers_a1[0]
    order = work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": handler},
    )
    work_order_act(actor=agent_a, order=order, action="note", data={"note": "客户再次来电"})
    work_order_act(actor=handler, order=order, action="contact")
    to_owner = Message.objects.filter(recipient=agent_a, channel="inbox").order_by("id")
    # Dispatch and contact by others, minutes apart: one unread notification lists both;
    # the owner's own note is not news to them.
    [message] = to_owner
    assert message.template == "wo_changed"
    assert order.number in message.subject and "（2 项）" in message.subject
    assert "派单" in message.body and "联系客户" in message.body
    assert "客户再次来电" not in message.body
    assert Message.objects.filter(recipient=handler, template="wo_assigned").count() == 1
