"""Demo work orders: lived through the real services, deterministic, every queue has work."""

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
from kefu.workorders.demo import demo_work_orders_create, simulated_time
from kefu.workorders.models import (
    DispatchRule,
    RoundRobinCursor,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import DONE, OPEN, WAITING_DISPATCH, State, Who, next_state

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)  # 15:30 in Shanghai, a Friday
COUNT = 60
SEED = 10  # one whose NOW has a clock in its warning window, as most moments do
DAYS = 12
EVERYONE = frozenset(Who)


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def demo_org(db):
    org_demo_seed()
    demo_customers_create(count=150, seed=11)


@pytest.fixture
def demo(demo_org):
    return demo_work_orders_create(count=COUNT, seed=SEED, days=DAYS, now=NOW)


def _history():
    """What a user sees of the demo orders: each order and its timeline."""
    orders = WorkOrder.objects.order_by("pk").values_list(
        "title", "status", "sla_state", "created_at", "due_at", "handling_unit__code"
    )
    timelines = [
        list(
            WorkOrderEvent.objects.filter(order_id=pk)
            .order_by("id")
            .values_list("action", "created_at", "to_status")
        )
        for pk in WorkOrder.objects.order_by("pk").values_list("pk", flat=True)
    ]
    return list(orders), timelines


def test_same_seed_gives_the_same_history_and_another_seed_another(demo_org):
    def run(seed):
        WorkOrder.objects.all().delete()
        RoundRobinCursor.objects.all().delete()
        demo_work_orders_create(count=30, seed=seed, days=DAYS, now=NOW)
        return _history()

    first, again, other = run(5), run(5), run(6)
    assert first == again
    assert [o[0] for o in first[0]] != [o[0] for o in other[0]]


def test_the_clock_is_back_to_real_time_after_the_demo(demo):
    assert timezone.now() > NOW + timedelta(days=1)
    with simulated_time(NOW) as clock:
        assert timezone.now() == NOW
        clock.set(NOW + timedelta(hours=1))
        assert timezone.now() == NOW + timedelta(hours=1)
    assert timezone.now() > NOW + timedelta(days=1)


def test_orders_are_numbered_by_the_service_and_taken_in_within_the_days(demo):
    assert demo.created == WorkOrder.objects.count() == COUNT and demo.refused == 0
    for pk, number, created in WorkOrder.objects.values_list("pk", "number", "created_at"):
        assert number == f"{timezone.localdate(created):%Y%m%d}{pk:08d}"
        assert NOW - timedelta(days=DAYS) <= created <= NOW


def test_every_queue_has_work(demo):
    statuses = Counter(WorkOrder.objects.values_list("status", flat=True))
    assert sum(statuses[s] for s in WAITING_DISPATCH) > 0, statuses  # 待派单
    for state in (
        State.DISPATCHED,
        State.IN_PROGRESS,
        State.SUSPENDED,
        State.RESOLVED,
        State.REPLIED,
        State.CLOSED,
        State.CANCELLED,
    ):
        assert statuses[state] > 0, (state, statuses)
    open_orders = WorkOrder.objects.filter(status__in=list(OPEN))
    assert open_orders.filter(sla_state="warning").exists()  # 预警
    assert open_orders.filter(sla_state="breached", due_at__lt=NOW).exists()  # 超时
    assert WorkOrder.objects.filter(escalation_level__gt=0).exists()  # the SLA ladder
    complaints = WorkOrder.objects.filter(is_complaint=True)
    resolved = complaints.filter(resolved_at__isnull=False)
    assert resolved.exists() and not resolved.filter(cause=None).exists()
    assert not resolved.filter(justified=None).exists()


