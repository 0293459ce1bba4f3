"""Who hears of a work-order change (through the notify outbox, in the same transaction).

首问负责制: the owner of record hears of every change someone else makes until closure.
The person an order is assigned to hears of the assignment; urging, supervision and the
customer's own messages (an e-mailed reply) reach the handler (or, with nobody assigned
yet, the handling unit's handlers). A manual escalation reaches the supervisors of the
unit escalated to (`notify_escalation`, called by the escalate action itself).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from kefu.notify.services import notify
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from kefu.workorders.services import action_label

_TO_HANDLER = {
    "dispatch": "wo_assigned",
    "transfer": "wo_assigned",
    "hand_back": "wo_assigned",
    "urge": "wo_urged",
    "supervise": "wo_supervised",
}


def _context(order: WorkOrder, event: WorkOrderEvent) -> dict:
    actor = event.actor
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
        "due": order.due_at,
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


def on_order_changed(sender, order: WorkOrder, event: WorkOrderEvent, **kwargs) -> None:
    context = None
    owner = order.owner
    if event.action != "create" and owner is not None and event.actor_id != owner.pk:
        context = _context(order, event)
        notify(template="wo_changed", context=context, users=[owner])
    template = _TO_HANDLER.get(event.action)
    if event.action == "note" and (event.data or {}).get("from_customer"):
        template = "wo_customer_message"
    if template is None:
        return
    recipients = [order.handler] if order.handler_id else _unit_handlers(order)
    recipients = [u for u in recipients if u.pk != event.actor_id]
    if event.action in ("dispatch", "transfer", "hand_back") and not order.handler_id:
        return  # a unit queue: the unit's people see it in their queue, nobody is paged
    if recipients:
        notify(template=template, context=context or _context(order, event), users=recipients)
