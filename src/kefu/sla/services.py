"""Every write of time limits 时限: clocks started, stopped, paused and resumed by work-order
actions; the monitor that warns (事前预警), marks breaches (超时) and escalates; policy edits.

Clocks follow the order through `order_changed` (see apps.py), in the action's own
transaction: an action and its clocks commit or roll back together.

The monitor is idempotent and exactly-once per step. It works in batches: the due clocks'
orders are locked (SKIP LOCKED: an order a user is acting on waits for the next pass),
the clocks re-read under that lock, and each clock's one due step (warning, breach, each
escalation) is written — clock UPDATE, timeline events, outbox rows — in one transaction.
A step is due only while the clock's state says so, so a worker killed mid-batch rolls
the batch back and the next pass does those steps again, once; a second monitor finds
them done. Messages carry a dedupe key per clock and step as a second guard.

A year without holiday data never yields a silently guessed deadline. The order is still
taken in (losing a customer's complaint is worse than a late deadline), with a
**provisional** (暂定) due time counted on weekends only (Saturday and Sunday off, no
holidays) that drives warnings and escalation, and loudly: the clock is flagged
`provisional` (and the order `due_provisional`), the timeline says why, administrators get
a notification and the log an error. Importing the year (`calendar_import`) recomputes
the provisional clocks at once (`sla_recompute_provisional`); the monitor and the daily
calendar check also recompute any it finds.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.calendars.business_time import CalendarYearMissing, add_business_minutes
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.notify.services import TemplateMissing, notify
from kefu.org.models import OrgUnit
from kefu.sla.clock_math import deadline, shift_past_pause
from kefu.sla.models import (
    LADDER_STEPS,
    LIMIT_NAMES,
    ClockKind,
    ClockState,
    SlaClock,
    SlaPolicy,
)
from kefu.sla.outbox import Notice, notify_many
from kefu.sla.selectors import (
    Calendars,
    Ladder,
    calendar_alert_recipients,
    missing_calendar_years,
    policy_match,
)
from kefu.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderType

log = logging.getLogger(__name__)

RETRY_NO_CALENDAR = dt.timedelta(hours=1)  # a missing calendar year is tried again hourly
RETRY_FAILED = dt.timedelta(minutes=10)  # a clock whose step raised is tried again
MONITOR_BATCH = 200  # clocks per transaction
MONITOR_LIMIT = 50_000  # clock steps per pass; the next pass (a minute later) continues
CALENDAR_MISSING_TEMPLATE = "sla_calendar_missing"

# WorkOrder.sla_state values (the lists' 预警 / 超时 queues read them).
ORDER_WARNING, ORDER_BREACHED, ORDER_ERROR = "warning", "breached", "error"

_ALL_KINDS = tuple(ClockKind.values)


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _order_context(order: WorkOrder | None) -> dict[str, Any]:
    if order is None:
        return {}
    return {"number": order.number, "title": order.title, "type_name": order.order_type.name}


def _pause_pairs(clock: SlaClock) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in clock.pauses]


# --- scheduling one clock -----------------------------------------------------------------


def _schedule(clock: SlaClock, now: dt.datetime) -> None:
    """Set when the monitor must look at the clock next (None: only a user action can
    change anything)."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        clock.next_check_at = None
    elif clock.state == ClockState.NO_CALENDAR:
        clock.next_check_at = now + RETRY_NO_CALENDAR
    elif clock.state == ClockState.RUNNING:
        warn_first = clock.warn_at is not None and clock.warn_at < clock.due_at
        clock.next_check_at = clock.warn_at if warn_first else clock.due_at
    elif clock.state == ClockState.WARNING:
        clock.next_check_at = clock.due_at
    elif clock.state == ClockState.BREACHED and clock.escalation_step < LADDER_STEPS:
        clock.next_check_at = clock.next_step_at
    else:
        clock.next_check_at = None


def _compute_deadlines(
    clock: SlaClock, calendars: Calendars, now: dt.datetime
) -> CalendarYearMissing | None:
    """Due and warning time from the start, the budget and the finished pauses; on a
    missing calendar year they are provisional (weekends only), the clock is flagged and
    the error returned. Warnings and breaches already raised stay raised."""
    calendar = calendars(clock.calendar)
    pauses = _pause_pairs(clock)
    missing = None
    try:
        due = deadline(calendar, clock.started_at, clock.budget_minutes, pauses)
        warn = deadline(calendar, clock.started_at, clock.budget_minutes * clock.warn_ratio, pauses)
    except CalendarYearMissing as exc:
        missing, calendar = exc, calendar.provisional()
        due = deadline(calendar, clock.started_at, clock.budget_minutes, pauses)
        warn = deadline(calendar, clock.started_at, clock.budget_minutes * clock.warn_ratio, pauses)
    clock.due_at, clock.warn_at = due, warn
    clock.provisional = missing is not None
    clock.problem = (
        f"calendar {missing.calendar} has no holiday data for {missing.year}" if missing else ""
    )
    if clock.state == ClockState.NO_CALENDAR:  # flagged before provisional times existed
        clock.state = ClockState.RUNNING
    _schedule(clock, now)
    return missing