def test_the_mix_looks_like_a_hotline(demo_org):
    demo_work_orders_create(count=150, seed=7, days=40, now=NOW)
    types = Counter(WorkOrder.objects.values_list("order_type__code", flat=True))
    assert types.most_common(1)[0][0] == "consultation" and types["complaint"] > 5
    channels = Counter(WorkOrder.objects.values_list("channel", flat=True))
    assert channels.most_common(1)[0][0] == "hotline"
    hours = [
        timezone.localtime(c).hour for c in WorkOrder.objects.values_list("created_at", flat=True)
    ]
    assert sum(h < 6 for h in hours) < sum(9 <= h < 12 for h in hours) / 4
    assert WorkOrder.objects.filter(first_contact_resolution=True).exists()
    assert Counter(WorkOrder.objects.values_list("status", flat=True))[State.CLOSED] > 100
    assert WorkOrderEvent.objects.filter(action="reopen").exists()
    complaints = WorkOrder.objects.filter(is_complaint=True)
    assert complaints.filter(is_repeat=True).exists()  # 重复投诉, by the real rule
    assert complaints.filter(is_escalated=True).exists()  # referred from above


def test_every_timeline_is_a_walk_through_the_transition_table(demo):
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
            assert after.to_status == next_state(after.from_status, after.action, EVERYONE)
        assert timeline[-1].to_status == order.status
        assert timeline[-1].created_at <= NOW
        steps = [e.action for e in timeline]
        assert ("dispatch" in steps) == (order.dispatched_at is not None)
        assert steps.count("urge") == order.urge_count
        assert order.escalation_level <= steps.count("escalate")  # the ladder's first rung tells
        if order.status in DONE:
            assert order.resolved_at and order.first_contact_at and order.resolution


def test_demo_rules_route_to_the_maintenance_centres_and_the_expert_seat(demo):
    rules = list(DispatchRule.objects.select_related("target_unit"))
    assert len(rules) == 5
    routed = WorkOrder.objects.exclude(dispatch_rule=None).select_related("dispatch_rule")
    assert routed.exists()
    for order in routed:
        rule = order.dispatch_rule
        assert order.order_type.code in ("fault", "complaint")
        if rule.area_id:
            assert order.area_unit.path.startswith(rule.area.path)
    by_rule = WorkOrderEvent.objects.filter(order__in=routed, action="dispatch", actor=None)
    assert by_rule.filter(data__has_key="rule").exists()


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
    visible = selectors.work_orders_visible(agent)
    assert 0 < visible.count() < COUNT


def test_services_carry_on_from_demo_orders(demo):
    """The lifecycle continues on demo orders, and new orders get fresh numbers."""
    order = (
        WorkOrder.objects.filter(status=State.IN_PROGRESS, handler__isnull=False)
        .exclude(is_complaint=True)
        .first()
    )
    done = actions.work_order_resolve(actor=order.handler, order=order, resolution="已处理")
    assert done.status == State.RESOLVED and done.version == order.version + 1
    agent = user("agent_jn0101")
    new = services.work_order_create(
        actor=agent,
        order_type=WorkOrderType.objects.get(code="fault"),
        channel="hotline",
        title="宽带无法上网",
        customer=Customer.objects.filter(org_unit__code="JN0101").first(),
    )
    assert new.pk > max(WorkOrder.objects.exclude(pk=new.pk).values_list("pk", flat=True))
    assert WorkOrder.objects.filter(number=new.number).count() == 1


def test_demo_command_twice_adds_history_but_routing_setup_once(demo_org, capsys):
    call_command("demo", customers=0, work_orders=20, seed=2, no_progress=True)
    out = capsys.readouterr().out
    assert "maint_jn01_1" in out and "expert_jn_1" in out and "20" in out
    units = OrgUnit.objects.count()
    call_command("demo", customers=0, work_orders=10, seed=2, no_progress=True)
    assert "maint_jn01_1" not in capsys.readouterr().out
    assert OrgUnit.objects.count() == units and DispatchRule.objects.count() == 5
    numbers = list(WorkOrder.objects.values_list("number", flat=True))
    assert len(numbers) == 30 == len(set(numbers))
