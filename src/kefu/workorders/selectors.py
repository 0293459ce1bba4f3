"""Reads of work orders, always narrowed to the viewer's data scope.

An order is visible to a viewer whose scope covers its area, its handling unit, its
accepting unit or the unit it was escalated to, to a unit invited to co-handle it, and
to its owner of record and its handler.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from kefu.core.errors import ValidationFailed
from kefu.core.refcache import process_cached
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.org.selectors import org_units_visible
from kefu.workorders.capacity import actor_unit, capacities
from kefu.workorders.models import (
    OPEN_STATUSES,
    WAITING_DISPATCH_STATUSES,
    BusinessLine,
    CoHandling,
    WorkOrder,
    WorkOrderType,
)
from kefu.workorders.transitions import allowed_actions

_SCOPED_UNITS = ("area_unit", "handling_unit", "accepting_unit", "escalated_to")


@process_cached(models=(WorkOrderType,))
def active_types() -> dict[str, WorkOrderType]:
    """Active work-order types by code (per process: every intake looks one up)."""
    return {t.code: t for t in WorkOrderType.objects.filter(is_active=True)}


@process_cached(models=(BusinessLine,))
def active_business_lines() -> dict[str, BusinessLine]:
    """Active business lines by code."""
    return {line.code: line for line in BusinessLine.objects.filter(is_active=True)}


def visibility_q(viewer) -> Q:
    if not viewer.has_perm("workorders.view_workorder"):
        return Q(owner=viewer.pk) | Q(handler=viewer.pk)
    scope = scope_for(viewer)
    if scope.sees_all:
        return Q()
    q = Q(owner=viewer.pk) | Q(handler=viewer.pk)
    for field in _SCOPED_UNITS:
        q |= scope.q(unit_field=field, owner_field=None, user_id=viewer.pk)
    co = CoHandling.objects.filter(scope.q(unit_field="unit", owner_field=None, user_id=viewer.pk))
    return q | Q(pk__in=co.values("order_id"))


def work_orders_visible(viewer) -> QuerySet[WorkOrder]:
    if not viewer or not viewer.is_authenticated:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(visibility_q(viewer))


def work_order_visible(*, viewer, key) -> WorkOrder | None:
    """One order by id or number, or None when it does not exist or is out of scope."""
    text = str(getattr(key, "pk", key) or "").strip()
    # Ids and numbers are digits; anything else (a NUL byte, which PostgreSQL refuses to
    # compare) names no order and asks nothing.
    if not (text.isascii() and text.isdigit()) or len(text) > 32:
        return None
    visible = work_orders_visible(viewer) if viewer is not None else WorkOrder.objects.all()
    lookup = Q(number=text)
    if int(text) <= 2**63 - 1:
        lookup |= Q(pk=int(text))
    return visible.filter(lookup).select_related(*_SCOPED_UNITS).first()


QUEUES = ("mine", "accepted_by_me", "unit", "dispatch", "warning", "overdue", "open", "all")


def _queue_q(viewer, queue: str) -> Q:
    unit = actor_unit(viewer)
    open_q = Q(status__in=OPEN_STATUSES)
    # Someone without a staff unit (a bare superuser) has no unit queue.
    in_my_unit = Q(handling_unit=unit.pk) if unit is not None else Q(pk__in=[])
    return {
        # 我的待办: assigned to me, or in my unit's queue without a person yet.
        "mine": open_q & (Q(handler=viewer.pk) | (in_my_unit & Q(handler__isnull=True))),
        # 我受理的 (首问负责): everything I took in, until closure and after.
        "accepted_by_me": Q(owner=viewer.pk),
        "unit": open_q & in_my_unit,
        "dispatch": Q(status__in=WAITING_DISPATCH_STATUSES),
        "warning": open_q & Q(sla_state="warning"),
        "overdue": open_q & Q(sla_state="breached"),
        "open": open_q,
        "all": Q(),
    }[queue]


def _date(filters: dict, field: str):
    value = filters.get(field)
    if not value:
        return None
    day = parse_date(str(value)) if len(str(value)) == 10 else None
    if day is None:
        raise ValidationFailed.for_fields({field: [_("Enter a date as YYYY-MM-DD.")]})
    return day


# Queues of open orders a supervisor works down: the most urgent first (see `ORDERINGS`).
DUE_QUEUES = frozenset({"mine", "unit", "dispatch", "warning", "overdue", "open"})

# `ordering` values (column sort; "-" reverses). Each ends in the id, so that a page
# boundary never moves between requests.
#   due_at      due time, earliest first: overdue orders (due time passed) on top, orders
#               without a running due time (suspended, calendar missing, done) last; the
#               default of the queues in DUE_QUEUES, served by the wo_open_due and
#               wo_open_sla_due indexes.
#   created_at  accept order (the id, which follows the accept time); "-created_at", newest
#               first, is the default of "accepted_by_me" and "all".
#   number      the order number.
#   status      the state, then newest first within one.
ORDERINGS = ("due_at", "created_at", "number", "status")


def order_by_for(queue: str, ordering: str | None = None) -> tuple:
    """The ORDER BY of a queue for an `ordering` value (None or "": the queue's default)."""
    if not ordering:
        ordering = "due_at" if queue in DUE_QUEUES else "-created_at"
    descending = ordering.startswith("-")
    name = ordering[1:] if descending else ordering
    if name not in ORDERINGS:
        raise ValidationFailed.for_fields(
            {"ordering": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ORDERINGS)}]}
        )
    tie = "-id" if descending else "id"
    if name == "due_at":
        # Ascending: no due time last; descending is its exact reverse (one index, read
        # backwards).
        due = F("due_at").desc(nulls_first=True) if descending else F("due_at").asc(nulls_last=True)
        return (due, tie)
    if name == "created_at":
        return (tie,)
    if name == "number":
        return ("-number" if descending else "number",)
    return ("-status" if descending else "status", "-id")


