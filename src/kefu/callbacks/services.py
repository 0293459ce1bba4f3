"""Callback tasks 回访任务: created when an order is resolved, merged per customer, and the
archive guard. What the customer answered is recorded by `kefu.callbacks.outcomes`.

The pipeline (`kefu.workorders.pipeline`, step 5) calls `callbacks_after_action` after
every work-order action: a resolve creates the order's callback (or adds it to the
customer's open one), a reopen or cancel withdraws it. `close_refusal` is asked by the
close action: an order whose callback is still open is not archived (归档).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.calendars.selectors import business_calendar
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
from kefu.callbacks.timing import after_business_minutes, callback_due
from kefu.core.refcache import ProcessCached
from kefu.notify.customer import customer_context
from kefu.notify.services import notify
from kefu.org.models import OrgUnit
from kefu.workorders.models import WorkOrder, WorkOrderEvent
from kefu.workorders.transitions import Action

CALENDAR = "cn-standard"
LINK_SALT = "kefu.callbacks.answer"


def calendar():
    """The working-hours calendar, provisional where a year has no holiday data: a
    callback must still fall due (the SLA clocks mark such times 暂定 the same way)."""
    return business_calendar(CALENDAR).provisional()


def _load_policies() -> dict[int, CallbackPolicy]:
    return {p.order_type_id: p for p in CallbackPolicy.objects.select_related("unit")}


policies = ProcessCached(_load_policies, models=(CallbackPolicy,))


def share_for(order: WorkOrder) -> tuple[int, CallbackPolicy | None]:
    """The share of this type's orders called back (%), and its policy if one is saved:
    100 for a type that needs callbacks (install, move, fault, complaint …), else 0."""
    policy = policies().get(order.order_type_id)
    if policy is not None:
        return policy.share, policy
    return (100 if order.order_type.needs_callback else 0), None


def sampled(order: WorkOrder, share: int) -> bool:
    """Whether `order` is in a `share` % sample: stable per order (its number's hash), so a
    re-resolve after a reopen makes the same choice and a test can name the outcome."""
    if share >= 100:
        return True
    if share <= 0:
        return False
    digest = hashlib.blake2b(order.number.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % 100 < share


def normalised_phone(phone: str) -> str:
    """A mobile number as the gateway and our records may write it: digits only, without
    the +86 / 0086 country prefix."""
    digits = re.sub(r"\D", "", phone or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def _outsourced(order: WorkOrder) -> bool:
    """Whether the order's handler works for an outsourcing vendor (外包)."""
    if order.handler_id is None:
        return False
    staff = getattr(order.handler, "staff", None)
    return staff is not None and staff.vendor_id is not None


def callback_unit(order: WorkOrder, policy: CallbackPolicy | None) -> OrgUnit:
    """Who calls back: the policy's callback unit (e.g. the 10000 dispatch centre), else
    the department responsible for the order. Work done by an outsourcing vendor's staff
    keeps the callback with the department that gave it out (001:476)."""
    if policy is not None and policy.unit_id:
        return policy.unit
    if _outsourced(order):
        return order.dispatching_unit or order.area_unit
    return order.handling_unit or order.accepting_unit


def is_mobile(phone: str) -> bool:
    return re.fullmatch(r"1\d{10}", phone or "") is not None


def mode_for(tier: str, config: CallbackSettings, *, voice: bool) -> tuple[str, str]:
    """Automatic first — SMS, or automatic voice where configured and a gateway (`voice`)
    exists; a person for important customers (and, at the sending step, for a customer
    the automatic channel cannot reach)."""
    if tier and tier in (config.manual_tiers or []):
        return Mode.MANUAL, _("Important customer: called by a person.")
    if config.automatic == Mode.IVR and voice:
        return Mode.IVR, ""
    return Mode.SMS, ""


def callback_create(order: WorkOrder) -> CallbackItem | None:
    """The callback of a just-resolved order: one row, due the same business day, at the
    latest `limit_days` business days after the resolution. None when the order's type is
    not called back or the order fell outside the sample.

    One INSERT on the resolve. The callback monitor's next pass (within the minute) puts
    the item into a call — the customer's open one of the last few days, or a new task —
    and sends the SMS: in batches, so a mass resolve after an outage does not write a
    thousand tasks and messages inside its own transaction, and the archive guard holds
    from the resolve on."""
    share, _policy = share_for(order)
    if not sampled(order, share):
        return None
    config, cal = CallbackSettings.current(), calendar()
    due = callback_due(cal, order.resolved_at or timezone.now(), config.limit_days)
    return CallbackItem.objects.create(
        order=order,
        due_on=due.target.astimezone(cal.tz).date(),
        deadline_at=due.deadline,
        area_unit_id=order.area_unit_id,
        unit_id=order.handling_unit_id or order.accepting_unit_id,
        order_type_id=order.order_type_id,
        business_line_id=order.business_line_id,
        handler_id=order.handler_id,
        agent_id=order.owner_id,
    )


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


def callbacks_assign(*, now: dt.datetime, limit: int = 500) -> int:
    """Put the callback items no call covers yet into calls (in the caller's
    transaction): one customer's items within the merge window into one task, whichever
    departments resolved the orders (001:472-478: no redundant callbacks). Returns how
    many items were placed."""
    items = list(
        CallbackItem.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(task__isnull=True, status=TaskStatus.OPEN)
        .select_related("order__handler__staff", "order__dispatching_unit", "order__area_unit")
        .select_related("order__handling_unit", "order__accepting_unit")
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


def next_check(task: CallbackTask, config: CallbackSettings) -> dt.datetime | None:
    """When the monitor must look at `task` next: the no-reply switch to a person, the
    same-day target, the limit, one escalation step after the limit."""
    from kefu.callbacks.monitor import next_check_at

    return next_check_at(task, config, calendar())


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


def callbacks_withdraw(order: WorkOrder) -> int:
    """A reopened or cancelled order is called back when it is resolved again: its open
    callback item is withdrawn, and a task left with nothing to ask about is cancelled."""
    items = list(
        CallbackItem.objects.filter(order=order, status=TaskStatus.OPEN).values_list(
            "pk", "task_id"
        )
    )
    if not items:
        return 0
    CallbackItem.objects.filter(pk__in=[pk for pk, _ in items]).update(status=TaskStatus.CANCELLED)
    tasks = {task_id for _, task_id in items if task_id is not None}
    emptied = CallbackTask.objects.filter(pk__in=tasks, status=TaskStatus.OPEN).exclude(
        items__status=TaskStatus.OPEN
    )
    emptied.update(status=TaskStatus.CANCELLED, next_check_at=None)
    return len(items)


def callbacks_after_action(order: WorkOrder, event: WorkOrderEvent) -> None:
    """Pipeline step 5 (回访)."""
    if event.action == Action.RESOLVE:
        callback_create(order)
    elif event.action in (Action.REOPEN, Action.CANCEL):
        callbacks_withdraw(order)


def close_refusal(order: WorkOrder) -> str | None:
    """Why `order` may not be archived yet: its callback is open (归档 waits for the
    callback, or for its attempts to be exhausted, recorded why)."""
    if CallbackItem.objects.filter(order=order, status=TaskStatus.OPEN).exists():
        return _("The callback of this order is not done yet; it is archived after the callback.")
    return None


def link_task(token: str) -> CallbackTask | None:
    """The callback a signed link names, or None for a tampered link."""
    try:
        pk = signing.loads(token, salt=LINK_SALT)
    except signing.BadSignature:
        return None
    return CallbackTask.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def retry_at(now: dt.datetime, config: CallbackSettings) -> dt.datetime:
    return after_business_minutes(calendar(), now, config.retry_minutes)
