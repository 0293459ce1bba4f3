"""Many notifications in one INSERT, for the monitor's batches.

`kefu.notify.services.notify` writes one call's messages (a template read, a template
compiled, a savepoint per recipient for its dedupe key): right for one action, too slow for
a thousand breaches in one pass (≈ 10 ms each). This writes the same rows — same channels,
same rendering, same per-recipient dedupe keys — for a whole batch: each template read and
compiled once, all rows in one INSERT … ON CONFLICT DO NOTHING on the dedupe key.

It belongs in kefu.notify (as `notify_many`); it lives here until the notify app takes it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template import Context
from django.utils import timezone, translation

from kefu.notify import backends
from kefu.notify.models import (
    SUBJECT_MAX,
    TEXT_ENGINE,
    Channel,
    Message,
    MessageStatus,
    NotificationTemplate,
)
from kefu.notify.services import _row_key

log = logging.getLogger(__name__)


@dataclass
class Notice:
    """One notify() call's worth: a template, its context, the users, the dedupe key."""

    template: str
    context: dict[str, Any]
    users: list = field(default_factory=list)
    dedupe_key: str = ""
    payload: dict[str, Any] = field(default_factory=dict)  # e.g. the order's url


def notify_many(notices: list[Notice]) -> int:
    """Write the inbox (and, where configured, e-mail) messages of every notice, inside the
    caller's transaction; returns how many rows were offered (repeats are skipped by the
    dedupe key). A missing template is logged as an error and sends nothing: a deleted
    template must not stop the escalation it reports on."""
    notices = [n for n in notices if n.users]
    if not notices:
        return 0
    codes = {n.template for n in notices}
    templates = {t.code: t for t in NotificationTemplate.objects.filter(code__in=codes)}
    for code in sorted(codes - set(templates)):
        log.error("notify: template %s does not exist; its messages are not sent", code)
    compiled = {
        code: (TEXT_ENGINE.from_string(t.subject), TEXT_ENGINE.from_string(t.body))
        for code, t in templates.items()
        if t.is_active
    }
    email = backends.email_configured()
    now = timezone.now()
    rows: list[Message] = []
    with translation.override(settings.LANGUAGE_CODE):  # as notify.render does
        for notice in notices:
            if notice.template not in compiled:
                continue
            subject_tpl, body_tpl = compiled[notice.template]
            context = Context(notice.context, autoescape=False)
            subject = " ".join(subject_tpl.render(context).split())[:SUBJECT_MAX]
            body = body_tpl.render(context).strip()
            common = {
                "template": notice.template,
                "subject": subject,
                "body": body,
                "payload": notice.payload,
                "next_attempt_at": now,  # due by the services' clock, as notify() does
            }
            seen: set[int] = set()
            for user in notice.users:
                if not user.is_active or user.pk in seen:
                    continue
                seen.add(user.pk)
                rows.append(
                    Message(
                        channel=Channel.INBOX,
                        recipient_id=user.pk,
                        status=MessageStatus.SENT,
                        sent_at=now,
                        dedupe_key=_row_key(notice.dedupe_key, f"u{user.pk}:inbox"),
                        **common,
                    )
                )
                if email and user.email:
                    rows.append(
                        Message(
                            channel=Channel.EMAIL,
                            recipient_id=user.pk,
                            address=user.email,
                            dedupe_key=_row_key(notice.dedupe_key, f"u{user.pk}:email"),
                            **common,
                        )
                    )
    if not rows:
        return 0
    Message.objects.bulk_create(rows, ignore_conflicts=True)
    emails = [r.dedupe_key for r in rows if r.channel == Channel.EMAIL]
    if emails:
        pending = list(
            Message.objects.filter(
                dedupe_key__in=emails, status=MessageStatus.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(pending), robust=True)
    return len(rows)


def _enqueue(message_ids: list[int]) -> None:
    from kefu.notify.tasks import deliver

    for pk in message_ids:
        deliver(pk)
