"""Who hears of a work-order change (through the notify outbox, in the same transaction).

首问负责制: the owner of record hears of every change someone else makes until closure;
changes within a few minutes fold into one unread notification (notify_folded).
The person an order is assigned to hears of the assignment; urging, supervision and the
customer's own messages (an e-mailed reply) reach the handler (or, with nobody assigned
yet, the handling unit's handlers). A manual escalation reaches the supervisors of the
unit escalated to (`notify_escalation`, called by the escalate action itself).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from kefu.notify.services import notify, notify_folded
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from kefu.workorders.transitions import Action, action_label

_TO_HANDLER = {
    Action.DISPATCH: "wo_assigned",
    Action.TRANSFER: "wo_assigned",
    Action.HAND_BACK: "wo_assigned",
    Action.URGE: "wo_urged",
    Action.SUPERVISE: "wo_supervised",
}


_ASSIGNING = (Action.DISPATCH, Action.TRANSFER, Action.HAND_BACK)


def _due_by_clock(order: WorkOrder) -> dict:
    """The live clocks' limits by kind: a notice names each limit by its own clock (the
    order's `due_at` is the earliest of them, often the first-contact limit)."""
    from kefu.sla.models import SlaClock

    rows = SlaClock.objects.filter(order_id=order.pk, stopped_at__isnull=True).values_list(
        "kind", "due_at"
    )
    return {kind: due for kind, due in rows if due is not None}


def _context(order: WorkOrder, event: WorkOrderEvent) -> dict:
    actor = event.actor
    due = _due_by_clock(order)
    return {
        "order": {
            "number": order.number,
            "title": order.title,
            "type_name": order.order_type.name,
            "status": order.get_status_display(),
        },
        "action": action_label(event.action),
        "actor_name": (actor.get_full_name() or actor.get_username()) if actor else "",
        "note": event.note,
        "due": due.get("resolution"),
        "first_contact_due": due.get("first_contact"),
        "reply_due": due.get("reply"),
    }


def _change(event: WorkOrderEvent, context: dict) -> dict:
    """One line of the owner's folded notification."""
    note = event.note or ""
    return {
        "at": timezone.localtime(event.created_at).strftime("%H:%M"),
        "action": context["action"],
        "actor": context["actor_name"],
        "note": note if len(note) <= 200 else note[:199] + "…",
    }


def notify_escalation(*, order: WorkOrder, actor, note: str, users: list) -> None:
    """升级: the supervisors of the unit the order was escalated to hear of it."""
    users = [u for u in users if actor is None or u.pk != actor.pk]
    if not users:
        return
    context = {
        "order": {
            "number": order.number,
            "title": order.title,
            "type_name": order.order_type.name,
            "status": order.get_status_display(),
        },
        "actor_name": (actor.get_full_name() or actor.get_username()) if actor else "",
        "note": note,
        "unit": order.escalated_to.name if order.escalated_to else "",
        "due": order.due_at,
    }
    notify(template="wo_escalated", context=context, users=users)


def _unit_handlers(order: WorkOrder):
    if order.handling_unit_id is None:
        return []
    from kefu.workorders.routing import handlers_in

    return list(get_user_model().objects.filter(pk__in=handlers_in(order.handling_unit)))


def order_link(order: WorkOrder) -> dict:
    """The payload that makes an inbox message link to its order."""
    return {"order": order.pk, "url": reverse("workorders:workorder_detail", args=[order.number])}


def order_event_notify(order: WorkOrder, event: WorkOrderEvent) -> None:
    """The pipeline's notifications step, after every action and at intake."""
    context = None
    owner = order.owner
    if event.action != Action.CREATE and owner is not None and event.actor_id != owner.pk:
        context = _context(order, event)
        notify_folded(
            template="wo_changed",
            context=context,
            user=owner,
            fold_key=f"wo:{order.pk}",
            change=_change(event, context),
            payload=order_link(order),
        )
    template = _TO_HANDLER.get(event.action)
    if event.action == Action.NOTE and (event.data or {}).get("from_customer"):
        template = "wo_customer_message"
    if template is None:
        return
    recipients = [order.handler] if order.handler_id else _unit_handlers(order)
    recipients = [u for u in recipients if u.pk != event.actor_id]
    if event.action in _ASSIGNING and not order.handler_id:
        return  # a unit queue: the unit's people see it in their queue, nobody is paged
    if recipients:
        notify(
            template=template,
            context=context or _context(order, event),
            users=recipients,
            payload=order_link(order),
        )