def _ladder_time(
    clock: SlaClock, calendars: Calendars, base: dt.datetime, minutes: int
) -> dt.datetime:
    """When the next escalation step is due. Escalation is internal follow-up, not a
    promise to the customer: without calendar data it runs on the provisional calendar
    (weekends only; logged)."""
    calendar = calendars(clock.calendar)
    try:
        return add_business_minutes(calendar, base, minutes)
    except CalendarYearMissing as exc:
        log.warning("sla: clock %s escalates on the provisional calendar: %s", clock.pk, exc)
        return add_business_minutes(calendar.provisional(), base, minutes)


# --- loud errors ---------------------------------------------------------------------------


def _alert_missing_year(calendar: str, year: int, order: WorkOrder | None = None) -> None:
    """Tell the administrators and supervisors once per calendar year (dedupe key: the
    Message rows are the record of having told them), however many clocks it affects and
    however often the daily check runs."""
    log.error(
        "sla: calendar %s has no holiday data for %s; time limits running into it are "
        "provisional (weekends only) until an administrator imports the year",
        calendar,
        year,
    )
    try:
        notify(
            template=CALENDAR_MISSING_TEMPLATE,
            context={"calendar": calendar, "year": year, "order": _order_context(order)},
            users=calendar_alert_recipients(),
            dedupe_key=f"sla:calendar:{calendar}:{year}",
        )
    except TemplateMissing:
        # The seed creates the template; if an administrator deleted it, the log line
        # above is the alert. Taking the order in matters more than this message.
        log.error("sla: template %s is missing; no notification sent", CALENDAR_MISSING_TEMPLATE)


def _report_missing_calendar(order: WorkOrder, clock: SlaClock, exc: CalendarYearMissing) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        note = _(
            "The %(clock)s time limit is provisional: the %(calendar)s calendar has no "
            "holiday data for %(year)s, so it was counted on weekends only (due %(due)s). "
            "An administrator must import that year (kefu calendar import); the time limit "
            "is then recomputed automatically."
        ) % {
            "clock": ClockKind(clock.kind).label,
            "calendar": exc.calendar,
            "year": exc.year,
            "due": _local(clock.due_at),
        }
    WorkOrderEvent.objects.create(
        order=order,
        action="note",
        actor=None,
        from_status=order.status,
        to_status=order.status,
        note=note,
        data={
            "sla": clock.kind,
            "problem": "calendar_missing",
            "calendar": exc.calendar,
            "year": exc.year,
            "provisional_due": clock.due_at.isoformat() if clock.due_at else None,
        },
    )
    _alert_missing_year(exc.calendar, exc.year, order)


# --- reacting to work-order actions --------------------------------------------------------


_Prepared = tuple[list[SlaClock], list[tuple[SlaClock, CalendarYearMissing]]]


def _prepare(
    order: WorkOrder, kinds: Iterable[str], at: dt.datetime, calendars: Calendars
) -> _Prepared:
    """The policy's clocks of `kinds`, started at `at`, with their deadlines (unsaved), and
    those whose calendar lacks a year."""
    policy = policy_match(order)
    if policy is None:
        log.warning("sla: no active time-limit policy fits order %s; no clocks", order.number)
        return [], []
    clocks, missing = [], []
    for kind in kinds:
        minutes = policy.minutes_for(kind)
        if not minutes:
            continue
        clock = SlaClock(
            order=order,
            kind=kind,
            policy=policy,
            calendar=policy.calendar_for(kind),
            budget_minutes=minutes,
            warn_ratio=policy.warn_ratio,
            escalation_minutes=policy.escalation_minutes,
            started_at=at,
        )
        if (problem := _compute_deadlines(clock, calendars, at)) is not None:
            missing.append((clock, problem))
        clocks.append(clock)
    return clocks, missing


def _save(order: WorkOrder, prepared: _Prepared) -> list[SlaClock]:
    clocks, missing = prepared
    SlaClock.objects.bulk_create(clocks)
    for clock, problem in missing:
        _report_missing_calendar(order, clock, problem)
    return clocks


def _start(
    order: WorkOrder, kinds: Iterable[str], at: dt.datetime, calendars: Calendars
) -> list[SlaClock]:
    """Start the policy's clocks of `kinds`; returns them (saved)."""
    return _save(order, _prepare(order, kinds, at, calendars))


_INTAKE_KINDS = (ClockKind.FIRST_CONTACT, ClockKind.RESOLUTION)


