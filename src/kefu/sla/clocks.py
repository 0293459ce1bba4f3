"""Time limits 时限 of one order: clocks started, stopped, paused and resumed by the
work-order actions (called by `kefu.workorders.pipeline` in the action's own transaction:
an action and its clocks commit or roll back together), re-budgeted on a correction, and
recomputed when a missing calendar year is imported.

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
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.calendars.business_time import CalendarYearMissing
from kefu.notify.services import TemplateMissing, notify
from kefu.org.models import OrgUnit
from kefu.sla.clock_math import deadline, shift_past_pause
from kefu.sla.models import (
    LADDER_STEPS,
    ClockKind,
    ClockState,
    SlaClock,
    SlaPolicy,
)
from kefu.sla.selectors import (
    Calendars,
    calendar_alert_recipients,
    policy_match,
)
from kefu.workorders.models import SlaState, WorkOrder, WorkOrderEvent
from kefu.workorders.sync import order_summary_set, order_system_note, orders_sync
from kefu.workorders.transitions import Action

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)

RETRY_NO_CALENDAR = dt.timedelta(hours=1)  # a missing calendar year is tried again hourly
CALENDAR_MISSING_TEMPLATE = "sla_calendar_missing"


_ALL_KINDS = tuple(ClockKind.values)


def local_time(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def order_context(order: WorkOrder | None) -> dict[str, Any]:
    if order is None:
        return {}
    return {"number": order.number, "title": order.title, "type_name": order.order_type.name}


def _pause_pairs(clock: SlaClock) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in clock.pauses]


# --- scheduling one clock -----------------------------------------------------------------


def schedule(clock: SlaClock, now: dt.datetime) -> None:
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


def compute_deadlines(
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
    schedule(clock, now)
    return missing


# --- loud errors ---------------------------------------------------------------------------


def alert_missing_year(calendar: str, year: int, order: WorkOrder | None = None) -> None:
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
            context={"calendar": calendar, "year": year, "order": order_context(order)},
            users=calendar_alert_recipients(),
            dedupe_key=f"sla:calendar:{calendar}:{year}",
        )
    except TemplateMissing:
        # The seed creates the template; if an administrator deleted it, the log line
        # above is the alert. Taking the order in matters more than this message.
        log.error("sla: template %s is missing; no notification sent", CALENDAR_MISSING_TEMPLATE)


def _report_missing_calendar(
    order: WorkOrder, clock: SlaClock, exc: CalendarYearMissing
) -> WorkOrderEvent:
    """The timeline says why the time limit is provisional; administrators are told."""
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
            "due": local_time(clock.due_at),
        }
    event = order_system_note(
        order,
        note=note,
        data={
            "sla": clock.kind,
            "problem": "calendar_missing",
            "calendar": exc.calendar,
            "year": exc.year,
            "provisional_due": clock.due_at.isoformat() if clock.due_at else None,
        },
    )
    alert_missing_year(exc.calendar, exc.year, order)
    return event


# --- reacting to work-order actions --------------------------------------------------------


class Prepared(NamedTuple):
    """Clocks computed but not saved, and those whose calendar lacks a year."""

    clocks: list[SlaClock]
    missing: list[tuple[SlaClock, CalendarYearMissing]]


def _prepare(
    order: WorkOrder, kinds: Iterable[str], at: dt.datetime, calendars: Calendars
) -> Prepared:
    """The policy's clocks of `kinds`, started at `at`, with their deadlines (unsaved), and
    those whose calendar lacks a year."""
    policy = policy_match(order)
    if policy is None:
        log.warning("sla: no active time-limit policy fits order %s; no clocks", order.number)
        return Prepared([], [])
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
        if (problem := compute_deadlines(clock, calendars, at)) is not None:
            missing.append((clock, problem))
        clocks.append(clock)
    return Prepared(clocks, missing)


def clocks_save(*, order: WorkOrder, prepared: Prepared) -> list[WorkOrderEvent]:
    """Save prepared clocks (one INSERT); returns the timeline notes of those counted on
    a provisional calendar."""
    SlaClock.objects.bulk_create(prepared.clocks)
    return [_report_missing_calendar(order, clock, problem) for clock, problem in prepared.missing]


def _start(
    order: WorkOrder, kinds: Iterable[str], at: dt.datetime, calendars: Calendars
) -> tuple[list[SlaClock], list[WorkOrderEvent]]:
    """Start the policy's clocks of `kinds`: the clocks (saved) and their notes."""
    prepared = _prepare(order, kinds, at, calendars)
    return prepared.clocks, clocks_save(order=order, prepared=prepared)


