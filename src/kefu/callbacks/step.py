"""Pipeline step 5 (回访), as the work-order services call it: a resolved order of a type
that is called back gets its callback row; a reopened or cancelled order's open callback
is withdrawn; an order whose callback is open is not archived (`close_refusal`).

Kept apart from the rest of the app, which acts on orders through the work-order
services (archiving, reopening): the work orders depend on this module only, and it on
nothing that depends on them.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.calendars.selectors import business_calendar
from kefu.callbacks.models import (
    CallbackItem,
    CallbackPolicy,
    CallbackSettings,
    CallbackTask,
    TaskStatus,
)
from kefu.callbacks.timing import callback_due
from kefu.core.refcache import ProcessCached
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from kefu.workorders.transitions import Action

CALENDAR = "cn-standard"


def calendar():
    """The working-hours calendar, provisional where a year has no holiday data: a
    callback must still fall due (the SLA clocks mark such times 暂定 the same way)."""
    return business_calendar(CALENDAR).provisional()


def _load_policies() -> dict[int, CallbackPolicy]:
    return {p.order_type_id: p for p in CallbackPolicy.objects.select_related("unit")}


policies = ProcessCached(_load_policies, models=(CallbackPolicy,))


def share_for(order: WorkOrder) -> tuple[int, CallbackPolicy | None]:
    """The share of this type's orders called back (%), and its policy if one is saved:
    100 for a type that needs callbacks (install, move, fault, complaint …), else 0."""
    policy = policies().get(order.order_type_id)
    if policy is not None:
        return policy.share, policy
    return (100 if order.order_type.needs_callback else 0), None


def sampled(order: WorkOrder, share: int) -> bool:
    """Whether `order` is in a `share` % sample: stable per order (its number's hash), so a
    re-resolve after a reopen makes the same choice and a test can name the outcome."""
    if share >= 100:
        return True
    if share <= 0:
        return False
    digest = hashlib.blake2b(order.number.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100 < share


def callback_create(order: WorkOrder) -> CallbackItem | None:
    """The callback of a just-resolved order: one row, due the same business day, at the
    latest `limit_days` business days after the resolution. None when the order's type is
    not called back or the order fell outside the sample.

    One INSERT on the resolve. The callback monitor's next pass (within the minute) puts
    the item into a call — the customer's open one of the last few days, or a new task —
    and sends the SMS: in batches, so a mass resolve after an outage does not write a
    thousand tasks and messages inside its own transaction, and the archive guard holds
    from the resolve on."""
    share, _policy = share_for(order)
    if not sampled(order, share):
        return None
    config, cal = CallbackSettings.current(), calendar()
    due = callback_due(cal, order.resolved_at or timezone.now(), config.limit_days)
    return CallbackItem.objects.create(
        order=order,
        due_on=due.target.astimezone(cal.tz).date(),
        deadline_at=due.deadline,
        area_unit_id=order.area_unit_id,
        unit_id=order.handling_unit_id or order.accepting_unit_id,
        order_type_id=order.order_type_id,
        business_line_id=order.business_line_id,
        handler_id=order.handler_id,
        agent_id=order.owner_id,
    )


def callbacks_withdraw(order: WorkOrder) -> int:
    """A reopened or cancelled order is called back when it is resolved again: its open
    callback item is withdrawn, and a task left with nothing to ask about is cancelled."""
    items = list(
        CallbackItem.objects.filter(order=order, status=TaskStatus.OPEN).values_list(
            "pk", "task_id"
        )
    )
    if not items:
        return 0
    CallbackItem.objects.filter(pk__in=[pk for pk, _ in items]).update(status=TaskStatus.CANCELLED)
    tasks = {task_id for _, task_id in items if task_id is not None}
    emptied = CallbackTask.objects.filter(pk__in=tasks, status=TaskStatus.OPEN).exclude(
        items__status=TaskStatus.OPEN
    )
    emptied.update(status=TaskStatus.CANCELLED, next_check_at=None)
    return len(items)


def callbacks_after_action(order: WorkOrder, event: WorkOrderEvent) -> None:
    """Pipeline step 5 (回访)."""
    if event.action == Action.RESOLVE:
        callback_create(order)
    elif event.action in (Action.REOPEN, Action.CANCEL):
        callbacks_withdraw(order)


def close_refusal(order: WorkOrder) -> str | None:
    """Why `order` may not be archived yet: its callback is open (归档 waits for the
    callback, or for its attempts to be exhausted, recorded why)."""
    if CallbackItem.objects.filter(order=order, status=TaskStatus.OPEN).exists():
        return _("The callback of this order is not done yet; it is archived after the callback.")
    return None
