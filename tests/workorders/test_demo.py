"""Demo work orders: deterministic, and what the services would have written."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from kefu.customers.demo import demo_customers_create
from kefu.customers.models import Customer
from kefu.org.demo import org_demo_seed
from kefu.org.models import OrgUnit, Role
from kefu.org.services import staff_create
from kefu.workorders import actions, selectors, services
from kefu.workorders.demo import World, demo_work_orders_create, order_rows
from kefu.workorders.models import (
    DispatchRule,
    RoundRobinCursor,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import DONE, OPEN, WAITING_DISPATCH, State

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai, a Friday
COUNT = 600


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def demo_org(db):
    org_demo_seed()
    demo_customers_create(count=150, seed=11)


@pytest.fixture
def demo(demo_org):
    return demo_work_orders_create(count=COUNT, seed=5, days=45, now=NOW)


def _snapshot(lives):
    return [(life.o, life.events) for life in lives]


def test_same_seed_gives_the_same_history_and_another_seed_another(demo_org):
    world = World.load()
    first = _snapshot(order_rows(count=200, seed=5, days=45, now=NOW, world=world))
    again = _snapshot(order_rows(count=200, seed=5, days=45, now=NOW, world=world))
    other = _snapshot(order_rows(count=200, seed=6, days=45, now=NOW, world=world))
    assert first == again
    assert [o["title"] for o, _ in first] != [o["title"] for o, _ in other]


def test_numbers_are_unique_and_follow_the_service_format(demo):
    assert demo.created == WorkOrder.objects.count() == COUNT
    rows = list(WorkOrder.objects.values_list("pk", "number", "created_at"))
    assert len({n for _, n, _ in rows}) == COUNT
    for pk, number, created in rows:
        assert number == f"{timezone.localdate(created):%Y%m%d}{pk:08d}"
        assert NOW - timedelta(days=45) <= created <= NOW
    # Accept order is id order: the newest-first lists are also newest-accepted-first.
    by_id = [c for _, _, c in sorted(rows)]
    assert by_id == sorted(by_id)


def test_orders_hold_the_invariants_the_services_keep(demo):
    types = {t.pk: t for t in WorkOrderType.objects.all()}
    staff_unit = dict(get_user_model().objects.values_list("pk", "staff__org_unit"))
    orders = WorkOrder.objects.select_related("customer")
    for order in orders:
        assert order.is_complaint == types[order.order_type_id].is_complaint
        assert order.is_escalated == (order.is_complaint and order.source != "direct")
        if order.customer is not None:
            assert order.area_unit_id == order.customer.org_unit_id
            assert order.customer_tier == order.customer.effective_tier
        assert order.owner_id and order.accepting_unit_id == staff_unit[order.owner_id]
        if order.handler_id and order.status in OPEN:
            assert staff_unit[order.handler_id] == order.handling_unit_id
        if order.status in DONE:
            assert order.resolved_at and order.first_contact_at and order.resolution
        else:
            assert order.resolved_at is None
        if order.status == State.CLOSED:
            assert order.replied_at and order.closed_at and order.reply
        if order.status in {State.DISPATCHED, State.IN_PROGRESS, State.SUSPENDED}:
            assert order.handling_unit_id and order.dispatched_at
        if order.status == State.SUSPENDED:
            assert order.suspended_from == State.IN_PROGRESS
        if order.first_contact_resolution:
            assert order.dispatched_at is None and order.status in DONE
        if order.is_complaint and order.resolved_at:
            assert order.cause_id and order.justified is not None


def test_every_timeline_is_a_valid_walk_ending_in_the_order_status(demo):
    events: dict[int, list[WorkOrderEvent]] = {}
    for event in WorkOrderEvent.objects.order_by("id"):
        events.setdefault(event.order_id, []).append(event)
    for order in WorkOrder.objects.all():
        timeline = events[order.pk]
        first = timeline[0]
        assert (first.action, first.from_status, first.to_status) == ("create", "", "accepted")
        assert first.created_at == order.created_at and first.actor_id == order.owner_id
        for before, after in zip(timeline, timeline[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.created_at >= before.created_at
        assert timeline[-1].to_status == order.status
        assert timeline[-1].created_at == order.updated_at <= NOW
        assert order.version == len(timeline)
        actions = [e.action for e in timeline]
        assert ("dispatch" in actions) == (order.dispatched_at is not None)
        assert actions.count("urge") == order.urge_count
        assert actions.count("escalate") == order.escalation_level


def test_the_mix_looks_like_a_hotline_and_every_queue_has_work(demo):
    statuses = Counter(WorkOrder.objects.values_list("status", flat=True))
    assert statuses[State.CLOSED] > COUNT * 0.6
    open_states = {s for s in statuses if s in OPEN}
    assert len(open_states) >= 3, statuses
    assert sum(statuses[s] for s in WAITING_DISPATCH) > 0
    types = Counter(WorkOrder.objects.values_list("order_type__code", flat=True))
    assert types.most_common(1)[0][0] == "consultation" and types["complaint"] > 20
    channels = Counter(WorkOrder.objects.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "hotline"
    assert {"hall", "web", "email", "api"} <= set(channels)
    hours = [
        timezone.localtime(c).hour for c in WorkOrder.objects.values_list("created_at", flat=True)
    ]
    assert sum(h < 6 for h in hours) < COUNT * 0.06 < sum(9 <= h < 12 for h in hours) / 4
    fcr = WorkOrder.objects.filter(first_contact_resolution=True).count()
    assert COUNT * 0.15 < fcr < COUNT * 0.5
    assert WorkOrder.objects.filter(status__in=list(OPEN), sla_state="breached").exists()
    assert WorkOrder.objects.filter(status__in=list(DONE), sla_state="breached").exists()
    complaints = WorkOrder.objects.filter(is_complaint=True, resolved_at__isnull=False)
    assert complaints.filter(justified=True).exists() and complaints.filter(justified=False)
    assert complaints.exclude(remedy="").exists()


def test_demo_rules_route_to_the_maintenance_centres_and_the_expert_seat(demo):
    rules = list(DispatchRule.objects.select_related("target_unit"))
    assert len(rules) == 5
    for rule in rules:
        routed = WorkOrder.objects.filter(dispatch_rule=rule)
        if rule.skill == "vip":
            for order in routed.exclude(handler=None).select_related("handler__staff"):
                assert "vip" in order.handler.staff.skills
                assert order.is_complaint
        else:
            assert routed.exists()
            for order in routed:
                assert order.order_type.code == "fault"
                assert order.area_unit.path.startswith(rule.area.path)
        first_dispatch = WorkOrderEvent.objects.filter(order__in=routed, action="dispatch")
        assert all(e.actor_id is None for e in first_dispatch.filter(data__has_key="rule"))
    assert RoundRobinCursor.objects.filter(unit__code__endswith="-WH").count() == 4


def test_every_order_is_visible_to_the_province_and_scope_holds_for_a_county(demo):
    province = OrgUnit.objects.get(code="JN")
    admin = staff_create(
        username="admin_demo",
        display_name="管理员",
        employee_no="T-ADMIN",
        org_unit=province,
        roles=[(Role.objects.get(code="administrator"), None)],
    )
    assert selectors.work_orders_visible(admin).count() == COUNT
    assert selectors.work_orders_visible(user("supervisor_jn")).count() == COUNT

    agent = user("agent_jn0101")
    county = OrgUnit.objects.get(code="JN0101").path
    visible = set(selectors.work_orders_visible(agent).values_list("pk", flat=True))
    fields = ("area_unit", "handling_unit", "accepting_unit", "escalated_to")
    expected = set()
    for order in WorkOrder.objects.select_related(*fields):
        units = [getattr(order, f) for f in fields]
        if any(u is not None and u.path.startswith(county) for u in units) or agent.pk in (
            order.owner_id,
            order.handler_id,
        ):
            expected.add(order.pk)
    assert visible == expected and 0 < len(visible) < COUNT


def test_services_carry_on_from_demo_orders(demo):
    """The lifecycle continues on generated orders, and new orders get fresh numbers."""
    order = (
        WorkOrder.objects.filter(status=State.IN_PROGRESS, handler__isnull=False)
        .exclude(handling_unit__code__in=["JN-TS"])
        .first()
    )
    handler = order.handler
    done = actions.work_order_act(
        actor=handler,
        order=order,
        action="resolve",
        data={"resolution": "已处理", "cause": order.cause, "justified": True},
        expected_version=order.version,
    )
    assert done.status == State.RESOLVED and done.version == order.version + 1
    agent = user("agent_jn0101")
    customer = Customer.objects.filter(org_unit__code="JN0101").first()
    new = services.work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code="fault"),
        channel="hotline",
        title="宽带无法上网",
        customer=customer,
    )
    assert new.pk > max(WorkOrder.objects.exclude(pk=new.pk).values_list("pk", flat=True))
    assert WorkOrder.objects.filter(number=new.number).count() == 1


def test_demo_command_twice_adds_history_but_routing_setup_once(demo_org, capsys):
    call_command("demo", customers=0, work_orders=120, seed=2, no_progress=True)
    out = capsys.readouterr().out
    assert "maint_jn01_1" in out and "expert_jn_1" in out and "120" in out
    units = OrgUnit.objects.count()
    call_command("demo", customers=0, work_orders=80, seed=2, no_progress=True)
    assert "maint_jn01_1" not in capsys.readouterr().out
    assert OrgUnit.objects.count() == units and DispatchRule.objects.count() == 5
    numbers = list(WorkOrder.objects.values_list("number", flat=True))
    assert len(numbers) == 200 == len(set(numbers))
