"""The callback monitor: new callbacks into calls and their SMS, the orders of satisfied
automatic answers archived, the no-reply switch to a person, the same-day warning, the
breach of the limit and one escalation step — each due step once, like the SLA monitor.

A task's `next_check_at` is the earliest of its pending steps; the monitor reads only
tasks whose time has come (a partial index leaves the rest out), locks them (SKIP LOCKED:
a task an agent is recording waits for the next pass) and writes every step of a batch
with its messages in one transaction.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.callbacks.clock import AUTOMATIC, escalate_at, next_check_at, sms_switch_at
from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackSettings,
    CallbackTask,
    ClockState,
    Mode,
    Outcome,
    TaskStatus,
)
from kefu.notify.services import notify
from kefu.workorders.routing import supervisors_above

BATCH = 200


def _context(task: CallbackTask) -> dict:
    local = timezone.localtime
    return {
        "callback": {
            "id": task.pk,
            "unit": task.unit.name,
            "due": local(task.due_at).strftime("%Y-%m-%d %H:%M"),
            "deadline": local(task.deadline_at).strftime("%Y-%m-%d %H:%M"),
        },
        "orders": [item.order.number for item in task.items.all() if item.order_id],
    }


def _tell(template: str, task: CallbackTask, users: list, step: str) -> None:
    if users:
        notify(
            template=template,
            context=_context(task),
            users=users,
            payload={"callback": task.pk},
            dedupe_key=f"callback-{step}:{task.pk}",
        )


def _steps(task: CallbackTask, now, config, cal) -> None:
    """Every step of `task` due by `now`, in order."""
    if task.mode in AUTOMATIC and task.sms_sent_at is None and not task.follow_up:
        from kefu.callbacks.services import automatic_send

        first = next((item.order for item in task.items.all() if item.order_id), None)
        if first is not None:
            automatic_send(task, first, now)
    switch = sms_switch_at(task, config, cal)
    if switch is not None and now >= switch:
        was = task.mode
        task.mode, task.next_attempt_at = Mode.MANUAL, now
        hours = {"n": config.no_reply_hours}
        task.mode_reason = (
            _("No SMS reply within %(n)d business hours: called by a person.") % hours
            if was == Mode.SMS
            else _("No voice callback result within %(n)d business hours: called by a person.")
            % hours
        )
        CallbackAttempt.objects.create(task=task, at=now, mode=was, outcome=Outcome.NO_REPLY)
    if task.clock_state == ClockState.RUNNING and now >= task.due_at:
        task.clock_state = ClockState.WARNING
        _tell("callback_warning", task, [task.assigned_to] if task.assigned_to else [], "warn")
    if task.clock_state in (ClockState.RUNNING, ClockState.WARNING) and now >= task.deadline_at:
        task.clock_state = ClockState.BREACHED
        _tell("callback_breached", task, supervisors_above(task.unit, itself=True)[1], "breach")
    if (
        task.clock_state == ClockState.BREACHED
        and task.escalated_at is None
        and now >= escalate_at(task, cal)
    ):
        task.escalated_at = now
        told = supervisors_above(task.unit, itself=True)[0]  # one rung above the breach's
        _tell("callback_escalated", task, supervisors_above(told)[1], "escalate")
    task.next_check_at = next_check_at(task, config, cal)
    task.version += 1
    task.save()


def callbacks_monitor_pass(*, now: dt.datetime | None = None) -> int:
    """Do every callback step due by `now`; returns the tasks looked at."""
    from kefu.callbacks.outcomes import callbacks_archive
    from kefu.callbacks.services import callbacks_assign
    from kefu.callbacks.step import calendar

    now = now or timezone.now()
    config, cal, done = CallbackSettings.current(), calendar(), 0
    while True:  # first the new callbacks into calls
        with transaction.atomic():
            if callbacks_assign(now=now) < 500:
                break
    while True:  # the orders of satisfied automatic answers archived
        with transaction.atomic():
            if callbacks_archive() < 500:
                break
    while True:
        with transaction.atomic():
            tasks = list(
                CallbackTask.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("unit", "assigned_to", "customer")
                .prefetch_related("items__order__order_type")
                .filter(next_check_at__lte=now, status=TaskStatus.OPEN)
                .order_by("next_check_at", "pk")[:BATCH]
            )
            for task in tasks:
                _steps(task, now, config, cal)
        done += len(tasks)
        if len(tasks) < BATCH:
            return done