def clocks_before_intake(*, order: WorkOrder) -> None:
    """Before a new order is written: its clocks, computed now, give it its due time and
    state in the INSERT; they are saved with the create event (`_on_create`)."""
    prepared = _prepare(order, _INTAKE_KINDS, timezone.now(), Calendars())
    order._sla_prepared = prepared
    order.due_at, order.sla_state, order.due_provisional = order_summary(prepared[0])


def _stop(
    order: WorkOrder,
    kinds: Iterable[str],
    at: dt.datetime,
    calendars: Calendars,
    *,
    cancelled: bool = False,
) -> None:
    for clock in SlaClock.objects.filter(order=order, kind__in=list(kinds), stopped_at=None):
        # A paused clock stopped counting when it was paused.
        counted_until = clock.paused_at or at
        if cancelled:
            clock.state = ClockState.CANCELLED
        else:
            if clock.due_at is None or clock.provisional:  # perhaps imported since
                _compute_deadlines(clock, calendars, at)
            if clock.due_at is None:
                clock.state = ClockState.STOPPED
            else:
                late = counted_until > clock.due_at
                clock.state = ClockState.LATE if late else ClockState.MET
        if clock.paused_at is not None:
            clock.pauses = [*clock.pauses, [clock.paused_at.isoformat(), at.isoformat()]]
            clock.paused_at = None
        clock.stopped_at = at
        clock.next_check_at = None
        clock.save()


def _pause(order: WorkOrder, at: dt.datetime) -> None:
    """Pause the live clocks, except the first-contact clock of an order whose customer
    has not been contacted yet: suspending (waiting for the customer, for parts) is no
    reason to leave the customer uncalled, so that promise keeps running."""
    clocks = SlaClock.objects.filter(order=order, stopped_at=None, paused_at=None)
    if order.first_contact_at is None:
        clocks = clocks.exclude(kind=ClockKind.FIRST_CONTACT)
    clocks.update(paused_at=at, next_check_at=None)


def _resume(order: WorkOrder, at: dt.datetime, calendars: Calendars) -> None:
    """Carry the working time each clock had left at the pause over to now."""
    paused = SlaClock.objects.filter(order=order, stopped_at=None, paused_at__isnull=False)
    for clock in paused:
        paused_at = clock.paused_at
        clock.pauses = [*clock.pauses, [paused_at.isoformat(), at.isoformat()]]
        clock.paused_at = None
        missing = None
        if clock.due_at is None:
            missing = _compute_deadlines(clock, calendars, at)
        else:
            try:
                calendar = calendars(clock.calendar)
                clock.due_at = shift_past_pause(calendar, clock.due_at, paused_at, at)
                if clock.warn_at is not None:
                    clock.warn_at = shift_past_pause(calendar, clock.warn_at, paused_at, at)
            except CalendarYearMissing:
                missing = _compute_deadlines(clock, calendars, at)
        if clock.next_step_at is not None and clock.next_step_at > paused_at:
            try:
                calendar = calendars(clock.calendar)
                clock.next_step_at = shift_past_pause(calendar, clock.next_step_at, paused_at, at)
            except CalendarYearMissing:
                clock.next_step_at += at - paused_at
        _schedule(clock, at)
        clock.save()
        if missing is not None:
            _report_missing_calendar(order, clock, missing)


def _on_create(order, event, calendars):
    # A new order has no other clocks: these are all its live ones.
    prepared = order.__dict__.pop("_sla_prepared", None)
    if prepared is None:  # taken in without the services' intake (order_taking_in)
        return _start(order, _INTAKE_KINDS, event.created_at, calendars)
    return _save(order, prepared)


def _on_contact(order, event, calendars):
    _stop(order, (ClockKind.FIRST_CONTACT,), event.created_at, calendars)


def _on_resolve(order, event, calendars):
    # Resolving records first contact too (an order resolved on the phone was contacted).
    kinds = (ClockKind.FIRST_CONTACT, ClockKind.RESOLUTION)
    _stop(order, kinds, event.created_at, calendars)
    _start(order, (ClockKind.REPLY,), event.created_at, calendars)


def _on_reply(order, event, calendars):
    _stop(order, (ClockKind.REPLY,), event.created_at, calendars)


def _on_close(order, event, calendars):
    _stop(order, _ALL_KINDS, event.created_at, calendars)


def _on_cancel(order, event, calendars):
    _stop(order, _ALL_KINDS, event.created_at, calendars, cancelled=True)


def _on_suspend(order, event, calendars):
    _pause(order, event.created_at)


def _on_resume(order, event, calendars):
    _resume(order, event.created_at, calendars)


def _on_reopen(order, event, calendars):
    # The customer is not satisfied: the reply is moot, and the order gets a fresh
    # resolution time limit (the first one stays in the history as met or late).
    _stop(order, (ClockKind.REPLY,), event.created_at, calendars, cancelled=True)
    _start(order, (ClockKind.RESOLUTION,), event.created_at, calendars)


