"""Rule-configuration fixtures: county supervisors in A1 and B1, a rule in each county."""

from __future__ import annotations

import pytest

from kefu.workorders.models import DispatchRule


@pytest.fixture
def sup_a1(org, make_user):
    """Supervisor of county A1 (scope: the A1 subtree)."""
    return make_user("sup_a1", org["county_a1"], "supervisor")


@pytest.fixture
def sup_b1(org, make_user):
    return make_user("sup_b1", org["county_b1"], "supervisor")


@pytest.fixture
def rule_a1(org, types, lines):
    """Broadband faults from county A1 → team A1 (made raw: the state before any edit)."""
    return DispatchRule.objects.create(
        name="A1宽带故障→A1营业班",
        priority=20,
        order_type=types["fault"],
        business_line=lines["broadband"],
        area=org["county_a1"],
        target_unit=org["team_a1"],
    )


@pytest.fixture
def rule_b1(org, types):
    return DispatchRule.objects.create(
        name="B1故障→B1营业班",
        priority=20,
        order_type=types["fault"],
        area=org["county_b1"],
        target_unit=org["team_b1"],
    )
