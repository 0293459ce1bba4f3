"""Demo orders carry the real time-limit clocks: what `kefu.sla.clocks` gives an order of
their type, started when they were taken in, stopped by their actions; the order page
shows them (running, met 按时完成, late 超时完成) consistent with the order's due time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from kefu.customers.demo import demo_customers_create
from kefu.org.demo import org_demo_seed
from kefu.sla import clocks as sla_clocks
from kefu.sla.models import ClockState, SlaClock
from kefu.workorders.demo import demo_work_orders_create
from kefu.workorders.models import WorkOrder
from kefu.workorders.transitions import OPEN, State
from kefu.workorders.views_order import sla_clocks as shown_clocks

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


@pytest.fixture
def demo(db):
    org_demo_seed()
    demo_customers_create(count=80, seed=11)
    return demo_work_orders_create(count=60, seed=5, days=20, now=NOW)


def test_each_demo_order_has_the_clocks_its_policy_gives_at_intake(demo, monkeypatch):
    orders = list(WorkOrder.objects.select_related("order_type", "customer"))
    assert orders
    for order in orders:
        monkeypatch.setattr(timezone, "now", lambda at=order.created_at: at)
        expected = {c.kind: c for c in sla_clocks.clocks_for_intake(order=order).clocks}
        saved = {}  # the intake's clock of each kind (a reopened order starts more)
        for c in SlaClock.objects.filter(order=order, kind__in=list(expected)).order_by("id"):
            saved.setdefault(c.kind, c)
        assert set(saved) == set(expected), order.number
        for kind, clock in expected.items():
            assert saved[kind].budget_minutes == clock.budget_minutes
            assert saved[kind].warn_ratio == clock.warn_ratio
            assert saved[kind].started_at == order.created_at
            if not saved[kind].pauses:  # a suspension moves the due time on
                assert saved[kind].due_at == clock.due_at, (order.number, kind)


def test_an_open_demo_orders_due_time_and_state_come_from_its_live_clocks(demo):
    states = set()
    for order in WorkOrder.objects.filter(status__in=list(OPEN)):
        live = list(SlaClock.objects.filter(order=order, stopped_at=None))
        due_at, sla_state, _provisional = sla_clocks.order_summary(live)
        assert (order.due_at, order.sla_state) == (due_at, sla_state), order.number
        states |= {c.state for c in live}
    assert ClockState.BREACHED in states  # the monitor ran as the time passed


def test_a_done_demo_order_shows_its_met_or_late_limits(demo):
    states = set(SlaClock.objects.values_list("state", flat=True))
    assert {ClockState.MET, ClockState.LATE} <= states
    for order in WorkOrder.objects.filter(status=State.CLOSED):
        resolution = SlaClock.objects.filter(order=order, kind="resolution").order_by("id").last()
        assert resolution.stopped_at == order.resolved_at
        late = resolution.breached_at is not None
        assert resolution.state == (ClockState.LATE if late else ClockState.MET)
    order = WorkOrder.objects.filter(status=State.CLOSED).order_by("id").first()
    shown = shown_clocks(order)
    assert shown and all(c["state"] in (ClockState.MET, ClockState.LATE) for c in shown)
