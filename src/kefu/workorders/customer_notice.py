"""Telling the customer (回复客户): the reply goes out through the customer's channel.

A mailed-in order is answered by e-mail in the customer's thread; every other order by
SMS to the number the customer called from (or the archive's phone). The message is
written to the notify outbox in the reply's transaction (template `wo_resolved_customer`,
editable by administrators) and delivered by the worker; the reply event records which
message it was, so the timeline can show what was sent and whether it arrived.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kefu.core.masking import mask_address
from kefu.notify.customer import clause, customer_context
from kefu.notify.models import Channel as NotifyChannel
from kefu.notify.models import Message
from kefu.notify.services import TemplateMissing, notify
from kefu.workorders.models import Channel, WorkOrder

REPLY_TEMPLATE = "wo_resolved_customer"


def _phone(order: WorkOrder) -> str:
    if order.caller_phone:
        return order.caller_phone
    customer = order.customer
    return customer.phone if customer is not None and customer.phone else ""


def reply_send(*, order: WorkOrder, text: str) -> dict[str, Any]:
    """Write the reply to the customer into the outbox; returns what the reply event keeps:
    {"message": id, "channel", "to": masked address}, or {"not_sent": reason} when the
    order has no way to reach the customer (or the template is switched off)."""
    context = customer_context(
        order={"number": order.number, "title": order.title, "type_name": order.order_type.name},
        note=clause(text),
    )
    payload: dict[str, Any] = {"order": order.pk, "reply": True}
    address, channel = "", None
    if order.channel == Channel.EMAIL:
        from kefu.intake.mail.selectors import reply_thread

        thread = reply_thread(order)
        if thread is not None:
            address, channel = thread.address, NotifyChannel.EMAIL
            context["thread_subject"] = thread.subject
            payload["mail_headers"] = thread.headers
    if not address and (phone := _phone(order)):
        address, channel = phone, NotifyChannel.SMS
    if not address:
        return {"not_sent": "no_address"}
    try:
        rows = notify(
            template=REPLY_TEMPLATE,
            context=context,
            addresses=[address],
            channel=channel,
            payload=payload,
            dedupe_key=f"wo-reply:{order.pk}:{order.version}",
        )
    except TemplateMissing:
        # An administrator deleted the template: the reply is still recorded, and the
        # timeline says the customer was not told (the next migrate restores it).
        return {"not_sent": "template_missing"}
    if not rows:
        return {"not_sent": "template_inactive"}
    message: Message = rows[0]
    return {"message": message.pk, "channel": channel, "to": mask_address(message.address)}


_NOT_SENT = {
    "no_address": _lazy("no phone number or e-mail address of the customer"),
    "template_missing": _lazy("the notification template does not exist"),
    "template_inactive": _lazy("the notification template is switched off"),
}


def delivery_states(events) -> dict[int, dict[str, Any]]:
    """Per reply event, what was sent to the customer and whether it was delivered, read
    from the outbox rows (one query for the whole timeline, none without a reply).

    Each value: {"sent": False, "not_sent": code} when the customer was not told, else
    {"sent": True, "channel", "to" (masked), "message": Message}. A reply whose outbox row
    is gone (purged) has no entry.
    """
    sent = {
        e.pk: (e.data or {}).get("sent") or {}
        for e in events
        if e.action == "reply" and isinstance((e.data or {}).get("sent"), dict)
    }
    ids = [s["message"] for s in sent.values() if isinstance(s.get("message"), int)]
    rows = {m.pk: m for m in Message.objects.filter(pk__in=ids)} if ids else {}
    out: dict[int, dict[str, Any]] = {}
    for event_pk, info in sent.items():
        if info.get("not_sent"):
            code = info["not_sent"] if info["not_sent"] in _NOT_SENT else "template_inactive"
            out[event_pk] = {"sent": False, "not_sent": code}
            continue
        message = rows.get(info.get("message"))
        if message is not None:
            out[event_pk] = {
                "sent": True,
                "channel": message.channel,
                "to": info.get("to") or mask_address(message.address),
                "message": message,
            }
    return out


def not_sent_reason(code: str) -> str:
    return str(_NOT_SENT.get(code, _NOT_SENT["template_inactive"]))


def delivery_details(events) -> dict[int, list[tuple[str, str]]]:
    """For the web timeline: per reply event, label/value lines of `delivery_states`."""
    out: dict[int, list[tuple[str, str]]] = {}
    for event_pk, state in delivery_states(events).items():
        if not state["sent"]:
            out[event_pk] = [(_("Not sent to the customer"), not_sent_reason(state["not_sent"]))]
            continue
        message = state["message"]
        status = message.get_status_display()
        if message.status != "sent" and message.last_error:
            status = f"{status}（{message.last_error[:200]}）"
        elif message.status == "sent" and message.sent_at:
            status = f"{status} {timezone.localtime(message.sent_at):%Y-%m-%d %H:%M}"
        out[event_pk] = [
            (_("Sent to the customer"), f"{message.get_channel_display()} {state['to']}"),
            (_("Delivery"), status),
            (_("Text sent"), message.body),
        ]
    return out
