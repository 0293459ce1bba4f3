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
from kefu.org.models import OrgUnit, StaffProfile
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
    return (
        order.handler_id is not None
        and StaffProfile.objects.filter(user_id=order.handler_id, vendor__isnull=False).exists()
    )


def callback_unit(order: WorkOrder, policy: CallbackPolicy | None) -> OrgUnit:
    """Who calls back: the policy's callback unit (e.g. the 10000 dispatch centre), else
    the department responsible for the order. Work done by an outsourcing vendor's staff
    keeps the callback with the department that gave it out (001:476)."""
    if policy is not None and policy.unit_id:
        return policy.unit
    if _outsourced(order):
        return order.dispatching_unit or order.area_unit
    return order.handling_unit or order.accepting_unit


def _customer_phone(order: WorkOrder) -> str:
    phone = order.caller_phone or (order.customer.phone if order.customer_id else "")
    return normalised_phone(phone)


def mode_for(order: WorkOrder, phone: str, config: CallbackSettings) -> tuple[str, str]:
    """Automatic first; a person for important customers and where no SMS can go."""
    tier = order.customer_tier or (order.customer.effective_tier if order.customer_id else "")
    if tier and tier in (config.manual_tiers or []):
        return Mode.MANUAL, _("Important customer: called by a person.")
    if not re.fullmatch(r"1\d{10}", phone):
        return Mode.MANUAL, _("No mobile number for an SMS.")
    return Mode.SMS, ""


def _open_task_for(order: WorkOrder, phone: str, since: dt.datetime) -> CallbackTask | None:
    """The customer's open callback created since `since` (locked), to merge into."""
    tasks = CallbackTask.objects.select_for_update().filter(
        status=TaskStatus.OPEN, created_at__gte=since
    )
    if order.customer_id:
        tasks = tasks.filter(customer_id=order.customer_id)
    elif phone:
        tasks = tasks.filter(customer__isnull=True, phone=phone)
    else:
        return None
    return tasks.order_by("created_at", "pk").first()


def callback_create(order: WorkOrder) -> CallbackItem | None:
    """The callback of a just-resolved order: added to the customer's open callback of the
    last few days (one call covers all their orders), else a new task, whose SMS goes out
    now. None when the order's type is not called back or it fell outside the sample."""
    share, policy = share_for(order)
    if not sampled(order, share):
        return None
    config = CallbackSettings.current()
    now = timezone.now()
    cal = calendar()
    due = callback_due(cal, order.resolved_at or now, config.limit_days)
    phone = _customer_phone(order)
    task = _open_task_for(order, phone, now - dt.timedelta(days=config.merge_days))
    if task is None:
        task = _task_new(order, phone, policy, config, due, now)
    elif due.target < task.due_at or due.deadline < task.deadline_at:
        task.due_at, task.deadline_at = (
            min(task.due_at, due.target),
            min(task.deadline_at, due.deadline),
        )
        task.next_check_at = next_check(task, config)
        task.version += 1
        task.save(update_fields=["due_at", "deadline_at", "next_check_at", "version"])
    return CallbackItem.objects.create(
        task=task,
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


def _task_new(order, phone, policy, config, due, now) -> CallbackTask:
    mode, reason = mode_for(order, phone, config)
    task = CallbackTask(
        customer_id=order.customer_id,
        phone=phone,
        contact_name=order.contact_name,
        unit=callback_unit(order, policy),
        mode=mode,
        mode_reason=reason,
        created_at=now,
        due_at=due.target,
        deadline_at=due.deadline,
        next_attempt_at=now if mode == Mode.MANUAL else None,
    )
    if mode == Mode.SMS:
        task.sms_sent_at = now
    task.next_check_at = next_check(task, config)
    task.save()
    if mode == Mode.SMS:
        sms_send(task, order)
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


def sms_send(task: CallbackTask, order: WorkOrder) -> None:
    """The callback SMS: the reply codes and the signed link (template callback_sms)."""
    context = customer_context(
        order={"number": order.number, "title": order.title, "type_name": order.order_type.name},
        link=answer_link(task),
    )
    notify(
        template="callback_sms",
        context=context,
        addresses=[task.phone],
        channel="sms",
        payload={"callback": task.pk},
        dedupe_key=f"callback-sms:{task.pk}",
    )
    CallbackAttempt.objects.create(
        task=task, at=task.sms_sent_at, mode=Mode.SMS, outcome=Outcome.SMS_SENT
    )


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
    tasks = {task_id for _, task_id in items}
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
