"""A callback's own time limit 回访时限: when each step of a task falls due (the SMS or
automatic call, the no-reply switch to a person, the same-day target, the limit, one
escalation step) and when the next call attempt is. Read by the services that write
tasks and by the monitor that does the steps."""

from __future__ import annotations

import datetime as dt

from kefu.calendars.business_time import BusinessCalendar
from kefu.callbacks.models import CallbackSettings, CallbackTask, ClockState, Mode, TaskStatus
from kefu.callbacks.step import calendar
from kefu.callbacks.timing import after_business_minutes

AUTOMATIC = (Mode.SMS, Mode.IVR)
ESCALATE_AFTER_MINUTES = 60  # business minutes after the breach: the unit above is told


def sms_switch_at(task: CallbackTask, config: CallbackSettings, cal: BusinessCalendar):
    """When an unanswered callback SMS goes to a person."""
    if task.mode not in AUTOMATIC or task.follow_up or task.sms_sent_at is None:
        return None
    return after_business_minutes(cal, task.sms_sent_at, config.no_reply_hours * 60)


def escalate_at(task: CallbackTask, cal: BusinessCalendar) -> dt.datetime:
    return after_business_minutes(cal, task.deadline_at, ESCALATE_AFTER_MINUTES)


def next_check_at(task: CallbackTask, config: CallbackSettings, cal: BusinessCalendar):
    """The earliest step still pending on `task`, or None."""
    if task.status != TaskStatus.OPEN:
        return None
    if task.mode in AUTOMATIC and task.sms_sent_at is None and not task.follow_up:
        return task.created_at  # the SMS (or the automatic call) is to go out
    pending = [sms_switch_at(task, config, cal)]
    if task.clock_state == ClockState.RUNNING:
        pending.append(task.due_at)
    if task.clock_state in (ClockState.RUNNING, ClockState.WARNING):
        pending.append(task.deadline_at)
    elif task.clock_state == ClockState.BREACHED and task.escalated_at is None:
        pending.append(escalate_at(task, cal))
    return min((t for t in pending if t is not None), default=None)


def next_check(task: CallbackTask, config: CallbackSettings) -> dt.datetime | None:
    """`next_check_at` on the working-hours calendar."""
    return next_check_at(task, config, calendar())


def retry_at(now: dt.datetime, config: CallbackSettings) -> dt.datetime:
    """When the next call attempt is due after a missed one."""
    return after_business_minutes(calendar(), now, config.retry_minutes)
