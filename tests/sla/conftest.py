"""Time-limit fixtures: a diamond-tier customer, taking an order in and dispatching it.

The clock, the org's staff, the types and customer A1 are shared (tests/conftest.py)."""

from __future__ import annotations

import pytest

from kefu.workorders.actions import work_order_act
from kefu.workorders.models import Channel
from kefu.workorders.services import work_order_create


@pytest.fixture
def vip_customer(org, agent_a):
    from tests.factories import make_customer

    customer = make_customer(actor=agent_a, org_unit=org["county_a1"], monthly_value="800")
    assert customer.effective_tier == "diamond"
    return customer


@pytest.fixture
def take_in(agent_a, customer_a1, types):
    """Take an order in as agent A (a complaint by customer A1 unless told otherwise)."""

    def _take_in(type_code: str = "complaint", *, customer=None, line=None, **extra):
        from kefu.workorders.models import BusinessLine

        return work_order_create(
            actor=agent_a,
            order_type=types[type_code],
            channel=extra.pop("channel", Channel.HOTLINE),
            title="宽带经常掉线",
            customer=customer or customer_a1,
            business_line=BusinessLine.objects.get(code=line) if line else None,
            **extra,
        )

    return _take_in


@pytest.fixture
def dispatch(org, dispatcher_a, handlers_a1):
    """Dispatch an order to team A1, handler 0."""

    def _dispatch(order):
        return work_order_act(
            actor=dispatcher_a,
            order=order,
            action="dispatch",
            data={"unit": org["team_a1"], "handler": handlers_a1[0]},
        )

    return _dispatch
