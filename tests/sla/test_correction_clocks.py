"""The time limits follow a corrected order: a new type re-budgets its running clocks
from their own start, and a breach the new limit does not support is taken back."""

from __future__ import annotations

from kefu.sla.models import ClockKind, ClockState
from kefu.sla.monitor import sla_monitor_pass
from kefu.sla.selectors import clocks_for
from kefu.workorders.services import work_order_correct
from tests.factories import local


def _live(order) -> dict[str, tuple[str, str]]:
    return {c.kind: (local(c.due_at), c.state) for c in clocks_for(order) if c.stopped_at is None}


def test_a_consultation_corrected_to_a_complaint_gets_the_complaint_limits(
    clock, take_in, agent_a, types
):
    order = take_in("consultation")  # Tuesday 09:00
    assert _live(order) == {
        ClockKind.FIRST_CONTACT: ("2025-06-04 09:00", ClockState.RUNNING),  # 24 hours
        ClockKind.RESOLUTION: ("2025-06-03 18:00", ClockState.RUNNING),  # one working day
    }
    clock.set("2025-06-03 10:00")
    order = work_order_correct(
        actor=agent_a,
        order=order,
        changes={"order_type": types["complaint"]},
        expected_version=order.version,
    )
    # Counted from intake, as if it had been taken in as a complaint.
    assert _live(order) == {
        ClockKind.FIRST_CONTACT: ("2025-06-03 11:00", ClockState.RUNNING),  # 2 hours
        ClockKind.RESOLUTION: ("2025-06-05 18:00", ClockState.RUNNING),  # 3 working days
    }
    order.refresh_from_db()
    assert local(order.due_at) == "2025-06-03 11:00" and order.is_complaint


def test_a_breach_the_corrected_limit_does_not_support_is_taken_back(
    clock, take_in, agent_a, types
):
    order = take_in("complaint")  # Tuesday 09:00: first contact within 2 hours
    clock.set("2025-06-03 11:30")
    sla_monitor_pass()
    order.refresh_from_db()
    assert order.sla_state == "breached"
    order = work_order_correct(
        actor=agent_a,
        order=order,
        changes={"order_type": types["consultation"]},
        expected_version=order.version,
    )
    assert _live(order) == {
        ClockKind.FIRST_CONTACT: ("2025-06-04 09:00", ClockState.RUNNING),
        ClockKind.RESOLUTION: ("2025-06-03 18:00", ClockState.RUNNING),
    }
    order.refresh_from_db()
    assert order.sla_state == "" and local(order.due_at) == "2025-06-03 18:00"
    # Nothing more to do until the new times come.
    assert sla_monitor_pass() == {}
