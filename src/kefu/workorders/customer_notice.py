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

from kefu.core.masking import mask_phone
from kefu.notify.customer import clause, customer_context
from kefu.notify.models import Channel as NotifyChannel
from kefu.notify.models import Message
from kefu.notify.services import TemplateMissing, notify
from kefu.workorders.models import Channel, WorkOrder

REPLY_TEMPLATE = "wo_resolved_customer"


def mask_address(address: str) -> str:
    """z***@example.cn for mail, 138****8000 for phones: the timeline shows no contact data."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return mask_phone(address)


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


def delivery_details(events) -> dict[int, list[tuple[str, str]]]:
    """For the timeline: per reply event, what was sent to whom and whether it was
    delivered, read from the outbox rows (one query for the whole timeline)."""
    sent = {
        e.pk: (e.data or {}).get("sent") or {}
        for e in events
        if e.action == "reply" and isinstance((e.data or {}).get("sent"), dict)
    }
    ids = [s["message"] for s in sent.values() if isinstance(s.get("message"), int)]
    rows = {m.pk: m for m in Message.objects.filter(pk__in=ids)} if ids else {}
    out: dict[int, list[tuple[str, str]]] = {}
    for event_pk, info in sent.items():
        if info.get("not_sent"):
            reason = {
                "no_address": _("no phone number or e-mail address of the customer"),
                "template_missing": _("the notification template does not exist"),
            }.get(info["not_sent"], _("the notification template is switched off"))
            out[event_pk] = [(_("Not sent to the customer"), reason)]
            continue
        message = rows.get(info.get("message"))
        if message is None:
            continue
        state = message.get_status_display()
        if message.status != "sent" and message.last_error:
            state = f"{state}（{message.last_error[:200]}）"
        elif message.status == "sent" and message.sent_at:
            state = f"{state} {timezone.localtime(message.sent_at):%Y-%m-%d %H:%M}"
        out[event_pk] = [
            (_("Sent to the customer"), f"{message.get_channel_display()} {info.get('to', '')}"),
            (_("Delivery"), state),
            (_("Text sent"), message.body),
        ]
    return out