_REACTIONS: dict[str, Callable] = {
    "create": _on_create,
    "contact": _on_contact,
    "resolve": _on_resolve,
    "reply": _on_reply,
    "close": _on_close,
    "cancel": _on_cancel,
    "merge": _on_cancel,
    "suspend": _on_suspend,
    "resume": _on_resume,
    "reopen": _on_reopen,
}


def clocks_on_order_event(*, order: WorkOrder, event: WorkOrderEvent) -> None:
    """Start, stop, pause or resume the order's clocks after one work-order action.

    Runs inside the action's transaction, which holds the order's row lock; the monitor
    takes the same lock before touching a clock, so the two never interleave. Keeps
    `order.due_at` / `order.sla_state` (in the database and on `order`) in step.
    """
    reaction = _REACTIONS.get(event.action)
    if reaction is None:
        return
    live = reaction(order, event, Calendars())
    if live is None:  # the reaction changed existing clocks: read what is live now
        live = list(SlaClock.objects.filter(order=order, stopped_at=None))
    due_at, sla_state, provisional = order_summary(live)
    if (due_at, sla_state, provisional) != (order.due_at, order.sla_state, order.due_provisional):
        WorkOrder.objects.filter(pk=order.pk).update(
            due_at=due_at, sla_state=sla_state, due_provisional=provisional
        )
        order.due_at, order.sla_state, order.due_provisional = due_at, sla_state, provisional


_WORST_FIRST = (
    (ClockState.BREACHED, ORDER_BREACHED),
    (ClockState.WARNING, ORDER_WARNING),
    (ClockState.NO_CALENDAR, ORDER_ERROR),
)


class _LiveClock(NamedTuple):
    """What `order_summary` reads of a clock, as `sync_orders` loads it."""

    due_at: dt.datetime | None
    paused_at: dt.datetime | None
    state: str
    provisional: bool = False
    stopped_at: None = None


def order_summary(
    live: Iterable[SlaClock | _LiveClock],
) -> tuple[dt.datetime | None, str, bool]:
    """An order's `due_at`, `sla_state` and `due_provisional` from its live (unstopped)
    clocks: the earliest due time of a clock that is counting, the worst state, and whether
    a clock due at that time is provisional (暂定). The one definition: actions apply it to
    the clocks in hand, the monitor through `sync_orders`."""
    live = [c for c in live if c.stopped_at is None]
    counting = [c for c in live if c.paused_at is None and c.due_at is not None]
    states = {c.state for c in live}
    sla_state = next((label for state, label in _WORST_FIRST if state in states), "")
    due_at = min((c.due_at for c in counting), default=None)
    provisional = any(c.provisional for c in counting if c.due_at == due_at)
    return due_at, sla_state, provisional


def sync_orders(
    order_ids: Iterable[int], raises: dict[int, tuple[int, OrgUnit]] | None = None
) -> int:
    """Bring the orders' `due_at` / `sla_state` in line with their live clocks and apply
    the escalations in `raises` (order id → (level, unit); a manual escalation that went
    further stays); returns how many orders changed. Two reads and one UPDATE per changed
    order, sent as one pipeline (executemany). Each order is written at most once, and not
    at all if nothing changed: a write touches its twenty indexes (`due_at` is one of
    them, so it is never a HOT update). The caller holds the orders' row locks."""
    ids = list(order_ids)
    raises = raises or {}
    live: dict[int, list[_LiveClock]] = {pk: [] for pk in ids}
    clocks = SlaClock.objects.filter(order_id__in=ids, stopped_at=None)
    fields = ("order_id", "due_at", "paused_at", "state", "provisional")
    for order_id, *values in clocks.values_list(*fields):
        live[order_id].append(_LiveClock(*values))
    names = ("due_at", "sla_state", "due_provisional", "escalation_level", "escalated_to_id")
    changed = []
    for pk, *stored in WorkOrder.objects.filter(pk__in=ids).values_list("pk", *names):
        level, unit_id = stored[3:]
        if pk in raises and raises[pk][0] > level:
            level, unit_id = raises[pk][0], raises[pk][1].pk
        wanted = [*order_summary(live[pk]), level, unit_id]
        if wanted != stored:
            changed.append([*wanted, pk])
    if changed:
        due = WorkOrder._meta.get_field("due_at")
        for row in changed:
            row[0] = due.get_db_prep_save(row[0], connection)
        table = connection.ops.quote_name(WorkOrder._meta.db_table)
        columns = ", ".join(f"{connection.ops.quote_name(n)} = %s" for n in names)
        with connection.cursor() as cursor:
            # Table and column names come from the model, never from input.
            cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", changed)  # noqa: S608
    return len(changed)


# --- the monitor ----------------------------------------------------------------------------


