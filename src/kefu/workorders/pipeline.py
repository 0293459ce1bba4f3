"""What taking an order in, and every action on it, causes — in order, in one place.

The work-order services call these functions inside their own transaction, after they
have checked the action and before they write (`intake_prepare`) or after they have
written the order and its event (`intake_done`, `action_done`): the order, its clocks,
flags, alerts and messages commit or roll back together. Each step is a rule of the app
that owns it; this module only puts them in order and hands each step what the one
before returned. No signals: a reader follows one create from here to every write.

Taking an order in (work_order_take_in):

1. SLA clocks — computed before the INSERT: they give the order its due time and
   time-limit state, so the one INSERT writes them (`kefu.sla.clocks`).
2. Complaint intelligence — before the INSERT, the repeat complaint 重复投诉 (the flag,
   and the earlier complaint named in the create event); after it, the batch alert
   批量投诉预警 (`kefu.complaints.services`).
3. Outage link — a fault report from an area a mass outage affects is suggested for
   linking (`kefu.outages.selectors.outages_for_order`); the agent links it.
4. Notifications — the owner of record and the people it is assigned to
   (`kefu.workorders.notifications`).
   Routing (the dispatch rules) then dispatches the order: an action, through
   `action_done` below.

After every action (work_order_act and the typed transition services):

1. SLA clocks start, stop, pause or resume with the action.
2. Complaint intelligence: nothing after intake.
3. Outage link: nothing after intake (linking is an action of its own).
4. Notifications.
5. Callbacks 回访 — a resolved order of a type that is called back gets its callback,
   due the same business day (one row; the callback monitor puts it into a call with the
   customer's other callbacks and sends the SMS within the minute); a reopened or
   cancelled order's open callback is withdrawn (`kefu.callbacks.step`).

Each function returns the timeline events its steps wrote besides the action's own (a
time limit counted on a provisional calendar explains itself there), so that a create
can show the new order's whole timeline without reading it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kefu.callbacks import step as callbacks
from kefu.complaints import services as complaints
from kefu.sla import clocks as sla_clocks
from kefu.workorders import notifications
from kefu.workorders.models import WorkOrder, WorkOrderEvent


@dataclass
class IntakePlan:
    """What the steps decided about a new order before its INSERT."""

    clocks: sla_clocks.Prepared
    event_data: dict[str, Any] = field(default_factory=dict)


def intake_prepare(order: WorkOrder) -> IntakePlan:
    """Before the INSERT of `order` (unsaved): set what the steps decide about it."""
    clocks = sla_clocks.clocks_for_intake(order=order)  # 1. SLA clocks
    order.due_at, order.sla_state, order.due_provisional = sla_clocks.order_summary(clocks.clocks)
    earlier = complaints.repeat_of(order)  # 2. complaint intelligence: 重复投诉
    if earlier is None:
        return IntakePlan(clocks)
    order.is_repeat = True
    return IntakePlan(clocks, {"repeat_of": earlier.number})


def intake_done(order: WorkOrder, event: WorkOrderEvent, plan: IntakePlan) -> list[WorkOrderEvent]:
    """After the INSERT of `order` and its create `event`."""
    written = sla_clocks.clocks_save(order=order, prepared=plan.clocks)  # 1. SLA clocks
    complaints.batch_check(order)  # 2. complaint intelligence: 批量投诉预警
    # 3. Outage link: suggested to the agent by the intake view (`outages_for_order`).
    notifications.order_event_notify(order, event)  # 4. notifications
    return written


def action_done(order: WorkOrder, event: WorkOrderEvent) -> list[WorkOrderEvent]:
    """After an action on `order` wrote its `event`."""
    written = sla_clocks.clocks_on_order_event(order=order, event=event)  # 1. SLA clocks
    notifications.order_event_notify(order, event)  # 4. notifications
    callbacks.callbacks_after_action(order, event)  # 5. callbacks 回访
    return written


def correction_done(order: WorkOrder, event: WorkOrderEvent, *, fields: set[str]) -> list:
    """After an order was corrected (更正) and its `event` written; `fields`: those changed."""
    written = []
    if fields & {"order_type", "business_line", "customer"}:  # 1. SLA: another policy
        written = sla_clocks.clocks_on_correction(order=order)
    notifications.order_event_notify(order, event)  # 4. notifications
    return written
