"""Reads of time limits: which policy fits an order, an order's clocks, who is escalated to.

`clocks_for` and `countdown` take an order the caller has already found through the
work-order selectors (`work_order_visible`), so the viewer's data scope is applied there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.calendars.business_time import BusinessCalendar
from kefu.calendars.selectors import business_calendar
from kefu.core.refcache import process_cached
from kefu.org.models import OrgUnit
from kefu.sla.models import ClockKind, ClockState, SlaClock, SlaPolicy
from kefu.workorders.models import WorkOrder


@process_cached(models=(SlaPolicy,))
def active_policies() -> list[SlaPolicy]:
    """The active policies in matching order (per process: every order intake reads them)."""
    return list(SlaPolicy.objects.filter(is_active=True).order_by("priority", "id"))


def policy_fits(policy: SlaPolicy, order: WorkOrder) -> bool:
    return (
        policy.order_type_id in (None, order.order_type_id)
        and policy.business_line_id in (None, order.business_line_id)
        and policy.channel in ("", order.channel)
        and (not policy.tiers or order.customer_tier in policy.tiers)
    )


def policy_match(order: WorkOrder) -> SlaPolicy | None:
    """The first active policy (by priority) whose criteria all fit the order."""
    return next((p for p in active_policies() if policy_fits(p, order)), None)


def policies_list() -> QuerySet[SlaPolicy]:
    """Every policy, in matching order. Policies are configuration, not personal data: any
    signed-in user may read them (an agent promising a customer a time needs them)."""
    return SlaPolicy.objects.select_related("order_type", "business_line").order_by(
        "priority", "id"
    )


def clocks_for(order: WorkOrder) -> QuerySet[SlaClock]:
    """All clocks of an order, live and stopped, oldest first (a reopened order has two
    resolution clocks: the history shows both)."""
    return SlaClock.objects.filter(order=order).order_by("id")


def countdown(order: WorkOrder, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The order's live clocks for a countdown display: due time and seconds left.

    `remaining_seconds` is wall time until the due time, negative once overdue; a paused
    clock (suspended order) shows `paused` and no remaining time, since its due time
    moves when the order resumes.
    """
    now = now or timezone.now()
    out = []
    for clock in clocks_for(order).filter(stopped_at__isnull=True):
        paused = clock.paused_at is not None
        remaining = None
        if clock.due_at is not None and not paused:
            remaining = int((clock.due_at - now).total_seconds())
        out.append(
            _clock_row(clock, paused=paused, remaining_seconds=remaining)
            | {"provisional": clock.provisional}
        )
    return out


def clocks_finished(order: WorkOrder) -> list[dict[str, Any]]:
    """The order's clocks that ended met (按时完成) or late (超时完成), shaped like
    `countdown`'s rows (no time left; `stopped_at` when they ended): they stay on the
    order page beside the live ones."""
    out = []
    finished = clocks_for(order).filter(
        stopped_at__isnull=False, state__in=(ClockState.MET, ClockState.LATE)
    )
    for clock in finished:
        out.append(
            _clock_row(clock, paused=False, remaining_seconds=None)
            | {"stopped_at": clock.stopped_at}
        )
    return out


class Calendars:
    """Business calendars by name, read once per unit of work (a hook call, a monitor pass):
    building cn-standard reads the admin's table and 23 years of seed data."""

    def __init__(self) -> None:
        self._cache: dict[str, BusinessCalendar] = {}

    def __call__(self, name: str) -> BusinessCalendar:
        if name not in self._cache:
            self._cache[name] = business_calendar(name)
        return self._cache[name]


def _users_with_perm(perm: str) -> Q:
    app_label, codename = perm.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return (
        Q(role_assignments__role__permissions__in=permission)
        | Q(user_permissions__in=permission)
        | Q(is_superuser=True)
    )


