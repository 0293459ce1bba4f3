"""The rule tester 哪条规则会命中 and the router agree: on every demo dispatch rule, on a
real intake per rule, and over a grid of made-up orders."""

from __future__ import annotations

import itertools

import pytest

from kefu.customers.demo import demo_customers_create
from kefu.customers.models import Customer
from kefu.org.demo import org_demo_seed
from kefu.org.models import OrgUnit, Role
from kefu.org.services import staff_create
from kefu.rules.explain import explain_for
from kefu.workorders import routing
from kefu.workorders.demo import demo_routing_seed
from kefu.workorders.models import BusinessLine, DispatchRule, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create


@pytest.fixture
def demo_rules(db):
    org_demo_seed()
    demo_routing_seed()
    demo_customers_create(count=150, seed=11)
    return list(DispatchRule.objects.select_related("area", "order_type", "business_line"))


@pytest.fixture
def province_admin(demo_rules):
    return staff_create(
        username="admin_rules",
        display_name="规则管理员",
        employee_no="T-RULES",
        org_unit=OrgUnit.objects.get(code="JN"),
        roles=[(Role.objects.get(code="administrator"), None)],
    )


def _tested(viewer, order_type, line, area, tier):
    return explain_for(
        viewer, order_type=order_type, business_line=line, area=area, customer_tier=tier
    )


def test_each_demo_rule_wins_for_an_order_it_was_made_for_and_the_order_lands_there(
    demo_rules, province_admin
):
    assert len(demo_rules) == 5
    for rule in demo_rules:
        customers = Customer.objects.select_related("org_unit")
        if rule.area is not None:
            customers = customers.filter(org_unit__path__startswith=rule.area.path)
        customer = next(c for c in customers if not rule.tiers or c.effective_tier in rule.tiers)
        line = rule.business_line or BusinessLine.objects.get(code="mobile")
        tested = _tested(
            province_admin, rule.order_type, line, customer.org_unit, customer.effective_tier
        )
        assert tested.winner == rule
        order = work_order_create(
            actor=province_admin,
            order_type=rule.order_type,
            business_line=line,
            channel="hotline",
            title="规则测试",
            customer=customer,
        )
        assert order.dispatch_rule == rule and order.handling_unit == rule.target_unit
        [winner] = [c for c in tested.candidates if c.wins]
        assert winner.rule == rule and winner.failed == ()


def test_tester_and_router_agree_over_every_type_line_area_and_tier(demo_rules, province_admin):
    types = list(WorkOrderType.objects.all())
    lines = [None, *BusinessLine.objects.all()]
    units = list(OrgUnit.objects.all())
    tiers = ["", "diamond", "gold", "silver", "basic", "1A", "3B"]
    routed = set()
    for order_type, line, area, tier in itertools.product(types, lines, units, tiers):
        order = WorkOrder(
            order_type=order_type, business_line=line, area_unit=area, customer_tier=tier
        )
        expected = routing.match_rule(order)
        tested = _tested(province_admin, order_type, line, area, tier)
        assert tested.winner == expected
        assert [c.rule for c in tested.candidates if not c.failed][:1] == (
            [expected] if expected else []
        )
        routed.add(expected.pk if expected else None)
    assert routed == {None, *(r.pk for r in demo_rules)}  # every rule wins somewhere


def test_the_tester_says_why_a_rule_does_not_fit(demo_rules, province_admin):
    vip = next(r for r in demo_rules if r.skill == "vip")
    county = OrgUnit.objects.filter(level="county").first()
    tested = _tested(province_admin, vip.order_type, None, county, "basic")
    [candidate] = [c for c in tested.candidates if c.rule == vip]
    assert candidate.failed == ("tiers",) and not candidate.wins
    fault = WorkOrderType.objects.get(code="fault")
    tested = _tested(province_admin, fault, None, county, "gold")
    [candidate] = [c for c in tested.candidates if c.rule == vip]
    assert candidate.failed == ("order_type",)