def work_order_list(
    *, viewer, queue: str = "all", filters: dict | None = None, ordering: str | None = None
):
    """Visible orders in a queue, narrowed by filters, in `ordering` (see ORDERINGS; by
    default the open-order queues most urgent first, the others newest first).

    Filters: status, type (code), business_line (code), channel, customer (id),
    number, complaint (1), handling_unit (id), area (unit id, subtree), created_from,
    created_to (dates).
    """
    filters = filters or {}
    if queue not in QUEUES:
        raise ValidationFailed.for_fields({"queue": [_("Choose a valid option.")]})
    qs = work_orders_visible(viewer).filter(_queue_q(viewer, queue))
    simple = {
        "status": "status",
        "type": "order_type__code",
        "business_line": "business_line__code",
        "channel": "channel",
        "number": "number",
    }
    for key, field in simple.items():
        if filters.get(key):
            qs = qs.filter(**{field: filters[key]})
    for key in ("customer", "handling_unit"):
        if filters.get(key):
            value = str(filters[key])
            if not value.isdigit():
                raise ValidationFailed.for_fields({key: [_("Choose a valid option.")]})
            qs = qs.filter(**{f"{key}_id": int(value)})
    if filters.get("complaint") in ("1", "true", True):
        qs = qs.filter(is_complaint=True)
    if filters.get("area"):
        text = str(filters["area"])
        area = OrgUnit.objects.filter(pk=int(text)).first() if text.isdigit() else None
        if area is None:
            raise ValidationFailed.for_fields({"area": [_("Choose a valid option.")]})
        qs = qs.filter(area_unit__path__startswith=area.path)
    start, end = _date(filters, "created_from"), _date(filters, "created_to")
    if start:
        qs = qs.filter(created_at__gte=timezone.make_aware(datetime.combine(start, time.min)))
    if end:
        next_day = datetime.combine(end + timedelta(days=1), time.min)
        qs = qs.filter(created_at__lt=timezone.make_aware(next_day))
    return qs.select_related(
        "order_type", "business_line", "handling_unit", "handler", "customer", "area_unit"
    ).order_by(*order_by_for(queue, ordering))


def target_units(viewer) -> QuerySet[OrgUnit]:
    """The units a viewer may send an order to (dispatch, bulk dispatch, transfer,
    co-handling, the responsible unit) and whose handlers they may list: the active
    units inside their data scope and their own unit — what `services.unit_in_reach`
    accepts. One list for the order page and the dispatch queue."""
    return (
        org_units_visible(viewer)
        .filter(is_active=True)
        .only("pk", "name", "depth", "path")
        .order_by("path")
    )


def actions_for(viewer, order: WorkOrder) -> list[str]:
    return allowed_actions(order.status, capacities(viewer, order))


def order_timeline(order: WorkOrder):
    return order.events.select_related("actor", "actor_unit").order_by("id")
