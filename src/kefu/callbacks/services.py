"""Callback tasks 回访任务: the callbacks due (`kefu.callbacks.step`, pipeline step 5) put
into calls — merged per customer, with the unit that took the order in, automatic or by
a person — and the automatic attempt (SMS or voice) sent. The
callback monitor calls these each minute. What the customer answered is recorded by
`kefu.callbacks.outcomes`.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from kefu.callbacks.clock import next_check
from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackItem,
    CallbackPolicy,
    CallbackSettings,
    CallbackTask,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.phones import is_mobile, normalised_phone
from kefu.callbacks.step import calendar, share_for
from kefu.callbacks.timing import callback_due
from kefu.notify.customer import customer_context
from kefu.notify.services import notify
from kefu.org.models import OrgUnit
from kefu.workorders.models import WorkOrder

LINK_SALT = "kefu.callbacks.answer"


def callback_unit(order: WorkOrder, policy: CallbackPolicy | None) -> OrgUnit:
    """Who calls back: the policy's callback unit (e.g. the 10000 dispatch centre), else
    the customer-service unit that took the order in (首问负责) — never the team that did
    the work, which would grade itself, and never an outsourcing vendor: outsourced work
    is called back by the department that gave it out (001:472-478)."""
    if policy is not None and policy.unit_id:
        return policy.unit
    return order.accepting_unit


def mode_for(tier: str, config: CallbackSettings, *, voice: bool) -> tuple[str, str]:
    """Automatic first — SMS, or automatic voice where configured and a gateway (`voice`)
    exists; a person for important customers (and, at the sending step, for a customer
    the automatic channel cannot reach)."""
    if tier and tier in (config.manual_tiers or []):
        return Mode.MANUAL, _("Important customer: called by a person.")
    if config.automatic == Mode.IVR and voice:
        return Mode.IVR, ""
    return Mode.SMS, ""


def _merge_key(order: WorkOrder) -> tuple | None:
    """Whose callbacks merge: the customer's, else the caller's number's."""
    if order.customer_id:
        return ("customer", order.customer_id)
    phone = normalised_phone(order.caller_phone)
    return ("phone", phone) if phone else None


def _open_task_for(key: tuple | None, since: dt.datetime) -> CallbackTask | None:
    """The open callback of `key` created since `since` (locked), to merge into."""
    if key is None:
        return None
    tasks = CallbackTask.objects.select_for_update().filter(
        status=TaskStatus.OPEN, created_at__gte=since
    )
    if key[0] == "customer":
        tasks = tasks.filter(customer_id=key[1])
    else:
        tasks = tasks.filter(customer__isnull=True, phone=key[1])
    return tasks.order_by("created_at", "pk").first()


def callbacks_assign(*, now: dt.datetime, limit: int = 500, order_id: int | None = None) -> int:
    """Put the callback items no call covers yet into calls (in the caller's
    transaction): one customer's items within the merge window into one task, whichever
    departments resolved the orders (001:472-478: no redundant callbacks). Returns how
    many items were placed. `order_id`: only that order's (the customer portal's rating,
    which does not wait for the monitor's pass)."""
    pending = CallbackItem.objects.filter(task__isnull=True, status=TaskStatus.OPEN)
    if order_id is not None:
        pending = pending.filter(order_id=order_id)
    items = list(
        pending.select_for_update(skip_locked=True, of=("self",))
        .select_related("order__accepting_unit")
        .order_by("pk")[:limit]
    )
    if not items:
        return 0
    from kefu.callbacks.ivr import ivr_gateway

    config = CallbackSettings.current()
    voice = config.automatic == Mode.IVR and ivr_gateway() is not None
    since = now - dt.timedelta(days=config.merge_days)
    made: dict[tuple, CallbackTask] = {}
    for item in items:
        key = _merge_key(item.order)
        task = made.get(key) if key else None
        task = task or _open_task_for(key, since)
        if task is None:
            task = _task_new(item, config, now, voice=voice)
        else:
            _task_due(task, item, config)
        if key:
            made[key] = task
        item.task = task
        item.save(update_fields=["task"])
    return len(items)