_INTAKE_KINDS = (ClockKind.FIRST_CONTACT, ClockKind.RESOLUTION)


def clocks_for_intake(*, order: WorkOrder) -> Prepared:
    """A new order's clocks, computed before it is written: their summary goes into the
    order's INSERT (`order_summary`), the clocks are saved after it (`clocks_save`)."""
    return _prepare(order, _INTAKE_KINDS, timezone.now(), Calendars())


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
                compute_deadlines(clock, calendars, at)
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


def _resume(order: WorkOrder, at: dt.datetime, calendars: Calendars) -> list[WorkOrderEvent]:
    """Carry the working time each clock had left at the pause over to now."""
    notes = []
    paused = SlaClock.objects.filter(order=order, stopped_at=None, paused_at__isnull=False)
    for clock in paused:
        paused_at = clock.paused_at
        clock.pauses = [*clock.pauses, [paused_at.isoformat(), at.isoformat()]]
        clock.paused_at = None
        missing = None
        if clock.due_at is None:
            missing = compute_deadlines(clock, calendars, at)
        else:
            try:
                calendar = calendars(clock.calendar)
                clock.due_at = shift_past_pause(calendar, clock.due_at, paused_at, at)
                if clock.warn_at is not None:
                    clock.warn_at = shift_past_pause(calendar, clock.warn_at, paused_at, at)
            except CalendarYearMissing:
                missing = compute_deadlines(clock, calendars, at)
        if clock.next_step_at is not None and clock.next_step_at > paused_at:
            try:
                calendar = calendars(clock.calendar)
                clock.next_step_at = shift_past_pause(calendar, clock.next_step_at, paused_at, at)
            except CalendarYearMissing:
                clock.next_step_at += at - paused_at
        schedule(clock, at)
        clock.save()
        if missing is not None:
            notes.append(_report_missing_calendar(order, clock, missing))
    return notes


# Each reaction returns the timeline notes it wrote (a clock on a provisional calendar).


def _on_contact(order, event, calendars):
    _stop(order, (ClockKind.FIRST_CONTACT,), event.created_at, calendars)
    return []


def _on_resolve(order, event, calendars):
    # Resolving records first contact too (an order resolved on the phone was contacted).
    kinds = (ClockKind.FIRST_CONTACT, ClockKind.RESOLUTION)
    _stop(order, kinds, event.created_at, calendars)
    return _start(order, (ClockKind.REPLY,), event.created_at, calendars)[1]


def _on_reply(order, event, calendars):
    _stop(order, (ClockKind.REPLY,), event.created_at, calendars)
    return []


def _on_close(order, event, calendars):
    _stop(order, _ALL_KINDS, event.created_at, calendars)
    return []


def _on_cancel(order, event, calendars):
    _stop(order, _ALL_KINDS, event.created_at, calendars, cancelled=True)
    return []


def _on_suspend(order, event, calendars):
    _pause(order, event.created_at)
    return []


def _on_resume(order, event, calendars):
    return _resume(order, event.created_at, calendars)


def _on_reopen(order, event, calendars):
    # The customer is not satisfied: the reply is moot, and the order gets a fresh
    # resolution time limit (the first one stays in the history as met or late).
    _stop(order, (ClockKind.REPLY,), event.created_at, calendars, cancelled=True)
    return _start(order, (ClockKind.RESOLUTION,), event.created_at, calendars)[1]


