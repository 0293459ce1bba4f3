"""Each typed transition service: the happy path, a refusal from the transition table (the
order unchanged), and the timeline event it writes. Taken in on a clock the tests set."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kefu.workorders import actions
from kefu.workorders.actions import ActionInvalid
from kefu.workorders.models import Channel, WorkOrder
from kefu.workorders.services import work_order_create
from kefu.workorders.transitions import TABLE, Action
from tests.factories import callback_refused, complaint_verdict

pytestmark = pytest.mark.usefixtures("clock")  # Tue 2025-06-03 09:00 (tests/conftest.py)


@pytest.fixture
def people(agent_a, supervisor_a, dispatcher_a, handlers_a1, handler_a2):
    return {
        "agent": agent_a,
        "supervisor": supervisor_a,
        "dispatcher": dispatcher_a,
        "handler": handlers_a1[0],
        "colleague": handlers_a1[1],
        "handler_a2": handler_a2,
        "system": None,
    }


class Orders:
    """Complaints of one customer brought to a given state through the typed services."""

    def __init__(self, org, people, customer, types):
        self.org, self.people, self.customer, self.types = org, people, customer, types

    def new(self, title="宽带经常掉线") -> WorkOrder:
        return work_order_create(
            actor=self.people["agent"],
            order_type=self.types["complaint"],
            channel=Channel.HOTLINE,
            title=title,
            customer=self.customer,
        )

    def at(self, state: str) -> WorkOrder:
        p, org = self.people, self.org
        order = self.new()
        if state == "accepted":
            return order
        if state == "cancelled":
            return actions.work_order_cancel(actor=p["agent"], order=order, reason="误录")
        order = actions.work_order_dispatch(
            actor=p["dispatcher"], order=order, unit=org["team_a1"], handler=p["handler"]
        )
        if state == "dispatched":
            return order
        order = actions.work_order_accept(actor=p["handler"], order=order)
        if state == "in_progress":
            return order
        if state == "suspended":
            return actions.work_order_suspend(actor=p["handler"], order=order, reason="等备件")
        order = actions.work_order_resolve(
            actor=p["handler"], order=order, resolution="已更换光猫", **complaint_verdict()
        )
        if state == "resolved":
            return order
        order = actions.work_order_reply(actor=p["agent"], order=order, reply="已为您处理")
        callback_refused(order)  # the callback over: the order may be archived
        if state == "replied":
            return order
        assert state == "closed"
        return actions.work_order_close(actor=p["agent"], order=order)


@pytest.fixture
def orders(org, people, customer_a1, types):
    return Orders(org, people, customer_a1, types)


@dataclass
class Case:
    action: Action
    actor: str
    start: str  # the state the happy path starts from
    to: str  # the state it ends in
    refused_from: str | None  # a state the table refuses it from (None: allowed in all)
    arguments: Any = field(default_factory=dict)  # (orders, order) -> keyword arguments
    event: dict = field(default_factory=dict)  # expected items of the event's data


def _none(orders, order):
    return {}


CASES = [
    Case(
        Action.DISPATCH,
        "dispatcher",
        "accepted",
        "dispatched",
        "resolved",
        lambda o, order: {"unit": o.org["team_a1"], "handler": o.people["handler"]},
        {"unit": "A1县营业班"},
    ),
    Case(Action.ACCEPT, "handler", "dispatched", "in_progress", "in_progress", _none),
    Case(
        Action.TRANSFER,
        "dispatcher",
        "in_progress",
        "dispatched",
        "resolved",
        lambda o, order: {"unit": o.org["team_a2"], "reason": "属A2县线路"},
        {"from_unit": "A1县营业班"},
    ),
    Case(
        Action.RETURN,
        "handler",
        "in_progress",
        "returned",
        "resolved",
        lambda o, order: {"reason": "非本单位"},
        {"from_unit": "A1县营业班"},
    ),
    Case(
        Action.SUSPEND,
        "handler",
        "in_progress",
        "suspended",
        "dispatched",
        lambda o, order: {"reason": "等备件"},
    ),
    Case(Action.RESUME, "handler", "suspended", "in_progress", "in_progress", _none),
    Case(
        Action.CONTACT, "handler", "dispatched", "in_progress", "resolved", _none, {"first": True}
    ),
    Case(
        Action.NOTE,
        "agent",
        "closed",
        "closed",
        None,
        lambda o, order: {"note": "客户来电补充"},
    ),
    Case(
        Action.RESOLVE,
        "handler",
        "in_progress",
        "resolved",
        "resolved",
        lambda o, order: {"resolution": "已更换光猫", **complaint_verdict()},
        {"first_contact_resolution": False},
    ),
    Case(
        Action.REPLY,
        "agent",
        "resolved",
        "replied",
        "in_progress",
        lambda o, order: {"reply": "已为您处理"},
    ),
    Case(Action.CLOSE, "agent", "replied", "closed", "resolved", _none),
    Case(
        Action.CANCEL,
        "agent",
        "accepted",
        "cancelled",
        "in_progress",
        lambda o, order: {"reason": "误录"},
    ),
    Case(Action.URGE, "agent", "in_progress", "in_progress", "resolved", _none, {"count": 1}),
    Case(
        Action.SUPERVISE,
        "supervisor",
        "in_progress",
        "in_progress",
        "resolved",
        _none,
        {"unit": "A市分公司"},
    ),
    Case(
        Action.ESCALATE,
        "handler",
        "in_progress",
        "in_progress",
        "resolved",
        lambda o, order: {"reason": "需协调"},
        {"level": 1},
    ),
    Case(
        Action.REOPEN,
        "agent",
        "resolved",
        "reopened",
        "in_progress",
        lambda o, order: {"reason": "客户不满意"},
    ),
    Case(
        Action.MERGE,
        "agent",
        "accepted",
        "cancelled",
        "resolved",
        lambda o, order: {"target": o.new("重复来电")},
    ),
    Case(
        Action.LINK,
        "agent",
        "in_progress",
        "in_progress",
        "cancelled",
        lambda o, order: {"target": o.new("同小区另一户")},
    ),
    Case(
        Action.CO_HANDLE,
        "supervisor",
        "in_progress",
        "in_progress",
        "accepted",
        lambda o, order: {"units": [o.org["team_a2"]]},
        {"units": ["A2县营业班"]},
    ),
    Case(
        Action.HAND_BACK,
        "system",
        "in_progress",
        "dispatched",
        "resolved",
        _none,
        {"from_handler": "hand_a1_0"},
    ),
]


def test_every_lifecycle_action_has_a_case():
    assert {c.action for c in CASES} | {Action.CO_HANDLE_DONE} == set(TABLE)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.action.value)
def test_the_typed_service_moves_the_order_and_writes_its_event(case, orders, people):
    order = orders.at(case.start)
    service = actions.SERVICES[case.action]
    done = service(
        actor=people[case.actor],
        order=order,
        expected_version=order.version,
        **case.arguments(orders, order),
    )
    assert done.status == case.to and done.version == order.version + 1
    event = done.events.order_by("-id").first()
    assert (event.action, event.from_status, event.to_status) == (
        case.action,
        case.start,
        case.to,
    )
    assert event.actor == people[case.actor]
    assert event.data == {**event.data, **case.event}


@pytest.mark.parametrize("case", [c for c in CASES if c.refused_from], ids=lambda c: c.action.value)
def test_the_table_refuses_it_from_another_state_and_nothing_changes(case, orders, people):
    order = orders.at(case.refused_from)
    before = WorkOrder.objects.get(pk=order.pk)
    events = order.events.count()
    with pytest.raises(ActionInvalid) as refused:
        actions.SERVICES[case.action](
            actor=people[case.actor], order=order, **case.arguments(orders, order)
        )
    assert refused.value.extra["action"] == case.action
    assert refused.value.extra["status"] == case.refused_from
    after = WorkOrder.objects.get(pk=order.pk)
    assert (after.status, after.version) == (before.status, before.version)
    assert order.events.count() == events


def test_co_handling_done_records_the_invited_units_part(org, orders, people):
    def invited():
        return actions.work_order_co_handle(
            actor=people["supervisor"], order=orders.at("in_progress"), units=[org["team_a2"]]
        )

    done = actions.work_order_co_handle_done(
        actor=people["handler_a2"], order=invited(), part="A2县已完成线路割接"
    )
    event = done.events.order_by("-id").first()
    assert (event.action, event.data["unit"]) == (Action.CO_HANDLE_DONE, "A2县营业班")
    assert done.co_handlings.get().part == "A2县已完成线路割接"
    resolved = actions.work_order_resolve(
        actor=people["handler"], order=invited(), resolution="已修复", **complaint_verdict()
    )
    with pytest.raises(ActionInvalid):
        actions.work_order_co_handle_done(actor=people["handler_a2"], order=resolved, part="x")
    assert resolved.co_handlings.get().done_at is None


def test_the_generic_dispatcher_takes_only_the_arguments_an_action_has(orders, people):
    """`work_order_act` hands each action what it takes; a stray field is not an error."""
    order = orders.at("in_progress")
    done = actions.work_order_act(
        actor=people["agent"],
        order=order,
        action="urge",
        data={"note": "第三次来电", "unit": orders.org["team_a2"], "reason": "x"},
    )
    assert (done.urge_count, done.handling_unit) == (1, orders.org["team_a1"])
