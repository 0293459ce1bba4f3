"""Outage fixtures: work-order types and lines, handlers and customers in prefecture A."""

from __future__ import annotations

import pytest

from kefu.workorders.models import BusinessLine, Category, WorkOrderType


@pytest.fixture
def types(db):
    return {t.code: t for t in WorkOrderType.objects.all()}


@pytest.fixture
def lines(db):
    return {b.code: b for b in BusinessLine.objects.all()}


@pytest.fixture
def categories(db):
    return {c.code: c for c in Category.objects.all()}


@pytest.fixture
def handlers_a1(org, make_user):
    """Two handlers in team A1 (the county's maintenance team)."""
    return [make_user(f"hand_a1_{i}", org["team_a1"], "handler") for i in range(2)]


@pytest.fixture
def dispatcher_a(org, make_user):
    return make_user("disp_a", org["pref_a"], "dispatcher")


@pytest.fixture
def customer_a1(org, agent_a):
    from tests.factories import make_customer

    return make_customer(
        actor=agent_a, org_unit=org["county_a1"], name="王小明", phone="13800138000"
    )
