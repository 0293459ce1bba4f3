"""Complaint intelligence 投诉智能, decided when a complaint is taken in.

- Repeat complaint 重复投诉: the same customer complained in the same problem category
  (any complaint, when the new one has no category yet) within the repeat window.
- Batch alert 批量投诉预警: the complaints of one category in one county within the batch
  window reach the threshold; the area's supervisors are told at once, and the alert
  suggests a process walk-through 流程穿越 (002:15).

Escalated complaints 越级投诉 (`is_escalated`, from the source) and first-contact
resolution are set by the work-order services themselves. The numbers live in
kefu.outages.models.IncidentSettings (admin-editable). `repeat_of` (before the order's
INSERT) and `batch_check` (after it) are steps of the intake pipeline
(kefu.workorders.pipeline), inside the create transaction: the order, its flags, the
alert and the notifications commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kefu.notify.services import notify
from kefu.org.models import DataScope, OrgLevel, OrgUnit, RoleAssignment
from kefu.outages.models import ComplaintBatchAlert, IncidentSettings
from kefu.outages.selectors import ancestor_paths
from kefu.workorders.models import Category, Status, WorkOrder

# A merged duplicate or a complaint entered by mistake is cancelled: it is not a second
# complaint of the customer, nor one more of a batch.
_NOT_COUNTED = (Status.CANCELLED,)


def repeat_of(order: WorkOrder) -> WorkOrder | None:
    """Before a new complaint's INSERT: the earlier complaint it repeats, if any (the
    pipeline flags it and names the earlier one in the create event)."""
    if not order.is_complaint:
        return None
    config = IncidentSettings.current()
    return previous_complaint(order, days=config.repeat_window_days, at=timezone.now())


def batch_check(order: WorkOrder) -> ComplaintBatchAlert | None:
    """After a new complaint's INSERT: the batch alert it raises, if any."""
    if not order.is_complaint or order.category_id is None:
        return None
    return complaint_batch_check(order=order, config=IncidentSettings.current())


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
        .exclude(status__in=_NOT_COUNTED)
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


def complaint_batch_check(
    *, order: WorkOrder, config: IncidentSettings
) -> ComplaintBatchAlert | None:
    """Raise (or add to) the batch alert for the order's category and county.

    Returns the alert raised by this complaint, None otherwise. While an alert of the
    category and county raised within the last window exists, further complaints are
    counted into it instead of raising another; a batch that goes on beyond a window
    raises a fresh alert.
    """
    threshold, hours = config.batch_threshold, config.batch_window_hours
    if threshold <= 0 or hours <= 0 or order.category_id is None:
        return None
    # Serialise the check per category. Without the lock two complaints committing at once
    # each count the other's row as absent (both see N-1: no alert) or both raise one.
    # NO KEY UPDATE rather than FOR UPDATE: it does not conflict with the KEY SHARE lock
    # that the foreign-key check of every order referencing the category takes, so only
    # batch checks wait for each other, not every intake of the category.
    list(
        Category.objects.select_for_update(no_key=True)
        .filter(pk=order.category_id)
        .values_list("pk", flat=True)
    )
    county = county_of(order.area_unit)
    window = timedelta(hours=hours)
    now = order.created_at
    start = now - window
    # No upper bound at `now`: a complaint committed just before this one may carry a
    # slightly later timestamp (taken before its transaction waited for the lock).
    complaints = WorkOrder.objects.filter(
        is_complaint=True,
        category_id=order.category_id,
        area_unit__in=county.subtree().values("pk"),
    ).exclude(status__in=_NOT_COUNTED)
    current = (
        ComplaintBatchAlert.objects.filter(
            category_id=order.category_id, area=county, window_end__gt=start
        )
        .order_by("-window_end")
        .first()
    )
    if current is not None:
        current.count = complaints.filter(created_at__gt=current.window_start).count()
        current.last_complaint_at = max(current.last_complaint_at, now)
        current.save(update_fields=["count", "last_complaint_at"])
        return None
    count = complaints.filter(created_at__gt=start).count()
    if count < threshold:
        return None
    alert = ComplaintBatchAlert(
        category_id=order.category_id,
        area=county,
        window_start=start,
        window_end=now,
        bucket=int(now.timestamp() // window.total_seconds()),
        threshold=threshold,
        count=count,
        last_complaint_at=now,
    )
    try:
        with transaction.atomic():  # a savepoint: a lost race must not spoil the intake
            alert.save()
    except IntegrityError:
        return None
    numbers = list(
        complaints.filter(created_at__gt=start)
        .order_by("created_at", "id")
        .values_list("number", flat=True)[:ALERT_ORDERS_LISTED]
    )
    _notify_alert(alert, order, numbers)
    return alert


ALERT_ORDERS_LISTED = 20  # order numbers named in the alert notification


def _notify_alert(alert: ComplaintBatchAlert, order: WorkOrder, numbers: list[str]) -> None:
    from django.urls import reverse

    category = order.category
    notify(
        template="complaint_batch_alert",
        context={
            "topic": str(category),
            "count": alert.count,
            "since": alert.window_start,
            "area": alert.area.name,
            "orders": "、".join(numbers),
        },
        users=area_supervisors(alert.area),
        payload={
            "alert": alert.pk,
            "category": category.code,
            "area": alert.area_id,
            "count": alert.count,
            "orders": numbers,
            # The alert lists and links the complaints it counts.
            "url": reverse("outages:alert_list") + f"#alert-{alert.pk}",
        },
        dedupe_key=f"complaint-batch:{alert.pk}",
    )
