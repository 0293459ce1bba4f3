"""What the customer said: recording a callback's answer, an attempt that did not reach
them, and what follows — a satisfied order is archived, a dissatisfied one goes back to
the unit responsible (reopened, or a new complaint linked to it, per the settings) and
its supervisors are told (001:488-490).

The answer comes from a person at the callback desk (`callback_record`), an SMS reply
(`kefu.callbacks.inbound`) or the signed link (`callback_answer_by_link`). An automatic
"dissatisfied" is recorded and handed to a person for the follow-up call, who records the
reason; only then does the order go back.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.callbacks.clock import next_check, retry_at
from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackItem,
    CallbackSettings,
    CallbackTask,
    ClockState,
    DissatisfactionReason,
    DissatisfiedAction,
    Level,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.callbacks.satisfaction import COMMENT_MAX
from kefu.core.errors import Conflict, KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.notify.services import notify
from kefu.workorders import actions
from kefu.workorders.capacity import unit_in_reach
from kefu.workorders.models import WorkOrder, WorkOrderType
from kefu.workorders.notifications import order_link
from kefu.workorders.routing import supervisors_above
from kefu.workorders.transitions import DONE

CALL_OUTCOMES = (
    Outcome.ANSWERED,
    Outcome.NO_ANSWER,
    Outcome.BUSY,
    Outcome.WRONG_NUMBER,
    Outcome.REFUSED,
)
NOTE_MAX = 500


class CallbackClosed(KefuError):
    code = "callback_closed"
    status = 409


@dataclass(frozen=True)
class Answer:
    """The customer's answer about one order."""

    level: str
    reason: DissatisfactionReason | None = None
    comment: str = ""


# --- the checks -----------------------------------------------------------------------------


def _locked(task: CallbackTask, expected_version: int | None) -> CallbackTask:
    task = (
        CallbackTask.objects.select_for_update(of=("self",)).select_related("unit").get(pk=task.pk)
    )
    if expected_version is not None and task.version != expected_version:
        raise Conflict()
    if task.status != TaskStatus.OPEN:
        raise CallbackClosed(
            _("This callback is finished (%(status)s).") % {"status": task.get_status_display()}
        )
    return task


def _may_call(actor, task: CallbackTask) -> None:
    if not actor.has_perm("callbacks.handle_callback"):
        raise PermissionDenied()
    if not unit_in_reach(actor, task.unit):
        raise NotFound()


def _checked_answers(items: list[CallbackItem], answers: dict[int, Answer] | None):
    """One valid answer per open item; a dissatisfied one with its reason or words."""
    answers = answers or {}
    errors: dict[str, list[str]] = {}
    for item in items:
        answer = answers.get(item.pk)
        field = f"level_{item.pk}"
        if answer is None or answer.level not in Level.values:
            errors[field] = [_("Choose the customer's answer.")]
        elif answer.reason is not None and not answer.reason.is_active:
            errors[f"reason_{item.pk}"] = [_("Choose a valid option.")]
        elif answer.level == Level.DISSATISFIED and not (answer.reason or answer.comment.strip()):
            errors[f"reason_{item.pk}"] = [_("Record why the customer is dissatisfied.")]
        elif len(answer.comment) > COMMENT_MAX:
            errors[f"comment_{item.pk}"] = [_("At most %(n)d characters.") % {"n": COMMENT_MAX}]
    if errors:
        raise ValidationFailed.for_fields(errors)
    return answers


# --- recording --------------------------------------------------------------------------------


def _open_items(task: CallbackTask) -> list[CallbackItem]:
    return list(task.items.filter(status=TaskStatus.OPEN).select_related("order", "unit", "reason"))


