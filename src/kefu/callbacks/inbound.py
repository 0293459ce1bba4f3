"""Inbound SMS 上行短信: a customer's reply through the gateway, matched to their callback.

The gateway signs each delivery: `X-Kefu-Signature: sha256=<hex HMAC-SHA256 of the raw
body, keyed with KEFU_SMS_INBOUND_SECRET>`. Unsigned or badly signed → 401 and nothing is
recorded; no secret configured → every delivery is refused the same way. A message id
seen before is answered as before and counted once (gateways redeliver after timeouts).
A reply nobody can read (`reply_meaning` is None) goes to the review queue; a reply from a
number with no open callback is kept as unmatched.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.callbacks.models import (
    CallbackSettings,
    CallbackTask,
    InboundSms,
    InboundStatus,
    Level,
    TaskStatus,
)
from kefu.callbacks.outcomes import automatic_answer
from kefu.callbacks.phones import normalised_phone
from kefu.callbacks.satisfaction import reply_meaning
from kefu.core.errors import KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.notify.backends import webhook_signature
from kefu.org.scope import scope_for
from kefu.surveys.sms import survey_sms_reply
from kefu.workorders.capacity import unit_in_reach

SIGNATURE_HEADER = "X-Kefu-Signature"
REVIEWABLE = (InboundStatus.REVIEW, InboundStatus.UNMATCHED)
TEXT_MAX = 1000
BODY_MAX = 16 * 1024


class BadSignature(KefuError):
    code = "bad_signature"
    status = 401
    default_message = gettext_lazy("The request is not signed by the gateway.")


def signed_object(body: bytes, header: str | None, secret: str | None) -> dict:
    """A gateway's signed JSON object: the signature (401 and nothing read when it is
    missing or wrong, or no secret is configured), the size, the shape (400). The SMS
    gateway and the voice gateway sign as our outgoing webhooks do."""
    expected = webhook_signature(secret, body) if secret else None
    if not expected or not header or not hmac.compare_digest(expected, header.strip()):
        raise BadSignature()
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("The body is larger than %(n)d bytes.") % {"n": BODY_MAX})
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed(_("The body is not JSON.")) from None
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body is not a JSON object."))
    return data


def aware_time(value) -> dt.datetime | None:
    """An ISO 8601 time with its offset, or None for anything else."""
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, e.g. month 13
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


@dataclass(frozen=True)
class Delivery:
    phone: str
    text: str
    message_id: str
    received_at: dt.datetime


def _field(data: dict, name: str, errors: dict, *, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        errors[name] = [_("This field is required.")]
        return ""
    if len(value) > max_length:
        errors[name] = [_("At most %(n)d characters.") % {"n": max_length}]
    return value


def delivery_parse(data: dict) -> Delivery:
    """The gateway's JSON object, checked field by field (400 naming the fields)."""
    errors: dict[str, list[str]] = {}
    phone = normalised_phone(_field(data, "from", errors, max_length=30))
    if "from" not in errors and not phone:
        errors["from"] = [_("Enter a phone number.")]
    text = data.get("text")
    if not isinstance(text, str):
        errors["text"] = [_("This field is required.")]
    elif len(text) > TEXT_MAX:
        errors["text"] = [_("At most %(n)d characters.") % {"n": TEXT_MAX}]
    message_id = _field(data, "message_id", errors, max_length=100)
    raw_at = _field(data, "received_at", errors, max_length=40)
    received_at = aware_time(raw_at)
    if raw_at and received_at is None:
        errors["received_at"] = [_("Enter an ISO 8601 time with its offset.")]
    if errors:
        raise ValidationFailed.for_fields(errors)
    # PostgreSQL text cannot hold NUL; a phone's SMS never means one.
    return Delivery(phone, text.replace("\x00", ""), message_id.strip(), received_at)


