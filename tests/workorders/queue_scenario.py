"""Orders placed in each queue with due times that disagree with their accept order, as
the SLA app leaves them (`due_at` is the earliest running deadline; overdue orders' lies
in the past; a suspended order has none). Shared by the API and page tests of the queue
order.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel, WorkOrder, WorkOrderType
from kefu.workorders.services import work_order_create

# A Monday in a year the calendar fixtures cover; every order is taken in on this clock.
INTAKE = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))

# Hours from INTAKE to each order's due time, in accept order (None: no running clock).
# The third and fourth share a due time: the id decides between them.
DUE_HOURS = (5, -3, None, 2, 2, 30)
# The order each queue must show them in: overdue (-3) on top, earliest due first, the
# tie by id, no due time last.
EXPECTED = (1, 3, 4, 0, 5, 2)

QUEUE_STATES = {
    "dispatch": "",  # waiting for dispatch
    "mine": "dispatched",
    "unit": "dispatched",
    "open": "dispatched",
    "warning": "warning",
    "overdue": "breached",
}


def at_intake():
    return mock.patch("django.utils.timezone.now", return_value=INTAKE)


def build_queue(queue: str, *, agent, customer, dispatcher=None, unit=None, handler=None):
    """Six orders in `queue`, returned in accept order (ids ascending)."""
    complaint = WorkOrderType.objects.get(code="complaint")
    orders = []
    with at_intake():
        for i, hours in enumerate(DUE_HOURS):
            order = work_order_create(
                actor=agent,
                order_type=complaint,
                channel=Channel.HOTLINE,
                title=f"排序工单{i}",
                customer=customer,
            )
            if QUEUE_STATES[queue] == "dispatched":
                data = {"unit": unit, "handler": handler}
                order = work_order_act(actor=dispatcher, order=order, action="dispatch", data=data)
            due = INTAKE + dt.timedelta(hours=hours) if hours is not None else None
            state = QUEUE_STATES[queue] if queue in ("warning", "overdue") else ""
            WorkOrder.objects.filter(pk=order.pk).update(due_at=due, sla_state=state)
            orders.append(order)
    assert [o.pk for o in orders] == sorted(o.pk for o in orders)
    return orders


def expected_ids(orders) -> list[int]:
    return [orders[i].pk for i in EXPECTED]