_REACTIONS: dict[str, Callable] = {
    Action.CONTACT: _on_contact,
    Action.RESOLVE: _on_resolve,
    Action.REPLY: _on_reply,
    Action.CLOSE: _on_close,
    Action.CANCEL: _on_cancel,
    Action.MERGE: _on_cancel,
    Action.SUSPEND: _on_suspend,
    Action.RESUME: _on_resume,
    Action.REOPEN: _on_reopen,
}


def clocks_on_order_event(*, order: WorkOrder, event: WorkOrderEvent) -> list[WorkOrderEvent]:
    """Start, stop, pause or resume the order's clocks after one work-order action;
    returns the timeline notes this wrote.

    Runs inside the action's transaction, which holds the order's row lock; the monitor
    takes the same lock before touching a clock, so the two never interleave. Keeps
    `order.due_at` / `order.sla_state` (in the database and on `order`) in step.
    """
    reaction = _REACTIONS.get(event.action)
    if reaction is None:
        return []
    notes = reaction(order, event, Calendars())
    live = SlaClock.objects.filter(order=order, stopped_at=None)
    order_summary_set(order, order_summary(live))
    return notes


_WORST_FIRST = (
    (ClockState.BREACHED, SlaState.BREACHED),
    (ClockState.WARNING, SlaState.WARNING),
    (ClockState.NO_CALENDAR, SlaState.ERROR),
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
    """Bring the orders' due time and time-limit state in line with their live clocks and
    apply the escalations in `raises` (order id → (level, unit)); returns how many orders
    changed. One read of the clocks; the orders are written by the work-order app
    (`orders_sync`). The caller holds the orders' row locks."""
    ids = list(order_ids)
    live: dict[int, list[_LiveClock]] = {pk: [] for pk in ids}
    clocks = SlaClock.objects.filter(order_id__in=ids, stopped_at=None)
    fields = ("order_id", "due_at", "paused_at", "state", "provisional")
    for order_id, *values in clocks.values_list(*fields):
        live[order_id].append(_LiveClock(*values))
    return orders_sync({pk: order_summary(c) for pk, c in live.items()}, raises)


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
            still_missing = compute_deadlines(clock, calendars, now)
            clock.save()
            fixed += still_missing is None
        sync_orders(order_ids)
    return fixed


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
    problem = compute_deadlines(clock, calendars, now)
    if clock.state == ClockState.BREACHED and clock.due_at > now:
        clock.state, clock.breached_at = ClockState.RUNNING, None
        clock.escalation_step, clock.next_step_at = 0, None
    if clock.state == ClockState.WARNING and clock.warn_at > now:
        clock.state = ClockState.RUNNING
    schedule(clock, now)
    return problem


def clocks_on_correction(
    *, order: WorkOrder, now: dt.datetime | None = None
) -> list[WorkOrderEvent]:
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
    notes = []
    for clock in live:
        if not policy.minutes_for(clock.kind):
            clock.state, clock.stopped_at, clock.next_check_at = ClockState.CANCELLED, now, None
            if clock.paused_at is not None:
                clock.pauses = [*clock.pauses, [clock.paused_at.isoformat(), now.isoformat()]]
                clock.paused_at = None
        elif (problem := _rebudget(clock, policy, calendars, now)) is not None:
            notes.append(_report_missing_calendar(order, clock, problem))
        clock.save()
    had = {c.kind for c in clocks}
    suspended = order.status == "suspended"
    wanted = [k for k in _phase_kinds(order) if k not in had and not suspended]
    started = order.resolved_at if wanted == [ClockKind.REPLY] else order.created_at
    # Started in the past, a new clock is due for a check at once if its warning time has
    # passed: the monitor's next pass warns or breaches it.
    new, started_notes = _start(order, wanted, started, calendars) if wanted else ([], [])
    current = [c for c in live if c.stopped_at is None] + new
    order_summary_set(order, order_summary(current))
    return notes + started_notes
