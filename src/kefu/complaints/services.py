"""Complaint intelligence 投诉研判, decided when a complaint is taken in; and the one write
a supervisor makes, acknowledging a batch alert.

- Repeat complaint 重复投诉: the same customer complained in the same problem category
  (any complaint, when the new one has no category yet) within the repeat window.
- Batch alert 批量投诉预警: the complaints of one category in one county within the batch
  window reach the threshold; the area's supervisors are told at once, and the alert
  suggests a process walk-through 流程穿越 (002:15).

Escalated complaints 越级投诉 (`is_escalated`, from the source) and first-contact
resolution are set by the work-order services themselves. The numbers live in
kefu.complaints.models.ComplaintSettings (admin-editable). `repeat_of` (before the order's
INSERT) and `batch_check` (after it) are steps of the intake pipeline
(kefu.workorders.pipeline), inside the create transaction: the order, its flags, the
alert and the notifications commit or roll back together.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.complaints import selectors
from kefu.complaints.models import ComplaintBatchAlert, ComplaintSettings
from kefu.core.errors import NotFound, ValidationFailed
from kefu.notify.services import notify
from kefu.workorders.models import Category, WorkOrder

NOTE_MAX = 5000  # characters of a process walk-through note


# --- the intake steps ----------------------------------------------------------------------


def repeat_of(order: WorkOrder) -> WorkOrder | None:
    """Before a new complaint's INSERT: the earlier complaint it repeats, if any (the
    pipeline flags it and names the earlier one in the create event). Writes nothing."""
    if not order.is_complaint:
        return None
    config = ComplaintSettings.current()
    return selectors.previous_complaint(order, days=config.repeat_window_days, at=timezone.now())


def batch_check(order: WorkOrder) -> ComplaintBatchAlert | None:
    """After a new complaint's INSERT: the batch alert it raises, if any."""
    if not order.is_complaint or order.category_id is None:
        return None
    return complaint_batch_check(order=order, config=ComplaintSettings.current())


# --- batch alerts --------------------------------------------------------------------------


def complaint_batch_check(
    *, order: WorkOrder, config: ComplaintSettings
) -> ComplaintBatchAlert | None:
    """Raise (or add to) the batch alert for the order's category and county.

    Returns the alert raised by this complaint, None otherwise. While an alert of the
    category and county raised within the last window exists, further complaints are
    counted into it instead of raising another; a batch that goes on beyond a window
    raises a fresh alert. Runs inside the caller's (the intake's) transaction.
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
    county = selectors.county_of(order.area_unit)
    window = timedelta(hours=hours)
    now = order.created_at
    start = now - window
    # No upper bound at `now`: a complaint committed just before this one may carry a
    # slightly later timestamp (taken before its transaction waited for the lock).
    complaints = WorkOrder.objects.filter(
        is_complaint=True,
        category_id=order.category_id,
        area_unit__in=county.subtree().values("pk"),
    ).exclude(status__in=selectors.NOT_COUNTED)
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
        users=selectors.area_supervisors(alert.area),
        payload={
            "alert": alert.pk,
            "category": category.code,
            "area": alert.area_id,
            "count": alert.count,
            "orders": numbers,
            # The alert lists and links the complaints it counts.
            "url": reverse("complaints:alert_list") + f"#alert-{alert.pk}",
        },
        dedupe_key=f"complaint-batch:{alert.pk}",
    )


@transaction.atomic
def complaint_alert_acknowledge(
    *, actor, alert: ComplaintBatchAlert, note: str = ""
) -> ComplaintBatchAlert:
    """A supervisor takes the batch alert on and records the process walk-through 流程穿越.

    The first acknowledgement is kept; a later call updates the walk-through note only.
    An alert outside the actor's scope (or an actor who may not supervise) is not found.
    """
    if not selectors.complaint_alerts_visible(actor).filter(pk=alert.pk).exists():
        raise NotFound()
    alert = ComplaintBatchAlert.objects.select_for_update().get(pk=alert.pk)
    note = str(note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed.for_fields(
            {"note": [_("At most %(n)d characters.") % {"n": NOTE_MAX}]}
        )
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
    if note or not alert.walkthrough_note:
        alert.walkthrough_note = note
    alert.save()
    return alert
