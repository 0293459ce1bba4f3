"""Routing: the matching rule is recorded; round robin is even and skips people on leave;
least load and skill; co-handling leaves resolution to the lead unit."""

from __future__ import annotations

from collections import Counter

import pytest

from kefu.workorders.actions import ActionInvalid, work_order_act
from kefu.workorders.models import Assignment, DispatchRule
from kefu.workorders.services import work_order_create
from tests.factories import complaint_verdict


def _fault(agent, customer, types, lines, line="broadband"):
    return work_order_create(
        actor=agent,
        order_type=types["fault"],
        business_line=lines[line],
        channel="hotline",
        title="宽带无法上网",
        customer=customer,
    )


@pytest.fixture
def rules(org, types, lines):
    """A broad rule and a narrower, higher-priority one for broadband faults in A."""
    broad = DispatchRule.objects.create(
        name="故障→A2县", priority=200, order_type=types["fault"], target_unit=org["county_a2"]
    )
    narrow = DispatchRule.objects.create(
        name="宽带故障(A市)→A1营业班",
        priority=10,
        order_type=types["fault"],
        business_line=lines["broadband"],
        area=org["pref_a"],
        target_unit=org["team_a1"],
        assignment=Assignment.ROUND_ROBIN,
    )
    return broad, narrow


def test_the_first_matching_rule_routes_and_is_recorded(
    rules, agent_a, customer_a1, handlers_a1, types, lines
):
    broad, narrow = rules
    order = _fault(agent_a, customer_a1, types, lines)
    assert order.status == "dispatched" and order.dispatch_rule == narrow
    assert order.handling_unit == narrow.target_unit and order.handler in handlers_a1
    event = order.events.get(action="dispatch")
    assert event.actor is None and event.data["rule"] == narrow.name

    fixed = _fault(agent_a, customer_a1, types, lines, line="fixed")
    assert fixed.dispatch_rule == broad and fixed.handler is None


def test_an_order_no_rule_fits_waits_in_the_dispatch_queue(rules, agent_a, customer_a1, types):
    order = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel="hotline",
        title="投诉",
        customer=customer_a1,
    )
    assert order.status == "accepted" and order.dispatch_rule is None


def test_tier_criterion(org, agent_a, customer_a1, types, lines):
    DispatchRule.objects.create(
        name="VIP", priority=1, tiers=["diamond"], target_unit=org["province"]
    )
    order = _fault(agent_a, customer_a1, types, lines)
    assert order.dispatch_rule is None  # the demo customer is not diamond


def test_round_robin_spreads_evenly_and_skips_people_on_leave(
    rules, agent_a, customer_a1, handlers_a1, types, lines
):
    on_leave = handlers_a1[1]
    on_leave.staff.on_leave = True
    on_leave.staff.save()
    handlers = Counter(_fault(agent_a, customer_a1, types, lines).handler for _ in range(10))
    assert on_leave not in handlers
    assert sorted(handlers.values()) == [5, 5]


def test_least_load_picks_the_person_with_fewest_open_orders(
    org, agent_a, customer_a1, handlers_a1, types, lines
):
    DispatchRule.objects.create(
        name="least",
        order_type=types["fault"],
        target_unit=org["team_a1"],
        assignment=Assignment.LEAST_LOAD,
    )
    first = [_fault(agent_a, customer_a1, types, lines).handler for _ in range(3)]
    assert sorted(u.pk for u in first) == sorted(u.pk for u in handlers_a1)


def test_skill_routing_prefers_the_skilled_person(
    org, agent_a, customer_a1, handlers_a1, types, lines
):
    expert = handlers_a1[2]
    expert.staff.skills = ["vip", "complaint"]
    expert.staff.save()
    DispatchRule.objects.create(
        name="skill",
        order_type=types["fault"],
        target_unit=org["team_a1"],
        assignment=Assignment.SKILL,
        skill="vip",
    )
    assert {_fault(agent_a, customer_a1, types, lines).handler for _ in range(3)} == {expert}


def test_co_handled_order_resolves_only_when_the_lead_resolves(
    org, make_user, agent_a, dispatcher_a, supervisor_a, handlers_a1, customer_a1, types
):
    lead = handlers_a1[0]
    helper = make_user("hand_a2", org["county_a2"], "handler")
    order = work_order_create(
        actor=agent_a,
        order_type=types["complaint"],
        channel="hotline",
        title="投诉",
        customer=customer_a1,
    )
    order = work_order_act(
        actor=dispatcher_a,
        order=order,
        action="dispatch",
        data={"unit": org["team_a1"], "handler": lead},
    )
    order = work_order_act(actor=lead, order=order, action="accept")
    # County A2 is outside the lead's own scope (team A1): the prefecture's supervisor invites.
    order = work_order_act(
        actor=supervisor_a, order=order, action="co_handle", data={"units": [org["county_a2"]]}
    )
    with pytest.raises(ActionInvalid):
        work_order_act(actor=helper, order=order, action="resolve", data={"resolution": "x"})
    order = work_order_act(
        actor=helper, order=order, action="co_handle_done", data={"part": "已核实线路"}
    )
    assert order.status == "in_progress"
    assert order.co_handlings.get().part == "已核实线路"
    order = work_order_act(
        actor=lead,
        order=order,
        action="resolve",
        data={"resolution": "已修复", **complaint_verdict()},
    )
    assert order.status == "resolved"
