"""Complaints committing at the same moment: one batch alert, no deadlock, none missed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kefu.complaints.models import ComplaintBatchAlert
from kefu.notify.models import Message
from kefu.workorders.models import Category, Channel, WorkOrderType
from kefu.workorders.services import work_order_create
from tests.factories import make_customer


def _in_threads(calls):
    """Run each call in its own thread and database connection, released together."""
    start = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            start.wait()
            call()
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a complaint intake hung"
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_complaints_arriving_together_raise_exactly_one_alert(org, agent_a, supervisor_a):
    if connection.vendor != "postgresql":
        # SQLite runs one write transaction at a time (BEGIN IMMEDIATE): there is no race to
        # test, and its shared in-memory test database refuses concurrent connections.
        pytest.skip("row-lock concurrency is a PostgreSQL matter")
    complaint = WorkOrderType.objects.get(code="complaint")
    slow = Category.objects.get(code="network-slow")
    customers = [
        make_customer(actor=agent_a, org_unit=org["county_a1"], name=f"客户{i}") for i in range(8)
    ]

    def intake(customer):
        return lambda: work_order_create(
            actor=agent_a,
            order_type=complaint,
            channel=Channel.HOTLINE,
            title="网速慢",
            customer=customer,
            category=slow,
        )

    for customer in customers[:3]:
        intake(customer)()
    # Four at once take the county from 3 to 7 complaints: the threshold (5) is crossed
    # by whichever commits second, and the others add to that alert.
    _in_threads([intake(c) for c in customers[3:7]])
    alert = ComplaintBatchAlert.objects.get()
    assert alert.count >= 5
    intake(customers[7])()
    alert.refresh_from_db()
    assert ComplaintBatchAlert.objects.count() == 1 and alert.count == 8
    assert (
        Message.objects.filter(template="complaint_batch_alert", recipient=supervisor_a).count()
        == 1
    )