@dataclass
class _Step:
    """What one due clock needs: the clock's new values (set on the instance), and the
    timeline event, messages and order escalation that go with them."""

    clock: SlaClock
    outcome: str
    event: WorkOrderEvent | None = None
    notice: Notice | None = None
    escalated_to: Any = None  # (level, unit) the order is raised to


def _responsible(order: WorkOrder) -> list:
    """The handler and the owner of record (首问负责人): the people who can still act."""
    return [u for u in (order.handler, order.owner) if u is not None]


def _notice(template: str, clock: SlaClock, users: list, key: str, note: str = "") -> Notice:
    context = {
        "order": _order_context(clock.order),
        "due": _local(clock.due_at),
        "note": note,
        # Which limit this is: each notice names its own clock.
        "clock": LIMIT_NAMES[clock.kind],
        "clock_kind": clock.kind,
    }
    from kefu.workorders.notifications import order_link

    payload = order_link(clock.order)
    return Notice(template, context, users, dedupe_key=f"sla:{clock.pk}:{key}", payload=payload)


def _escalation_event(clock: SlaClock, *, step: int, unit, users: list, note: str):
    """The timeline line of one ladder step (action "escalate", by the system).

    Not sent through `order_changed`: that signal announces users' actions, and its owner
    notification would repeat the breach message the owner gets here."""
    order = clock.order
    return WorkOrderEvent(
        order=order,
        action="escalate",
        actor=None,
        from_status=order.status,
        to_status=order.status,
        note=note,
        data={
            "sla": clock.kind,
            "clock": clock.pk,
            "step": step,
            "unit": unit.name if unit is not None else "",
            "unit_id": unit.pk if unit is not None else None,
            "notified": [u.pk for u in users],
        },
    )


def _plan_warning(clock: SlaClock) -> _Step:
    clock.state, clock.next_check_at = ClockState.WARNING, clock.due_at
    notice = _notice("sla_warning", clock, _responsible(clock.order), "warn")
    return _Step(clock, "warned", notice=notice)


def _plan_breach(clock: SlaClock, calendars: Calendars) -> _Step:
    """Step 1 of the ladder: the clock is overdue; the handler and the owner are told."""
    clock.state, clock.breached_at, clock.escalation_step = ClockState.BREACHED, clock.due_at, 1
    clock.next_step_at = _ladder_time(clock, calendars, clock.due_at, clock.escalation_minutes)
    clock.next_check_at = clock.next_step_at
    users = _responsible(clock.order)
    note = _("Time limit exceeded: %(clock)s was due %(due)s; the handler has been notified.") % {
        "clock": ClockKind(clock.kind).label,
        "due": _local(clock.due_at),
    }
    return _Step(
        clock,
        "breached",
        event=_escalation_event(clock, step=1, unit=None, users=users, note=note),
        notice=_notice("sla_breached", clock, users, "1"),
    )


def _plan_escalation(clock: SlaClock, calendars: Calendars, ladder: Ladder) -> _Step:
    """Steps 2 and 3: one rung up from where the order stands each (`Ladder`): the
    supervisors of the handling unit, then of the unit above; after a manual escalation,
    onwards from the unit it was escalated to."""
    step = clock.escalation_step + 1
    order = clock.order
    unit, users = ladder.step_target(order, step, clock.pk)
    last = step >= LADDER_STEPS
    clock.escalation_step = step
    if not last:
        clock.next_step_at = _ladder_time(
            clock, calendars, clock.next_step_at, clock.escalation_minutes
        )
    clock.next_check_at = None if last else clock.next_step_at
    values = {"step": step, "clock": ClockKind(clock.kind).label, "due": _local(clock.due_at)}
    if unit is None:
        log.warning("sla: order %s: no supervisor above its unit to escalate to", clock.order_id)
        note = (
            _(
                "Escalation step %(step)d: %(clock)s overdue since %(due)s; no supervisor was "
                "found above the handling unit."
            )
            % values
        )
    else:
        note = _(
            "Escalation step %(step)d: %(clock)s overdue since %(due)s; the supervisors of "
            "%(unit)s have been notified."
        ) % {**values, "unit": unit.name}
    raised = None
    standing = order.escalated_to
    if unit is not None and (standing is None or unit.depth < standing.depth):
        # Raised one level, never lowered: the order instance is shared by its clocks in
        # this batch, so a second clock reaching the same unit raises nothing more.
        raised = (order.escalation_level + 1, unit)
        order.escalation_level, order.escalated_to = raised
    return _Step(
        clock,
        "escalated",
        event=_escalation_event(clock, step=step, unit=unit, users=users, note=note),
        notice=_notice("sla_escalated", clock, users, str(step), note),
        escalated_to=raised,
    )


