"""Reads of outages, narrowed to the viewer's data scope.

An outage concerns a viewer when one of its areas lies inside the viewer's scope or
contains it: a county agent sees the outage registered for the whole prefecture, and a
prefecture supervisor sees the outage of one of its counties.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from kefu.core.errors import NotFound
from kefu.org.models import OrgUnit, ancestor_paths
from kefu.org.scope import scope_for
from kefu.outages.models import IncidentSettings, Outage, OutageLink, OutageStatus
from kefu.workorders.models import WorkOrder
from kefu.workorders.transitions import OPEN


def _own_unit(viewer) -> OrgUnit | None:
    staff = getattr(viewer, "staff", None)
    return staff.org_unit if staff is not None else None


def _areas_q(viewer) -> Q | None:
    """Outages whose areas overlap the viewer's scope; None: every outage.

    Overlap, for a scope rooted at path P: an area inside P's subtree (prefix filter) or
    an area at or above P (one of P's ancestor paths). Scope `own` counts as the viewer's
    own unit: a field technician sees the outages that affect their team.
    """
    scope = scope_for(viewer)
    if scope.sees_all:
        return None
    q = Q(pk__in=[])
    for path in scope.subtree_paths:
        q |= Q(areas__path__startswith=path) | Q(areas__path__in=ancestor_paths(path))
    units = list(OrgUnit.objects.filter(pk__in=scope.unit_ids).values_list("path", flat=True))
    own = _own_unit(viewer)
    if scope.own and own is not None:
        units.append(own.path)
    for path in units:
        q |= Q(areas__path__in=ancestor_paths(path))
    return q


def outages_visible(viewer) -> QuerySet[Outage]:
    """Outages the viewer may see: overlapping their scope, or registered by them."""
    if not viewer or not viewer.is_authenticated or not viewer.has_perm("outages.view_outage"):
        return Outage.objects.none()
    q = _areas_q(viewer)
    qs = Outage.objects.all()
    if q is not None:
        matching = Outage.objects.filter(q | Q(created_by=viewer.pk)).values("pk")
        qs = qs.filter(pk__in=matching)
    return qs.select_related("business_line", "created_by").prefetch_related("areas")


def outage_list(*, viewer, filters: dict | None = None) -> QuerySet[Outage]:
    """Visible outages, active ones first, newest first. Filters: status, unit (id: only
    outages affecting that unit)."""
    filters = filters or {}
    qs = outages_visible(viewer)
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("unit"):
        unit = OrgUnit.objects.filter(pk=int(filters["unit"])).first()
        qs = qs.filter(pk__in=_affecting(unit).values("pk")) if unit else qs.none()
    return qs.order_by("status", "-started_at", "-id")


def outage_get(*, viewer, pk: int) -> Outage:
    outage = outages_visible(viewer).filter(pk=pk).first()
    if outage is None:
        raise NotFound()
    return outage


def _affecting(unit: OrgUnit) -> QuerySet[Outage]:
    return Outage.objects.filter(areas__path__in=ancestor_paths(unit.path))


def active_outages_for_unit(unit: OrgUnit, *, business_line=None) -> QuerySet[Outage]:
    """Active outages affecting `unit`: one of their areas is the unit or above it.

    For the workbench and the screen-pop (the customer's unit). With `business_line`,
    outages of that line or of every line. Not scoped: the cause and the repair deadline
    of an outage where the customer lives are what every agent must be able to tell.
    """
    qs = Outage.objects.filter(status=OutageStatus.ACTIVE, pk__in=_affecting(unit).values("pk"))
    if business_line is not None:
        qs = qs.filter(Q(business_line__isnull=True) | Q(business_line=business_line))
    return qs.select_related("business_line").prefetch_related("areas").order_by("-started_at")


def active_outages_visible(viewer, unit: OrgUnit) -> QuerySet[Outage]:
    """Active outages affecting `unit` that the viewer may see (`outages_visible`): the
    htmx fragment answers what the API's list answers, never another county's outage."""
    return (
        outages_visible(viewer)
        .filter(status=OutageStatus.ACTIVE, pk__in=_affecting(unit).values("pk"))
        .order_by("-started_at")
    )


def outages_for_order(order: WorkOrder) -> QuerySet[Outage]:
    """Active outages an open fault report could be linked to (one click on the order)."""
    if not order.order_type.is_fault or order.status not in OPEN:
        return Outage.objects.none()
    return active_outages_for_unit(order.area_unit, business_line=order.business_line)


def outage_of_order(order: WorkOrder) -> Outage | None:
    link = OutageLink.objects.filter(work_order=order).select_related("outage").first()
    return link.outage if link else None


def outage_orders(outage: Outage, *, viewer=None) -> QuerySet[WorkOrder]:
    """The orders linked to `outage`, newest first; with `viewer`, those they may see."""
    qs = WorkOrder.objects.filter(outage_link__outage=outage)
    if viewer is not None:
        from kefu.workorders.selectors import work_orders_visible

        qs = qs.filter(pk__in=work_orders_visible(viewer).values("pk"))
    return qs.select_related("order_type", "area_unit", "customer", "outage_link").order_by("-id")


def outage_candidate_orders(outage: Outage, *, viewer, limit: int = 500) -> list[WorkOrder]:
    """Every open fault report in the outage's areas not linked yet, for one-click linking,
    oldest first: also those taken in before the outage was registered or before its
    recorded start (customers call before the field side confirms the outage)."""
    if outage.status != OutageStatus.ACTIVE:
        return []
    from kefu.workorders.selectors import work_orders_visible

    areas = Q(pk__in=[])
    for area in outage.areas.all():
        areas |= Q(area_unit__path__startswith=area.path)
    qs = work_orders_visible(viewer).filter(
        areas,
        order_type__is_fault=True,
        status__in=list(OPEN),
        outage_link__isnull=True,
    )
    if outage.business_line_id is not None:
        qs = qs.filter(Q(business_line__isnull=True) | Q(business_line=outage.business_line_id))
    return list(qs.select_related("order_type", "area_unit", "customer").order_by("id")[:limit])


def outages_report_pending(*, viewer) -> QuerySet[Outage]:
    """Restored major outages still without their fault-analysis report."""
    return outages_visible(viewer).filter(
        is_major=True, status=OutageStatus.RESTORED, report_submitted_at__isnull=True
    )


def outages_report_overdue(*, viewer, now: datetime | None = None) -> QuerySet[Outage]:
    """Pending reports past their due date (restore + IncidentSettings.report_due_days)."""
    now = now or timezone.now()
    days = IncidentSettings.current().report_due_days
    return outages_report_pending(viewer=viewer).filter(restored_at__lt=now - timedelta(days=days))