@transaction.atomic
def callback_record(
    *,
    actor,
    task: CallbackTask,
    outcome: str,
    answers: dict[int, Answer] | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> CallbackTask:
    """One call at the callback desk and how it went: answered (with the answer about
    each order), no answer or busy (the next attempt is scheduled, up to the configured
    number), wrong number or refused (the callback ends, recorded why)."""
    _may_call(actor, task)
    task = _locked(task, expected_version)
    if outcome not in CALL_OUTCOMES:
        raise ValidationFailed.for_fields({"outcome": [_("Choose a valid option.")]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed.for_fields(
            {"note": [_("At most %(n)d characters.") % {"n": NOTE_MAX}]}
        )
    now = timezone.now()
    items = _open_items(task)
    if outcome == Outcome.ANSWERED:
        answers = _checked_answers(items, answers)
    CallbackAttempt.objects.create(
        task=task, at=now, mode=Mode.MANUAL, outcome=outcome, actor=actor, note=note
    )
    task.assigned_to = task.assigned_to or actor
    if outcome == Outcome.ANSWERED:
        for item in items:
            _answer_item(item, answers[item.pk], now)
        _finish(task, items, now, actor)
        return task
    config = CallbackSettings.current()
    task.attempts += 1
    if outcome in (Outcome.WRONG_NUMBER, Outcome.REFUSED):
        _exhaust(task, items, now, actor, Outcome(outcome).label)
    elif task.attempts >= config.max_attempts:
        reason = _("Not reached in %(n)d calls.") % {"n": task.attempts}
        _exhaust(task, items, now, actor, reason)
    else:
        task.next_attempt_at = retry_at(now, config)
        task_save(task)
    return task


def _answer_item(item: CallbackItem, answer: Answer, at) -> None:
    item.level = answer.level
    item.reason = answer.reason if answer.level == Level.DISSATISFIED else None
    item.comment = answer.comment.strip()[:COMMENT_MAX] or item.comment
    if item.answered_at is None:  # the first answer is when the callback was done
        item.answered_at = at
        item.on_time = at <= item.deadline_at
    item.save(update_fields=["level", "reason", "comment", "answered_at", "on_time"])


def task_save(task: CallbackTask) -> None:
    task.next_check_at = next_check(task, CallbackSettings.current())
    task.version += 1
    task.save()


def _end(task: CallbackTask, items, now, actor, status: str) -> None:
    task.status, task.done_at, task.done_by = status, now, actor
    task.next_attempt_at = None
    if task.clock_state != ClockState.BREACHED or now <= task.deadline_at:
        task.clock_state = ClockState.MET if now <= task.deadline_at else ClockState.LATE
    else:
        task.clock_state = ClockState.LATE
    if items:
        CallbackItem.objects.filter(pk__in=[i.pk for i in items]).update(status=status)
    task_save(task)


def _finish(task: CallbackTask, items, now, actor) -> None:
    """Done: satisfied orders are archived, dissatisfied ones go back."""
    _end(task, items, now, actor, TaskStatus.DONE)
    _after_answers(items, actor)


def _exhaust(task: CallbackTask, items, now, actor, reason: str) -> None:
    """Not reached (attempts used up, refused, wrong number): the orders may be archived
    by hand. A dissatisfied SMS answer already given still goes back to the unit."""
    task.outcome_note = str(reason)[:200]
    _end(task, items, now, actor, TaskStatus.EXHAUSTED)
    _after_answers([i for i in items if i.level == Level.DISSATISFIED], actor)


def _after_answers(items: list[CallbackItem], actor) -> None:
    for item in items:
        if item.order_id is None:
            continue
        if item.level == Level.DISSATISFIED:
            dissatisfied_handle(item, actor)
        elif item.level in (Level.SATISFIED, Level.VERY_SATISFIED):
            _archive(item.order)


def callbacks_archive(*, limit: int = 500) -> int:
    """Archive the orders of satisfied automatic answers (in the caller's transaction;
    the monitor's step): a mass send's replies arrive in bursts, and the gateway's request
    should not wait for each order's close. Returns how many items were done."""
    items = list(
        CallbackItem.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(to_archive=True)
        .select_related("order")
        .order_by("pk")[:limit]
    )
    for item in items:
        _archive(item.order)
    CallbackItem.objects.filter(pk__in=[i.pk for i in items]).update(to_archive=False)
    return len(items)


def _archive(order: WorkOrder) -> None:
    """A satisfied callback archives (归档) the order it covers."""
    if order.status not in ("resolved", "replied"):  # as read with the item
        return
    # The close locks the order and checks it again: one that moved on meanwhile
    # (reopened) has nothing to archive.
    with contextlib.suppress(actions.ActionInvalid):
        actions.work_order_close(
            actor=None, order=order, note=_("Customer satisfied at the callback: archived.")
        )


def reason_text(item: CallbackItem) -> str:
    parts = [str(item.reason)] if item.reason_id else []
    if item.comment:
        parts.append(item.comment)
    return "；".join(parts) or _("no reason given")


def dissatisfied_handle(item: CallbackItem, actor) -> None:
    """不满意: back to the responsible unit — the order reopened for it, or a new complaint
    linked to it — and the unit's supervisors told."""
    order = WorkOrder.objects.select_related("order_type", "handling_unit").get(pk=item.order_id)
    why = _("Dissatisfied at the callback: %(reason)s") % {"reason": reason_text(item)}
    config = CallbackSettings.current()
    follow = order
    if config.dissatisfied_action == DissatisfiedAction.COMPLAINT:
        follow = _complaint_for(order, why)
    elif order.status in DONE:
        order = actions.work_order_reopen(actor=None, order=order, reason=why)
        if item.unit_id:
            order = actions.work_order_dispatch(actor=None, order=order, unit=item.unit, note=why)
    item.follow_up_order = follow
    item.save(update_fields=["follow_up_order"])
    unit = item.unit or order.area_unit
    notify(
        template="callback_dissatisfied",
        context={
            "order": {"number": follow.number, "title": follow.title},
            "original": order.number,
            "reason": reason_text(item),
            "unit": unit.name,
        },
        users=supervisors_above(unit, itself=True)[1],
        payload=order_link(follow),
        dedupe_key=f"callback-dissatisfied:{item.pk}",
    )


def _complaint_for(order: WorkOrder, why: str) -> WorkOrder:
    from kefu.workorders.services import work_order_create

    complaint_type = WorkOrderType.objects.filter(is_complaint=True, is_active=True).first()
    if complaint_type is None:
        raise ValidationFailed(_("No active complaint type to open the follow-up complaint."))
    complaint = work_order_create(
        actor=None,
        order_type=complaint_type,
        channel=order.channel,
        title=(_("Callback dissatisfied: %(title)s") % {"title": order.title})[:200],
        description=why,
        customer=order.customer,
        business_line=order.business_line,
        caller_phone=order.caller_phone,
        contact_name=order.contact_name,
        area_unit=order.area_unit,
    )
    complaint.related.add(order)
    return complaint


# --- automatic answers -----------------------------------------------------------------------


def automatic_answer(
    task: CallbackTask, level: str, comment: str, *, via: str, item_id: int | None = None
) -> None:
    """An answer by SMS, the link or the voice gateway (in the caller's transaction, `task`
    locked): the same answer for every order the callback covers. Satisfied ends the
    callback, its orders archived by the monitor's next pass; dissatisfied is recorded and
    goes to a person for the follow-up call. A handful of statements: replies come in
    bursts after a mass send.

    `item_id`: an answer about that order alone (the customer portal rates one order);
    a satisfied one ends the callback only when no other order of it waits."""
    now = timezone.now()
    done = level != Level.DISSATISFIED
    answer = {
        "level": level,
        "reason": None,
        "comment": comment.strip()[:COMMENT_MAX],
        "answered_at": now,
        "on_time": ExpressionWrapper(Q(deadline_at__gte=now), output_field=BooleanField()),
    }
    if done:
        answer["status"] = TaskStatus.DONE
        answer["to_archive"] = ExpressionWrapper(
            Q(order__isnull=False), output_field=BooleanField()
        )
    items = task.items.filter(status=TaskStatus.OPEN)
    if item_id is not None:
        items = items.filter(pk=item_id)
    items.update(**answer)
    if via != "ivr":  # the voice gateway's result is its attempt already
        CallbackAttempt.objects.create(
            task=task,
            at=now,
            mode=Mode.SMS,
            outcome=Outcome.SMS_REPLY,
            note=_answer_note(via, level),
        )
    if done:
        if item_id is None or not task.items.filter(status=TaskStatus.OPEN).exists():
            _end(task, [], now, None, TaskStatus.DONE)
        return
    task.follow_up, task.mode, task.next_attempt_at = True, Mode.MANUAL, now
    task.mode_reason = _("Dissatisfied: a person calls back to hear why.")
    task_save(task)


# How an automatic answer reached us, as the attempt log says it (the gateways' own words).
VIA = {
    "sms": gettext_lazy("SMS reply"),
    "link": gettext_lazy("answer link"),
    "review": gettext_lazy("SMS read by a person"),
    "portal": gettext_lazy("customer portal"),
}


def _answer_note(via: str, level: str) -> str:
    return f"{VIA.get(via, via)}：{Level(level).label}"


@transaction.atomic
def callback_answer(
    *, task: CallbackTask, level: str, comment: str = "", via: str, item_id: int | None = None
) -> CallbackTask:
    """The customer's own answer (`via`: "sms", "link", "portal"), for every order the
    callback covers (or the one of `item_id`)."""
    task = _locked(task, None)
    if level not in Level.values:
        raise ValidationFailed.for_fields({"level": [_("Choose the customer's answer.")]})
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed.for_fields(
            {"comment": [_("At most %(n)d characters.") % {"n": COMMENT_MAX}]}
        )
    automatic_answer(task, level, comment.strip(), via=via, item_id=item_id)
    return task


def callback_answer_by_link(*, task: CallbackTask, level: str, comment: str = "") -> CallbackTask:
    """The answer through the signed link in the SMS: single-use (only while the callback
    waits for the customer's own answer) and expired past the callback's limit."""
    if task.follow_up or not task.is_open or timezone.now() > task.deadline_at:
        raise CallbackClosed(_("This link has expired or has been used."))
    return callback_answer(task=task, level=level, comment=comment, via="link")
