"""Complaint-intelligence fixtures: customers of county A1, and a
batch alert raised the way a supervisor meets one (five complaints of one category)."""

from __future__ import annotations

import pytest

from kefu.complaints.models import ComplaintBatchAlert
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create
from tests.factories import make_customer


@pytest.fixture
def customers_a1(org, agent_a):
    return [
        make_customer(actor=agent_a, org_unit=org["county_a1"], name=f"客户{i}") for i in range(7)
    ]


@pytest.fixture
def alert_a1(agent_a, supervisor_a, customers_a1, types, categories) -> ComplaintBatchAlert:
    """The alert five complaints of 网速慢 in county A1 raise (the default threshold)."""
    for customer in customers_a1[:5]:
        work_order_create(
            actor=agent_a,
            order_type=types["complaint"],
            channel=Channel.HOTLINE,
            title="网速慢",
            customer=customer,
            category=categories["network-slow"],
        )
    return ComplaintBatchAlert.objects.get()
