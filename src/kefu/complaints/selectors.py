"""Reads of complaint intelligence: the earlier complaint a new one repeats, the county a
batch is counted in and its supervisors, and the batch alerts narrowed to the viewer's
data scope."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from kefu.complaints.models import ComplaintBatchAlert
from kefu.core.errors import NotFound
from kefu.org.models import DataScope, OrgLevel, OrgUnit, RoleAssignment, ancestor_paths
from kefu.org.scope import scope_for
from kefu.workorders.models import Status, WorkOrder

# A merged duplicate or a complaint entered by mistake is cancelled: it is not a second
# complaint of the customer, nor one more of a batch.
NOT_COUNTED = (Status.CANCELLED,)


# --- repeat complaints ---------------------------------------------------------------------


def previous_complaint(
    order: WorkOrder, *, days: int, at: dt.datetime | None = None
) -> WorkOrder | None:
    """The latest earlier complaint that makes `order` (taken in `at`, by default its
    `created_at`) a repeat complaint, if any.

    The same customer is the archive record; a caller not in the archive is recognised by
    the calling number within the same area (bounded, so the lookup stays on an index).
    """
    if days <= 0:
        return None
    at = at or order.created_at
    earlier = (
        WorkOrder.objects.filter(
            is_complaint=True,
            created_at__gte=at - timedelta(days=days),
            created_at__lte=at,
        )
        .exclude(pk=order.pk)
        .exclude(status__in=NOT_COUNTED)
    )
    if order.customer_id is not None:
        earlier = earlier.filter(customer_id=order.customer_id)
    elif order.caller_phone:
        earlier = earlier.filter(
            customer__isnull=True, caller_phone=order.caller_phone, area_unit=order.area_unit_id
        )
    else:
        return None
    if order.category_id is not None:
        earlier = earlier.filter(category_id=order.category_id)
    return earlier.order_by("-created_at", "-id").only("pk", "number").first()


# --- batch alerts --------------------------------------------------------------------------


def county_of(unit: OrgUnit) -> OrgUnit:
    """The county-level unit at or above `unit`; the unit itself above county level.

    Batches are counted per county 县: the level at which a field unit, a network segment
    and a local process share a cause.
    """
    if unit.level == OrgLevel.COUNTY:
        return unit
    county = (
        OrgUnit.objects.filter(path__in=ancestor_paths(unit.path), level=OrgLevel.COUNTY)
        .order_by("-depth")
        .first()
    )
    return county or unit


def area_supervisors(unit: OrgUnit):
    """Active users holding the supervise permission through a role whose data scope
    covers `unit` (their own unit's subtree above it, the unit itself, or everything)."""
    covering = RoleAssignment.objects.filter(
        role__permissions__content_type__app_label="workorders",
        role__permissions__codename="supervise_workorder",
    ).filter(
        Q(scope=DataScope.ALL)
        | Q(scope=DataScope.SUBTREE, org_unit__path__in=ancestor_paths(unit.path))
        | Q(scope=DataScope.UNIT, org_unit=unit)
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=covering.values("user_id"))
        .order_by("pk")
    )


def complaint_alerts_visible(viewer) -> QuerySet[ComplaintBatchAlert]:
    """Batch alerts of areas inside the viewer's scope, for supervisors."""
    if not viewer or not viewer.is_authenticated:
        return ComplaintBatchAlert.objects.none()
    if not viewer.has_perm("workorders.supervise_workorder"):
        return ComplaintBatchAlert.objects.none()
    scope = scope_for(viewer)
    qs = ComplaintBatchAlert.objects.all()
    if not scope.sees_all:
        qs = qs.filter(scope.q(unit_field="area", owner_field=None, user_id=viewer.pk))
    return qs.select_related("category", "category__parent", "area", "acknowledged_by")


def complaint_alert_list(*, viewer, filters: dict | None = None) -> QuerySet[ComplaintBatchAlert]:
    """Visible alerts, newest first. Filters: open ("1": not yet acknowledged)."""
    filters = filters or {}
    qs = complaint_alerts_visible(viewer)
    if filters.get("open") in ("1", "true", True):
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def complaint_alert_orders(
    alert: ComplaintBatchAlert, *, viewer, limit: int = 50
) -> list[WorkOrder]:
    """The complaints an alert counts (its category, its county, since its window start,
    cancelled ones left out), oldest first, those the viewer may see."""
    from kefu.workorders.selectors import work_orders_visible

    return list(
        work_orders_visible(viewer)
        .filter(
            is_complaint=True,
            category_id=alert.category_id,
            area_unit__path__startswith=alert.area.path,
            created_at__gt=alert.window_start,
            created_at__lte=alert.last_complaint_at,
        )
        .exclude(status__in=NOT_COUNTED)
        .only("pk", "number", "title", "created_at")
        .order_by("created_at", "id")[:limit]
    )


def complaint_alert_get(*, viewer, pk: int) -> ComplaintBatchAlert:
    alert = complaint_alerts_visible(viewer).filter(pk=pk).first()
    if alert is None:
        raise NotFound()
    return alert
