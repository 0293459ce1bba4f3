"""Demo orders carry their time-limit clocks like real ones: the order page of a demo order
shows its limits (running, met 按时完成, late 超时完成), consistent with the order's due time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.customers.demo import demo_customers_create
from kefu.org.demo import org_demo_seed
from kefu.sla.models import ClockState, SlaClock
from kefu.workorders.demo import demo_work_orders_create
from kefu.workorders.models import WorkOrder
from kefu.workorders.transitions import OPEN, State
from kefu.workorders.views_order import sla_clocks

NOW = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)


@pytest.fixture
def demo(db):
    org_demo_seed()
    demo_customers_create(count=80, seed=11)
    return demo_work_orders_create(count=300, seed=5, days=30, now=NOW)


def test_demo_orders_have_their_clocks(demo):
    orders = list(WorkOrder.objects.exclude(status=State.CANCELLED))
    with_clocks = set(SlaClock.objects.values_list("order_id", flat=True))
    assert {o.pk for o in orders} <= with_clocks

    states = set(SlaClock.objects.values_list("state", flat=True))
    assert {ClockState.MET, ClockState.LATE, ClockState.RUNNING} <= states

    for order in orders:
        clocks = list(SlaClock.objects.filter(order=order))
        live = [c for c in clocks if c.stopped_at is None]
        if order.status in OPEN:
            # The order's due time is the earliest of its live clocks, as for real orders.
            assert order.due_at == min(c.due_at for c in live)
        resolution = next(c for c in clocks if c.kind == "resolution")
        if order.resolved_at is not None and order.status not in OPEN:
            assert resolution.stopped_at == order.resolved_at
            expected = ClockState.LATE if order.resolved_at > resolution.due_at else ClockState.MET
            assert resolution.state == expected


def test_a_closed_demo_order_shows_its_met_or_late_limits(demo):
    order = WorkOrder.objects.filter(status=State.CLOSED).order_by("id").first()
    shown = sla_clocks(order)
    assert shown and all(c["state"] in (ClockState.MET, ClockState.LATE) for c in shown)
