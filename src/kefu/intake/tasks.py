"""Huey tasks of intake: thin triggers. The mailbox rows hold the state (last UID taken,
the poll lease), so a lost or repeated task costs nothing."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kefu.intake.mail import poll
from kefu.intake.models import Mailbox


@db_task()
def mailbox_poll(mailbox_id: int) -> None:
    """Poll one mailbox (a poll already running on it makes this return at once)."""
    mailbox = (
        Mailbox.objects.filter(pk=mailbox_id, is_active=True)
        .select_related("owner", "accepting_unit", "order_type", "business_line")
        .first()
    )
    if mailbox is not None:
        poll.mailbox_poll(mailbox=mailbox)


@db_periodic_task(crontab(minute="*"))
def mailboxes_poll_due() -> None:
    """Every minute: one task per active mailbox, so a slow server holds up only its own."""
    for mailbox_id in Mailbox.objects.filter(is_active=True).values_list("pk", flat=True):
        mailbox_poll(mailbox_id)
