"""Every write of notifications (通知): the outbox, delivery with retries, read marks.

`notify` and `notify_webhooks` write Message rows inside the caller's transaction and hand
delivery to the worker only once that transaction commits: a rolled-back change sends
nothing, a committed one is sent even if its task is lost (the sweep picks the row up).
Delivery is at least once; webhook receivers drop repeats by the X-Kefu-Delivery header.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template import Context, TemplateSyntaxError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import KefuError, ValidationFailed
from kefu.notify import backends
from kefu.notify.models import (
    SUBJECT_MAX,
    TEXT_ENGINE,
    Channel,
    Message,
    MessageStatus,
    NotificationTemplate,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # the 8th failure marks the message failed
BACKOFF_BASE = timedelta(seconds=30)  # 30 s, 1 min, 2 min, … after the 1st, 2nd, 3rd failure
BACKOFF_MAX = timedelta(hours=1)
# A claimed message is not due again before this: longer than any send may take (10 s
# timeouts), so a second worker never sends it too, short enough that a message whose
# worker died is retried soon after.
LEASE = timedelta(minutes=5)
# A new message's own task normally delivers it within seconds; the sweep leaves it
# alone that long, so a busy queue does not get a second task for each new message.
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_BATCH = 500

_PHONE = re.compile(r"^\+?\d{5,20}$")
_EVENT = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")


class TemplateMissing(KefuError):
    """notify() named a template code that does not exist: a configuration error."""

    code = "notification_template_missing"
    status = 500
    default_message = gettext_lazy("Notification template missing.")


class TemplateInvalid(KefuError):
    code = "notification_template_invalid"
    status = 500
    default_message = gettext_lazy("Notification template invalid.")


# --- writing messages ---------------------------------------------------------------------


def render(template: NotificationTemplate, context: dict[str, Any]) -> tuple[str, str]:
    """Subject and body as plain text. Missing variables render as empty text.

    Rendered in the site language: the templates are Chinese, and dates in them should
    read 2025年1月6日 09:00 whoever (a worker, an English-speaking user) triggered them.
    """
    try:
        with translation.override(settings.LANGUAGE_CODE):
            subject = TEXT_ENGINE.from_string(template.subject).render(
                Context(context, autoescape=False)
            )
            body = TEXT_ENGINE.from_string(template.body).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise TemplateInvalid(
            _("Notification template “%(code)s” has an error: %(error)s")
            % {"code": template.code, "error": exc}
        ) from None
    # One line: a mail header cannot hold a line break, and lists show one line.
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    return subject, body.strip()


def _template(code: str) -> NotificationTemplate:
    template = NotificationTemplate.objects.filter(code=code).first()
    if template is None:
        raise TemplateMissing(
            _(
                "Notification template “%(code)s” does not exist; add it in the admin "
                "(Notifications › Notification templates)."
            )
            % {"code": code}
        )
    return template


def _address_row(address: str, channel: str | None, **common) -> Message:
    """A message to an e-mail address or phone number, on the channel that can carry it.

    E-mail without SMTP, or SMS without a gateway, goes to the console backend (outbox.log).
    An address that is not one is recorded as a failed message, not raised: one bad phone
    number among a thousand customers must not stop the outage notice to the others.
    """
    address = (address or "").strip()
    if channel is None:
        if "@" in address:
            channel = Channel.EMAIL
        elif address.lower().startswith(("http://", "https://")):
            channel = Channel.WEBHOOK
        else:
            channel = Channel.SMS
    if channel in (Channel.INBOX, Channel.WEBHOOK):
        raise ValidationFailed.for_fields(
            {
                str(_("Notification channel")): [
                    _("inbox messages go to users, webhooks to endpoints (notify_webhooks)")
                ]
            }
        )
    error = ""
    if channel == Channel.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            error = "invalid e-mail address"
        if not backends.email_configured():
            channel = Channel.CONSOLE
    elif channel == Channel.SMS:
        address = re.sub(r"[\s\-()]", "", address)
        if not _PHONE.match(address):
            error = "invalid phone number"
        if not backends.sms_configured():
            channel = Channel.CONSOLE
    elif channel != Channel.CONSOLE:
        raise ValidationFailed.for_fields({str(_("Notification channel")): [_("unknown channel")]})
    row = Message(channel=channel, address=address[:500], **common)
    row._dedupe_part = f"a:{address}"
    if error:
        row.status = MessageStatus.FAILED
        row.last_error = error
    return row


@transaction.atomic
def notify(
    *,
    template: str,
    context: dict[str, Any],
    users: Iterable = (),
    addresses: Iterable[str] = (),
    channel: str | None = None,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> list[Message]:
    """Render `template` with `context` and write the messages; delivery starts on commit.

    Each active user in `users` gets an inbox message (sent at once) and, when e-mail is
    configured and the user has an address, an e-mail. Each of `addresses` (e-mail address
    or phone number) gets one message on `channel`, or on the channel its form implies.
    With `dedupe_key`, a repeated call writes nothing new and returns the rows written the
    first time (per recipient): callers that may run twice pass a key naming the event,
    e.g. f"sla-breach:{clock.pk}".
    An unknown template code raises TemplateMissing; an inactive template sends nothing.
    """
    tpl = _template(template)
    if not tpl.is_active:
        log.info("notification template %s is inactive: nothing sent", template)
        return []
    subject, body = render(tpl, context)
    now = timezone.now()
    common = {
        "template": template,
        "subject": subject,
        "body": body,
        "payload": payload or {},
        # Due now by the services' clock (the field default is bound to the real one).
        "next_attempt_at": now,
    }
    rows: list[Message] = []
    seen: set[int] = set()
    for user in users:
        if not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        inbox = Message(
            channel=Channel.INBOX,
            recipient=user,
            status=MessageStatus.SENT,
            sent_at=now,
            **common,
        )
        inbox._dedupe_part = f"u{user.pk}:inbox"
        rows.append(inbox)
        if user.email and backends.email_configured():
            email = Message(channel=Channel.EMAIL, recipient=user, address=user.email, **common)
            email._dedupe_part = f"u{user.pk}:email"
            rows.append(email)
    for address in addresses:
        rows.append(_address_row(address, channel, **common))
    return _save(rows, dedupe_key)


# Changes to one thing within this long fold into one unread notification.
FOLD_WINDOW = timedelta(minutes=5)
FOLD_MAX = 20  # changes listed in one folded notification (the latest)


@transaction.atomic
def notify_folded(
    *,
    template: str,
    context: dict[str, Any],
    user,
    fold_key: str,
    change: dict[str, Any],
    payload: dict[str, Any] | None = None,
    window: timedelta = FOLD_WINDOW,
) -> Message | None:
    """Tell `user` of one `change` to the thing `fold_key` names (e.g. "wo:42"), folded:
    while the user's last such notification is unread and younger than `window`, the
    change is added to it instead of writing a new one. The template gets the list of
    changes as `changes` (oldest first). Returns the inbox message, None if not sent."""
    if not user.is_active:
        return None
    now = timezone.now()
    existing = (
        Message.objects.select_for_update()
        .filter(
            recipient=user,
            channel=Channel.INBOX,
            template=template,
            read_at__isnull=True,
            created_at__gte=now - window,
            payload__fold=fold_key,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    changes = [*((existing.payload or {}).get("changes", []) if existing else []), change]
    changes = changes[-FOLD_MAX:]
    context = {**context, "changes": changes}
    payload = {**(payload or {}), "fold": fold_key, "changes": changes}
    if existing is None:
        rows = notify(template=template, context=context, users=[user], payload=payload)
        return next((r for r in rows if r.channel == Channel.INBOX), None)
    tpl = _template(template)
    if not tpl.is_active:
        return None
    existing.subject, existing.body = render(tpl, context)
    existing.payload = payload
    existing.save(update_fields=["subject", "body", "payload"])
    return existing


@transaction.atomic
def notify_webhooks(
    *, event: str, payload: dict[str, Any], dedupe_key: str | None = None
) -> list[Message]:
    """One signed POST per active endpoint subscribed to `event`, delivered after commit.

    The body is fixed now: {"event", "created_at", "data": payload}, so every retry sends
    and signs the same bytes.
    """
    if not _EVENT.match(event or ""):
        raise ValidationFailed.for_fields(
            {str(_("Event")): [_("lower-case letters, digits, _ . - ; at most 50 characters")]}
        )
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if e.subscribes_to(event)
    ]
    if not endpoints:
        return []
    body = json.dumps(
        {"event": event, "created_at": timezone.now().isoformat(), "data": payload},
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    )
    rows = []
    for endpoint in endpoints:
        row = Message(
            channel=Channel.WEBHOOK,
            endpoint=endpoint,
            address=endpoint.url,
            template=event,
            subject=event,
            body=body,
            payload=payload,
        )
        row._dedupe_part = f"w{endpoint.pk}"
        rows.append(row)
    return _save(rows, dedupe_key)


def _row_key(dedupe_key: str, part: str) -> str:
    key = f"{dedupe_key}|{part}"
    if len(key) > 255:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def _save(rows: list[Message], dedupe_key: str | None) -> list[Message]:
    """Insert the rows (skipping those a previous call with `dedupe_key` wrote) and queue
    the new pending ones for delivery when the transaction commits."""
    if not rows:
        return []
    if dedupe_key is None:
        if connection.features.can_return_rows_from_bulk_insert:
            Message.objects.bulk_create(rows)
        else:
            for row in rows:
                row.save()
        saved, created = rows, rows
    else:
        saved, created = [], []
        for row in rows:
            row.dedupe_key = _row_key(dedupe_key, row._dedupe_part)
            # Insert and catch the conflict rather than read first: a concurrent caller may
            # insert between our read and our insert. The savepoint keeps a failed insert
            # from spoiling the caller's transaction.
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                winner = Message.objects.filter(dedupe_key=row.dedupe_key).first()
                if winner is None:
                    raise
                saved.append(winner)
                continue
            saved.append(row)
            created.append(row)
    due = [r.pk for r in created if r.status == MessageStatus.PENDING]
    if due:
        # robust: the change is committed; a queue that cannot be reached must not turn
        # it into an error page. The sweep delivers what was not queued.
        transaction.on_commit(lambda: _enqueue(due), robust=True)
    return saved


def _enqueue(message_ids: Iterable[int]) -> None:
    from kefu.notify.tasks import deliver

    for pk in message_ids:
        deliver(pk)


# --- delivering ---------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait after the `attempts`-th failure: 30 s doubling, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def message_deliver(*, message_id: int, now: datetime | None = None) -> str | None:
    """Send one message if it is pending and due; returns its new status, None if skipped.

    The claim is one conditional UPDATE (pending and due → due only after a lease): of two
    workers given the same message, one sends it. No transaction is held while sending —
    a slow receiver must not keep the database locked.
    """
    now = now or timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, status=MessageStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    message = Message.objects.select_related("endpoint", "recipient").get(pk=message_id)
    try:
        backends.send(message)
    except backends.DeliveryError as exc:
        return _failed(message, str(exc), permanent=exc.permanent, now=now)
    except Exception as exc:
        log.exception("notify: message %s failed unexpectedly", message_id)
        return _failed(message, f"{type(exc).__name__}: {exc}", permanent=False, now=now)
    Message.objects.filter(pk=message_id, status=MessageStatus.PENDING).update(
        status=MessageStatus.SENT, sent_at=now, last_error=""
    )
    return MessageStatus.SENT


def _failed(message: Message, error: str, *, permanent: bool, now: datetime) -> str:
    # `attempts` already counts this attempt: the claim added it, so a worker that dies
    # while sending still uses up one of the attempts.
    if permanent or message.attempts >= MAX_ATTEMPTS:
        status, changes = MessageStatus.FAILED, {}
        log.warning("notify: message %s failed for good: %s", message.pk, error)
    else:
        status = MessageStatus.PENDING
        changes = {"next_attempt_at": now + backoff(message.attempts)}
        log.info("notify: message %s attempt %s failed: %s", message.pk, message.attempts, error)
    Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(
        status=status, last_error=error[:2000], **changes
    )
    return status


def outbox_sweep(*, now: datetime | None = None) -> int:
    """Queue delivery of pending messages that are due: retries whose wait is over, and
    messages whose task was lost (worker killed, queue lost). Returns how many.

    Reads only due rows through the (status, next_attempt_at) index. Queuing a message
    twice is harmless: only one task wins its claim.
    """
    now = now or timezone.now()
    due = list(
        Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        .exclude(Q(attempts=0) & Q(next_attempt_at__gt=now - SWEEP_GRACE))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    _enqueue(due)
    return len(due)


@transaction.atomic
def messages_retry(*, message_ids: Iterable[int]) -> int:
    """Admin "retry now": pending or failed messages become due at once and are queued.

    A failed message gets one more attempt (its attempt count stays; a further failure
    marks it failed again). Sent messages are left alone.
    """
    ids = list(
        Message.objects.filter(pk__in=list(message_ids))
        .exclude(channel=Channel.INBOX)
        .filter(status__in=(MessageStatus.PENDING, MessageStatus.FAILED))
        .values_list("pk", flat=True)
    )
    if ids:
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.PENDING, next_attempt_at=timezone.now()
        )
        transaction.on_commit(lambda: _enqueue(ids), robust=True)
    return len(ids)


# --- inbox --------------------------------------------------------------------------------


def mark_read(*, user, message_ids: Iterable[int]) -> int:
    """Mark the user's own unread inbox messages read; others' ids are ignored."""
    return Message.objects.filter(
        recipient=user, channel=Channel.INBOX, read_at__isnull=True, pk__in=list(message_ids)
    ).update(read_at=timezone.now())


def mark_all_read(*, user, up_to_id: int | None = None) -> int:
    """Mark all the user's unread inbox messages read, or those up to `up_to_id`: the page
    passes the newest id it showed, so a message that arrived meanwhile stays unread."""
    qs = Message.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if up_to_id is not None:
        qs = qs.filter(pk__lte=up_to_id)
    return qs.update(read_at=timezone.now())