def _plan(clock: SlaClock, now: dt.datetime, calendars: Calendars, ladder: Ladder) -> _Step:
    """The one step that is due on `clock` (read under the order's row lock)."""
    if clock.state == ClockState.NO_CALENDAR:  # a clock flagged before provisional times
        missing = _compute_deadlines(clock, calendars, now)
        return _Step(clock, "provisional" if missing is not None else "recomputed")
    if clock.provisional and _compute_deadlines(clock, calendars, now) is None:
        # The year was imported since (and nobody recomputed): the real times decide.
        return _Step(clock, "recomputed")
    if clock.state in (ClockState.RUNNING, ClockState.WARNING) and clock.due_at <= now:
        # Past due: straight to the breach; a warning now would only be noise.
        return _plan_breach(clock, calendars)
    if clock.state == ClockState.RUNNING and clock.warn_at is not None and clock.warn_at <= now:
        return _plan_warning(clock)
    if (
        clock.state == ClockState.BREACHED
        and clock.escalation_step < LADDER_STEPS
        and clock.next_step_at is not None
        and clock.next_step_at <= now
    ):
        return _plan_escalation(clock, calendars, ladder)
    # Nothing due after all (a stale check time): look again when something will be.
    _schedule(clock, now)
    return _Step(clock, "rescheduled")


_MONITOR_FIELDS = (
    "state",
    "due_at",
    "warn_at",
    "problem",
    "breached_at",
    "escalation_step",
    "next_step_at",
    "next_check_at",
    "provisional",
)


