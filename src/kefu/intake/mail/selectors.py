"""Reads of e-mail intake: the mail thread a reply to a mailed-in order continues."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.intake.mail.parse import is_message_id
from kefu.intake.models import MailKind, MailMessage
from kefu.workorders.models import WorkOrder


@dataclass(frozen=True)
class MailThread:
    """Where and how a reply to a mailed-in order goes: to the customer's address, in the
    thread of their mail (In-Reply-To the latest, References all of them), with answers
    directed back to the intake mailbox."""

    address: str
    subject: str
    headers: dict[str, str]


def reply_thread(order: WorkOrder) -> MailThread | None:
    """The mail thread of a mailed-in order, None if no customer mail was taken in for it."""
    records = list(
        MailMessage.objects.filter(work_order=order, kind__in=(MailKind.NEW, MailKind.REPLY))
        .select_related("mailbox")
        .order_by("id")
    )
    if not records:
        return None
    latest = records[-1]
    ids = [r.message_id for r in records if is_message_id(r.message_id)]
    headers: dict[str, str] = {}
    if ids:
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(ids[-20:])
    if "@" in latest.mailbox.username:
        headers["Reply-To"] = latest.mailbox.username
    subject = records[0].subject or order.title
    return MailThread(address=latest.from_address, subject=subject, headers=headers)
