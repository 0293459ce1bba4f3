"""Automatic voice callbacks 语音自动回访, through a voice (IVR) gateway.

The gateway is a webhook endpoint (Notifications › Webhook endpoints) subscribed to the
event `callback.ivr_call` by name. Kefu asks it to call through the outbox (signed,
retried): the body's `data` is {"callback", "phone", "prompt", "reply_codes",
"results_url"}. The gateway plays the prompt, collects one digit, and POSTs the result
to `results_url` (POST /api/v1/ivr/results) signed with the endpoint's own secret —
`X-Kefu-Signature: sha256=<hex HMAC-SHA256 of the raw body>`:

    {"callback": 42, "call_id": "gw-123", "outcome": "answered", "digit": "1",
     "at": "2025-06-03T10:05:00+08:00"}

`outcome` is one of answered, no_answer, busy, wrong_number, refused. An answered call
with the digit 1/2/3 is the customer's answer, like an SMS reply; anything else (no
answer, no digit, a wrong number) goes to a person (001:484: a failed automatic callback
→ manual). A `call_id` delivered twice counts once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.callbacks.inbound import aware_time, signed_object
from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackSettings,
    CallbackTask,
    Level,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.outcomes import CALL_OUTCOMES, automatic_answer, task_save
from kefu.core.errors import ValidationFailed
from kefu.notify.models import WebhookEndpoint
from kefu.notify.services import notify_webhooks

IVR_EVENT = "callback.ivr_call"
PROMPT = "您好，这里是{org}客服回访。您的工单已处理完毕，请对本次服务进行评价：{codes}。"


def ivr_gateway() -> WebhookEndpoint | None:
    """The active endpoint that names `callback.ivr_call` among its events."""
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk"):
        if IVR_EVENT in (endpoint.events or []):
            return endpoint
    return None


def _spoken(codes: dict[str, str]) -> str:
    labels = dict(Level.choices)
    return "，".join(f"{labels[level]}请按{d}" for d, level in sorted(codes.items()))


def ivr_call(task: CallbackTask, now: dt.datetime) -> None:
    """Ask the gateway to call (in the monitor's transaction; delivered after commit)."""
    from kefu.notify.customer import org_name

    codes = CallbackSettings.current().codes()
    notify_webhooks(
        event=IVR_EVENT,
        payload={
            "callback": task.pk,
            "phone": task.phone,
            "prompt": PROMPT.format(org=org_name(), codes=_spoken(codes)),
            "reply_codes": codes,
            "results_url": settings.KEFU_PUBLIC_URL.rstrip("/") + reverse("ivr-results"),
        },
        dedupe_key=f"callback-ivr:{task.pk}",
    )
    task.sms_sent_at = now  # the automatic attempt's time, whichever channel
    CallbackAttempt.objects.create(task=task, at=now, mode=Mode.IVR, outcome=Outcome.CALL_PLACED)


def _parse(data: dict) -> dict:
    """The result's fields, checked (400 naming them)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data.get("callback"), int) or isinstance(data.get("callback"), bool):
        errors["callback"] = [_("Enter a whole number.")]
    call_id = data.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip() or len(call_id) > 100:
        errors["call_id"] = [_("This field is required.")]
    if data.get("outcome") not in CALL_OUTCOMES:
        errors["outcome"] = [_("Choose a valid option.")]
    if not isinstance(data.get("digit", ""), str):
        errors["digit"] = [_("Enter a digit.")]
    at = aware_time(data.get("at"))
    if at is None:
        errors["at"] = [_("Enter an ISO 8601 time with its offset.")]
    if errors:
        raise ValidationFailed.for_fields(errors)
    return {**data, "at": at, "call_id": call_id.strip(), "digit": data.get("digit", "")}


def ivr_result(*, body: bytes, header: str | None) -> tuple[CallbackAttempt, bool]:
    """Record one call result; returns the attempt and whether it was new."""
    gateway = ivr_gateway()
    data = _parse(signed_object(body, header, gateway.secret if gateway else None))
    try:
        with transaction.atomic():
            return _record(data), True
    except IntegrityError:  # this call's result came before
        return CallbackAttempt.objects.get(call_id=data["call_id"]), False


def _record(data: dict) -> CallbackAttempt:
    task = CallbackTask.objects.select_for_update(of=("self",)).filter(pk=data["callback"]).first()
    if task is None:
        raise ValidationFailed.for_fields({"callback": [_("No such callback.")]})
    attempt = CallbackAttempt.objects.create(
        task=task,
        at=data["at"],
        mode=Mode.IVR,
        outcome=data["outcome"],
        call_id=data["call_id"],
        note=data["digit"][:10],
    )
    if task.status != TaskStatus.OPEN or task.mode != Mode.IVR:
        return attempt  # answered meanwhile by another way: kept for the record
    level = CallbackSettings.current().codes().get(data["digit"].strip())
    if data["outcome"] == Outcome.ANSWERED and level is not None:
        automatic_answer(task, level, "", via="ivr")
        return attempt
    task.mode, task.next_attempt_at = Mode.MANUAL, data["at"]
    task.mode_reason = _("The automatic voice callback did not get an answer: called by a person.")
    task_save(task)
    return attempt