def _update_clocks(clocks: list[SlaClock]) -> None:
    """Write the monitor's fields of each clock, where it is still live and counting.

    One parameterised UPDATE run for all rows (executemany: a pipeline on PostgreSQL, a
    C loop on SQLite); Django's bulk_update builds a CASE per row and field in Python,
    which cost seconds for a thousand clocks. A row that no longer matches means someone
    changed it under the monitor's lock: the batch is rolled back, not half-written."""
    fields = [SlaClock._meta.get_field(name) for name in _MONITOR_FIELDS]
    table = connection.ops.quote_name(SlaClock._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    # Table and column names come from the model, never from input.
    sql = (
        f"UPDATE {table} SET {assignments} WHERE id = %s "  # noqa: S608
        "AND stopped_at IS NULL AND paused_at IS NULL"
    )
    rows = [
        [f.get_db_prep_save(getattr(clock, f.attname), connection) for f in fields] + [clock.pk]
        for clock in clocks
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        updated = cursor.rowcount
    if updated != len(clocks):
        raise RuntimeError(f"sla: {len(clocks) - updated} clock(s) changed under the monitor")


def _write(steps: list[_Step]) -> None:
    """All of a batch's changes, set-based: one UPDATE of the clocks (only where they are
    still live and counting — a mismatch aborts the batch), one INSERT of events, one of
    messages, one write of each order that changed (its summary and escalation)."""
    _update_clocks([s.clock for s in steps])
    WorkOrderEvent.objects.bulk_create([s.event for s in steps if s.event is not None])
    notify_many([s.notice for s in steps if s.notice is not None])
    raises: dict[int, tuple[int, OrgUnit]] = {}
    for s in steps:
        order_id = s.clock.order_id
        if s.escalated_to is not None and s.escalated_to[0] > raises.get(order_id, (-1,))[0]:
            raises[order_id] = s.escalated_to
    sync_orders({s.clock.order_id for s in steps}, raises)


def _attach_related(clocks: list[SlaClock]) -> None:
    """Give each clock one shared order instance, and each order its type, people and
    units from one query per kind: a batch's orders share a handful of each, and building
    them once per row (select_related) was a third of the pass."""
    orders = {c.order_id: c.order for c in clocks}
    wanted = {"order_type": set(), "user": set(), "unit": set()}
    for order in orders.values():
        wanted["order_type"].add(order.order_type_id)
        wanted["user"].update(i for i in (order.handler_id, order.owner_id) if i)
        units = (order.handling_unit_id, order.area_unit_id, order.escalated_to_id)
        wanted["unit"].update(i for i in units if i)
    types = WorkOrderType.objects.in_bulk(wanted["order_type"])
    users = get_user_model().objects.in_bulk(wanted["user"])
    units = OrgUnit.objects.in_bulk(wanted["unit"])
    for order in orders.values():
        order.order_type = types[order.order_type_id]
        order.handler = users.get(order.handler_id)
        order.owner = users.get(order.owner_id)
        order.handling_unit = units.get(order.handling_unit_id)
        order.area_unit = units[order.area_unit_id]
        order.escalated_to = units.get(order.escalated_to_id)
    for clock in clocks:
        clock.order = orders[clock.order_id]


@transaction.atomic
def _monitor_batch(
    due: list[tuple[int, int]],
    *,
    now: dt.datetime,
    calendars: Calendars,
    ladder: Ladder,
    counts: Counter,
) -> set[int]:
    """One transaction over up to a batch of due clocks; returns the clocks passed over.

    Locks are taken as a user's action takes them — the order first, then its clocks —
    so the monitor and an action never deadlock. Orders an action holds right now are
    skipped (SKIP LOCKED) and picked up by the next pass. On SQLite the transaction holds
    the database's write lock from its first statement, which serialises the same way.
    """
    order_ids = sorted({order_id for _, order_id in due})
    locked = set(
        WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=order_ids)
        .values_list("pk", flat=True)
    )
    passed_over = {pk for pk, order_id in due if order_id not in locked}
    clocks = list(
        SlaClock.objects.select_for_update(of=("self",))
        .filter(
            pk__in=[pk for pk, order_id in due if order_id in locked],
            next_check_at__lte=now,
            stopped_at=None,
            paused_at=None,
        )
        .select_related("order")
        .order_by("pk")
    )
    _attach_related(clocks)
    ladder.load_history({c.order_id for c in clocks})
    steps = []
    with translation.override(settings.LANGUAGE_CODE):  # timeline notes in the site language
        for clock in clocks:
            try:
                steps.append(_plan(clock, now, calendars, ladder))
            except Exception:
                # One clock that cannot be planned (a bug, bad data) must not hold up every
                # breach behind it: logged with its traceback, tried again in ten minutes.
                log.exception("sla: clock %s of order %s failed", clock.pk, clock.order_id)
                clock.refresh_from_db()
                clock.next_check_at = now + RETRY_FAILED
                steps.append(_Step(clock, "failed"))
    if steps:
        _write(steps)
    counts.update(s.outcome for s in steps)
    return passed_over


def sla_monitor_pass(
    *, now: dt.datetime | None = None, batch: int = MONITOR_BATCH, limit: int = MONITOR_LIMIT
) -> dict[str, int]:
    """Warn, mark breaches and escalate every clock that is due; returns counts by outcome.

    Touches only due rows (`next_check_at <= now`, a partial index). Safe to run twice
    and side by side: a step already taken is not due any more. A clock that fell behind
    (monitor stopped for hours) catches up step by step within one pass, each step with
    its own event and message.
    """
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    calendars, ladder = Calendars(), Ladder()
    passed_over: set[int] = set()
    seen = 0
    while seen < limit:
        due = list(
            SlaClock.objects.filter(next_check_at__lte=now)
            .exclude(pk__in=passed_over)
            .order_by("next_check_at", "pk")
            .values_list("pk", "order_id")[:batch]
        )
        if not due:
            break
        passed_over |= _monitor_batch(
            due, now=now, calendars=calendars, ladder=ladder, counts=counts
        )
        seen += len(due)
    if counts["provisional"]:
        log.error(
            "sla: %s clock(s) still have provisional deadlines: a calendar year is missing",
            counts["provisional"],
        )
    counts["passed_over"] = len(passed_over)
    return {k: v for k, v in counts.items() if v}


def sla_calendar_check(*, now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """事前预警 for the calendar itself: while this year, or from 1 November next year, has
    no holiday data on a calendar an active policy uses, tell administrators and
    supervisors — once per calendar and year, however often it runs. Also recomputes
    provisional clocks whose year has been entered since. Returns the missing
    (calendar, year) pairs."""
    now = now or timezone.now()
    missing = missing_calendar_years(now=now)
    for name, year in missing:
        with transaction.atomic():
            _alert_missing_year(name, year)
    sla_recompute_provisional(now=now)
    return missing


def sla_recompute_provisional(*, now: dt.datetime | None = None) -> int:
    """Recompute every live provisional clock (暂定) on the current calendars; returns how
    many now have their real due time. The calendar import calls it after a year is
    entered; the daily calendar check calls it too (a year entered through the admin)."""
    now = now or timezone.now()
    order_ids = set(
        SlaClock.objects.filter(provisional=True, stopped_at=None).values_list(
            "order_id", flat=True
        )
    )
    if not order_ids:
        return 0
    calendars = Calendars()
    fixed = 0
    with transaction.atomic():
        list(WorkOrder.objects.select_for_update(of=("self",)).filter(pk__in=order_ids))
        clocks = SlaClock.objects.select_for_update(of=("self",)).filter(
            order_id__in=order_ids, provisional=True, stopped_at=None
        )
        for clock in clocks:
            still_missing = _compute_deadlines(clock, calendars, now)
            clock.save()
            fixed += still_missing is None
        sync_orders(order_ids)
    return fixed


# --- policies -----------------------------------------------------------------------------

POLICY_FIELDS = (
    "code",
    "name",
    "priority",
    "order_type",
    "business_line",
    "channel",
    "tiers",
    "first_contact_minutes",
    "first_contact_calendar",
    "resolution_minutes",
    "resolution_calendar",
    "reply_minutes",
    "reply_calendar",
    "warn_ratio",
    "escalation_minutes",
    "is_active",
    "note",
)


def _require_policy_admin(actor) -> None:
    if actor is None or not actor.has_perm("sla.change_slapolicy"):
        raise PermissionDenied()


def _save_policy(policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    unknown = sorted(set(data) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationFailed.for_fields({f: [_("Unknown field.")] for f in unknown})
    for field, value in data.items():
        setattr(policy, field, value)
    try:
        policy.full_clean()
    except ValidationError as exc:
        raise ValidationFailed.for_fields(
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
        ) from None
    policy.save()
    return policy


@transaction.atomic
def sla_policy_create(*, actor, data: dict[str, Any]) -> SlaPolicy:
    """A new policy; it applies to orders taken in from now on."""
    _require_policy_admin(actor)
    return _save_policy(SlaPolicy(), data)


@transaction.atomic
def sla_policy_update(*, actor, policy: SlaPolicy, data: dict[str, Any]) -> SlaPolicy:
    """Change a policy. Clocks already running keep the budget they started with: a time
    limit promised to a customer does not move because the rules changed."""
    _require_policy_admin(actor)
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    return _save_policy(policy, data)


# --- a corrected order --------------------------------------------------------------------


def _phase_kinds(order: WorkOrder) -> tuple[str, ...]:
    """The clocks an order in its current phase has running (if its policy has them)."""
    if order.status in ("closed", "cancelled", "replied") or order.merged_into_id:
        return ()
    if order.resolved_at is not None:
        return (ClockKind.REPLY,)
    if order.first_contact_at is None:
        return (ClockKind.FIRST_CONTACT, ClockKind.RESOLUTION)
    return (ClockKind.RESOLUTION,)


def _rebudget(clock: SlaClock, policy: SlaPolicy, calendars: Calendars, now: dt.datetime):
    """The clock under `policy`: same start and pauses, the new budget and calendar. A
    deadline moved past now takes back a warning or breach not yet deserved (the monitor
    warns, breaches and escalates again when the new times come); one moved earlier is
    left for the monitor's next pass, which warns or breaches as for any other clock."""
    clock.policy = policy
    clock.calendar = policy.calendar_for(clock.kind)
    clock.budget_minutes = policy.minutes_for(clock.kind)
    clock.warn_ratio = policy.warn_ratio
    clock.escalation_minutes = policy.escalation_minutes
    # A missing calendar year still gives (provisional) times, so the same rules apply.
    problem = _compute_deadlines(clock, calendars, now)
    if clock.state == ClockState.BREACHED and clock.due_at > now:
        clock.state, clock.breached_at = ClockState.RUNNING, None
        clock.escalation_step, clock.next_step_at = 0, None
    if clock.state == ClockState.WARNING and clock.warn_at > now:
        clock.state = ClockState.RUNNING
    _schedule(clock, now)
    return problem


def clocks_on_correction(*, order: WorkOrder, now: dt.datetime | None = None) -> None:
    """After an order's type, business line or customer (its tier) was corrected, its live
    clocks follow the time-limit policy that fits it now: re-budgeted from their own
    start; a kind the new policy lacks is cancelled; a kind it adds that the order's
    phase needs starts from intake (or, for the reply, from the resolution). Updates
    `order.due_at` / `order.sla_state`. Called by `work_order_correct` in its transaction,
    holding the order's row lock."""
    now = now or timezone.now()
    policy = policy_match(order)
    if policy is None:
        log.warning("sla: no active time-limit policy fits corrected order %s", order.number)
        return
    calendars = Calendars()
    clocks = list(SlaClock.objects.filter(order=order))
    live = [c for c in clocks if c.stopped_at is None]
    for clock in live:
        if not policy.minutes_for(clock.kind):
            clock.state, clock.stopped_at, clock.next_check_at = ClockState.CANCELLED, now, None
            if clock.paused_at is not None:
                clock.pauses = [*clock.pauses, [clock.paused_at.isoformat(), now.isoformat()]]
                clock.paused_at = None
        elif (problem := _rebudget(clock, policy, calendars, now)) is not None:
            _report_missing_calendar(order, clock, problem)
        clock.save()
    had = {c.kind for c in clocks}
    suspended = order.status == "suspended"
    wanted = [k for k in _phase_kinds(order) if k not in had and not suspended]
    started = order.resolved_at if wanted == [ClockKind.REPLY] else order.created_at
    # Started in the past, a new clock is due for a check at once if its warning time has
    # passed: the monitor's next pass warns or breaches it.
    new = _start(order, wanted, started, calendars) if wanted else []
    current = [c for c in live if c.stopped_at is None] + new
    summary = order_summary(current)
    if summary != (order.due_at, order.sla_state, order.due_provisional):
        due_at, sla_state, provisional = summary
        WorkOrder.objects.filter(pk=order.pk).update(
            due_at=due_at, sla_state=sla_state, due_provisional=provisional
        )
        order.due_at, order.sla_state, order.due_provisional = summary