def _task_for(phone: str) -> CallbackTask | None:
    """The sender's open callback (the latest, if several), locked."""
    return (
        CallbackTask.objects.select_for_update(of=("self",))
        .filter(phone=phone, status=TaskStatus.OPEN)
        .order_by("-created_at", "-pk")
        .first()
    )


def sms_inbound(*, body: bytes, header: str | None) -> tuple[InboundSms, bool]:
    """Record one delivery; returns the row and whether it was new (False: a repeat)."""
    delivery = delivery_parse(signed_object(body, header, settings.KEFU_SMS_INBOUND_SECRET))
    try:
        with transaction.atomic():
            return delivery_record(delivery), True
    except IntegrityError:  # the same message id delivered twice at once
        return InboundSms.objects.get(message_id=delivery.message_id), False


def delivery_record(delivery: Delivery) -> InboundSms:
    """One checked delivery matched to its callback (in the caller's transaction)."""
    row = InboundSms(
        message_id=delivery.message_id,
        phone=delivery.phone,
        text=delivery.text,
        received_at=delivery.received_at,
    )
    task = _task_for(delivery.phone)
    meaning = reply_meaning(delivery.text, CallbackSettings.current().codes())
    row.task = task
    survey = survey_sms_reply(phone=delivery.phone, text=delivery.text) if task is None else None
    if survey is not None:  # an answer to an SMS survey's question
        row.status = InboundStatus.MATCHED if survey == "matched" else InboundStatus.REVIEW
    elif task is None:
        row.status = InboundStatus.UNMATCHED
    elif meaning is None or task.follow_up:
        # Unreadable, or more words after a dissatisfied answer: a person reads it.
        row.status = InboundStatus.REVIEW
    else:
        row.status, row.level = InboundStatus.MATCHED, meaning.level
    row.save()
    if task is not None and row.status == InboundStatus.MATCHED:
        automatic_answer(task, meaning.level, meaning.comment, via="sms")
    return row


# --- the review queue 人工识别 -----------------------------------------------------------------


class AlreadyReviewed(KefuError):
    code = "already_reviewed"
    status = 409
    default_message = gettext_lazy("This reply has been dealt with already.")


def inbound_review(*, actor, row: InboundSms, level: str = "", note: str = "") -> InboundSms:
    """A person read a reply nobody could: its answer (`level`) is recorded on its callback
    as a readable SMS would have been, or, with no level, the reply is only marked read
    (a thank-you, a question for the desk to call about, a wrong number)."""
    if not actor.has_perm("callbacks.handle_callback"):
        raise PermissionDenied()
    with transaction.atomic():
        row = _review_row(actor, row.pk)
        if level:
            _review_answer(row, level, note)
        row.status, row.reviewed_by = InboundStatus.REVIEWED, actor
        row.level = level or row.level
        row.save(update_fields=["status", "reviewed_by", "level"])
    return row


def _review_row(actor, pk: int) -> InboundSms:
    row = (
        InboundSms.objects.select_for_update(of=("self",))
        .select_related("task__unit")
        .filter(pk=pk)
        .first()
    )
    in_reach = row is not None and (
        unit_in_reach(actor, row.task.unit) if row.task_id else scope_for(actor).sees_all
    )
    if not in_reach:
        raise NotFound()
    if row.status not in REVIEWABLE:
        raise AlreadyReviewed()
    return row


def _review_answer(row: InboundSms, level: str, note: str) -> None:
    if level not in Level.values:
        raise ValidationFailed.for_fields({"level": [_("Choose a valid option.")]})
    task = (
        CallbackTask.objects.select_for_update(of=("self",)).filter(pk=row.task_id).first()
        if row.task_id
        else None
    )
    if task is None or task.status != TaskStatus.OPEN or task.follow_up:
        raise ValidationFailed.for_fields(
            {"level": [_("This reply's callback no longer waits for an answer.")]}
        )
    # The person's note, else the customer's own words, is the answer's comment.
    automatic_answer(task, level, (note or "").strip() or row.text, via="review")