def users_holding(perm: str) -> QuerySet:
    """Active users holding `perm` through a role, directly, or as superusers."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(_users_with_perm(perm))
        .distinct()
        .order_by("pk")
    )


def calendar_alert_recipients() -> list:
    """Who hears of a missing calendar year: the administrators who can enter it and the
    supervisors whose time limits it makes provisional."""
    people = users_holding("calendars.add_calendarday") | users_holding(
        "workorders.supervise_workorder"
    )
    return list(people.distinct().order_by("pk"))


# Next year's holidays are announced by the State Council around November; from this day
# on a missing next year is reported (banner, notification, `kefu check`).
NEXT_YEAR_FROM = (11, 1)  # 1 November


def missing_calendar_years(*, now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """(calendar, year) pairs without holiday data that time limits need: this year, and
    from 1 November next year, on every working-hours calendar an active policy uses."""
    today = timezone.localdate(now or timezone.now())
    years = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_FROM:
        years.append(today.year + 1)
    names = {
        policy.calendar_for(kind)
        for policy in active_policies()
        for kind in ClockKind.values
        if policy.minutes_for(kind)
    }
    missing = []
    for name in sorted(names):
        calendar = business_calendar(name)
        if not calendar.always_open:
            missing.extend((name, year) for year in years if year not in calendar.years)
    return missing


def unit_chain(unit: OrgUnit) -> list[int]:
    """The unit's id and its ancestors' ids, nearest first (read from the materialised path)."""
    ids = [int(part) for part in unit.path.split("/") if part] or [unit.pk]
    return list(reversed(ids))


class Ladder:
    """Who each escalation step reaches (超时升级), cached for one monitor pass.

    Each step goes one rung above where the order stands for that clock: the higher of
    the unit the clock's previous step reached and the unit the order was escalated to by
    hand (升级). With neither, step 2 reaches the supervisors (holders of
    workorders.supervise_workorder) sitting in the handling unit — or, where that unit
    has none, in the nearest unit above that has; each later step the supervisors of the
    nearest unit above. A team without its own supervisor thus escalates to its county,
    then to the prefecture; an order a handler escalated to the county by hand goes on to
    the prefecture, and the county's supervisors are not told again.
    """

    def __init__(self) -> None:
        self._supervisors: dict[int, list] = {}
        self._units: dict[int, OrgUnit] = {}
        self._reached: dict[int, int] = {}  # clock id → unit its last step reached
        self._by_hand: dict[int, int] = {}  # order id → unit of its last manual escalation

    def _load(self, unit_ids: list[int]) -> None:
        missing = [u for u in unit_ids if u not in self._supervisors]
        if not missing:
            return
        for unit_id in missing:
            self._supervisors[unit_id] = []
        self._units.update(OrgUnit.objects.in_bulk(missing))
        users = (
            users_holding("workorders.supervise_workorder")
            .filter(staff__org_unit__in=missing)
            .select_related("staff")
        )
        for user in users:
            self._supervisors[user.staff.org_unit_id].append(user)

    def load_history(self, order_ids) -> None:
        """Where the orders' escalations stand, from their escalation events (one query;
        the caller holds the orders' row locks, so none is added meanwhile)."""
        from kefu.workorders.models import WorkOrderEvent

        ids = list(order_ids)
        for order_id in ids:
            self._by_hand.pop(order_id, None)
        rows = (
            WorkOrderEvent.objects.filter(order_id__in=ids, action="escalate")
            .order_by("id")
            .values_list("order_id", "data")
        )
        for order_id, data in rows:
            unit_id = (data or {}).get("unit_id")
            if not unit_id:
                continue
            if "clock" in data:
                self._reached[data["clock"]] = unit_id
            else:
                self._by_hand[order_id] = unit_id
        wanted = {*self._reached.values(), *self._by_hand.values()} - set(self._units)
        self._units.update(OrgUnit.objects.in_bulk(list(wanted)))

    def step_target(
        self, order: WorkOrder, step: int, clock_id: int | None = None
    ) -> tuple[OrgUnit | None, list]:
        """(unit, supervisors) for ladder step 2 or 3; (None, []) when nobody is above."""
        marks = (self._reached.get(clock_id), self._by_hand.get(order.pk))
        stands = [self._units[u] for u in marks if u in self._units]
        index = 0
        if stands:
            chain = unit_chain(min(stands, key=lambda u: u.depth))[1:]
        else:
            chain = unit_chain(order.handling_unit or order.area_unit)
            if clock_id not in self._reached:
                # A step recorded before steps named their unit: count rungs instead.
                index = step - 2
        self._load(chain)
        staffed = [u for u in chain if self._supervisors[u]]
        if index >= len(staffed):
            return None, []
        unit_id = staffed[index]
        return self._units.get(unit_id), self._supervisors[unit_id]


def _clock_row(clock: SlaClock, *, paused: bool, remaining_seconds: int | None) -> dict[str, Any]:
    """One clock as the order page and the API show it."""
    return {
        "id": clock.pk,
        "kind": clock.kind,
        "kind_display": str(ClockKind(clock.kind).label),
        "state": clock.state,
        "state_display": str(ClockState(clock.state).label),
        "due_at": clock.due_at,
        "warn_at": clock.warn_at,
        "paused": paused,
        "remaining_seconds": remaining_seconds,
    }
