"""The time-limit monitor: warns (事前预警), marks breaches (超时) and escalates.

The monitor is idempotent and exactly-once per step. It works in batches: the due clocks'
orders are locked (SKIP LOCKED: an order a user is acting on waits for the next pass),
the clocks re-read under that lock, and each clock's one due step (warning, breach, each
escalation) is written — clock UPDATE, timeline events, outbox rows — in one transaction.
A step is due only while the clock's state says so, so a worker killed mid-batch rolls
the batch back and the next pass does those steps again, once; a second monitor finds
them done. Messages carry a dedupe key per clock and step as a second guard.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.calendars.business_time import CalendarYearMissing, add_business_minutes
from kefu.org.models import OrgUnit
from kefu.sla.clocks import (
    alert_missing_year,
    compute_deadlines,
    local_time,
    order_context,
    schedule,
    sla_recompute_provisional,
    sync_orders,
)
from kefu.sla.models import (
    LADDER_STEPS,
    LIMIT_NAMES,
    ClockKind,
    ClockState,
    SlaClock,
)
from kefu.sla.outbox import Notice, notify_many
from kefu.sla.selectors import (
    Calendars,
    Ladder,
    missing_calendar_years,
)
from kefu.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderType
from kefu.workorders.sync import events_append
from kefu.workorders.transitions import Action

log = logging.getLogger(__name__)

log = logging.getLogger(__name__)

RETRY_FAILED = dt.timedelta(minutes=10)  # a clock whose step raised is tried again
MONITOR_BATCH = 200  # clocks per transaction
MONITOR_LIMIT = 50_000  # clock steps per pass; the next pass (a minute later) continues


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
        "order": order_context(clock.order),
        "due": local_time(clock.due_at),
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

    Not passed through the pipeline's notifications: those announce users' actions, and
    the owner's notification would repeat the breach message the owner gets here."""
    order = clock.order
    return WorkOrderEvent(
        order=order,
        action=Action.ESCALATE,
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
        "due": local_time(clock.due_at),
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
    values = {"step": step, "clock": ClockKind(clock.kind).label, "due": local_time(clock.due_at)}
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
        missing = compute_deadlines(clock, calendars, now)
        return _Step(clock, "provisional" if missing is not None else "recomputed")
    if clock.provisional and compute_deadlines(clock, calendars, now) is None:
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
    schedule(clock, now)
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
    events_append(s.event for s in steps if s.event is not None)
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
            alert_missing_year(name, year)
    sla_recompute_provisional(now=now)
    return missing