def _task_due(task: CallbackTask, item: CallbackItem, config: CallbackSettings) -> None:
    """A merged call is due when its earliest order is."""
    due = callback_due(calendar(), item.order.resolved_at, config.limit_days)
    if due.target < task.due_at or due.deadline < task.deadline_at:
        task.due_at = min(task.due_at, due.target)
        task.deadline_at = min(task.deadline_at, due.deadline)
        task.next_check_at = next_check(task, config)
        task.version += 1
        task.save(update_fields=["due_at", "deadline_at", "next_check_at", "version"])


def _task_new(item: CallbackItem, config: CallbackSettings, now, *, voice: bool) -> CallbackTask:
    order = item.order
    _share, policy = share_for(order)
    due = callback_due(calendar(), order.resolved_at or now, config.limit_days)
    mode, reason = mode_for(order.customer_tier, config, voice=voice)
    task = CallbackTask(
        customer_id=order.customer_id,
        phone=normalised_phone(order.caller_phone),
        contact_name=order.contact_name,
        unit=callback_unit(order, policy),
        mode=mode,
        mode_reason=reason,
        created_at=now,
        due_at=due.target,
        deadline_at=due.deadline,
        next_attempt_at=now if mode == Mode.MANUAL else None,
    )
    task.next_check_at = next_check(task, config)
    task.save()
    return task


def answer_link(task: CallbackTask) -> str:
    """The signed link in the callback SMS (single-use: it answers an open callback only;
    it expires with the callback's limit, checked when opened)."""
    token = signing.dumps(task.pk, salt=LINK_SALT, compress=True)
    base = settings.KEFU_PUBLIC_URL.rstrip("/")
    return base + reverse("callbacks:answer", args=[token])


def customer_phone(task: CallbackTask) -> str:
    """The number the callback SMS goes to: the caller's, else the customer's."""
    if not task.phone and task.customer_id:
        task.phone = normalised_phone(task.customer.phone)
    return task.phone


def automatic_send(task: CallbackTask, order: WorkOrder, now: dt.datetime) -> None:
    """The automatic attempt of a new callback: the SMS, or the voice gateway's call. A
    customer it cannot reach (no mobile for an SMS, no number at all) goes to a person."""
    if task.mode == Mode.IVR and customer_phone(task):
        from kefu.callbacks.ivr import ivr_call

        ivr_call(task, now)
    elif task.mode == Mode.IVR:
        task.mode, task.next_attempt_at = Mode.MANUAL, now
        task.mode_reason = _("No phone number for an automatic callback.")
    else:
        sms_send(task, order, now)


def sms_send(task: CallbackTask, order: WorkOrder, now: dt.datetime) -> bool:
    """The callback SMS: the reply codes and the signed link (template callback_sms). A
    task without a mobile number goes to a person instead; returns whether it was sent."""
    if not is_mobile(customer_phone(task)):
        task.mode, task.next_attempt_at = Mode.MANUAL, now
        task.mode_reason = _("No mobile number for an SMS.")
        return False
    context = customer_context(
        order={"number": order.number, "title": order.title, "type_name": order.order_type.name},
        link=answer_link(task),
        reply_codes=CallbackSettings.current().codes_text(),
    )
    notify(
        template="callback_sms",
        context=context,
        addresses=[task.phone],
        channel="sms",
        payload={"callback": task.pk},
        dedupe_key=f"callback-sms:{task.pk}",
    )
    task.sms_sent_at = now
    CallbackAttempt.objects.create(task=task, at=now, mode=Mode.SMS, outcome=Outcome.SMS_SENT)
    return True


def link_task(token: str) -> CallbackTask | None:
    """The callback a signed link names, or None for a tampered link."""
    try:
        pk = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    return CallbackTask.objects.filter(pk=pk).first() if isinstance(pk, int) else None
