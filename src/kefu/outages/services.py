"""Every write of mass outages 大面积故障.

An outage's life: registered (active) → restored (its linked fault reports resolved in
bulk) → closed (a major outage only with its fault-analysis report). Linking a fault
report notes the cause and the repair deadline on the order, for the agent to tell the
caller, and texts them to the caller. Keyword-only, one transaction each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.notify.customer import clause, customer_context
from kefu.notify.services import notify, notify_webhooks
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.outages import selectors
from kefu.outages.models import Outage, OutageLink, OutageStatus
from kefu.workorders.actions import work_order_note, work_order_resolve
from kefu.workorders.capacity import capacities
from kefu.workorders.models import BusinessLine, WorkOrder
from kefu.workorders.transitions import OPEN, Who

TITLE_MAX = 200
TEXT_MAX = 5000
# A clock a little ahead of the server's must not make "restored now" a future time.
CLOCK_SKEW = timedelta(minutes=5)


class OutageStateInvalid(KefuError):
    """The action does not fit the outage's state (linking to a restored outage …)."""

    code = "outage_state_invalid"
    default_message = gettext_lazy("This is not possible in the outage's current state.")


class OutageReportRequired(KefuError):
    code = "outage_report_required"
    default_message = gettext_lazy(
        "A major outage can be closed only after its fault-analysis report is submitted."
    )


# --- small helpers ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool, max_length: int = TEXT_MAX) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed.for_fields({field: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationFailed.for_fields(
            {field: [_("At most %(n)d characters.") % {"n": max_length}]}
        )
    return text


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationFailed.for_fields({field: [_("Enter a valid date and time.")]})
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _require(actor, perm: str) -> None:
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied()


def _require_areas_in_scope(actor, areas: Iterable[OrgUnit]) -> None:
    scope = scope_for(actor)
    outside = [a.name for a in areas if not scope.covers_unit(a)]
    if outside:
        raise PermissionDenied(
            _("Outside your data scope: %(units)s.") % {"units": "、".join(outside)}
        )


def _lock(outage: Outage) -> Outage:
    """The outage row, locked: a link and a restore of one outage never interleave (an
    order linked while the restore runs would stay open under a restored outage)."""
    return Outage.objects.select_for_update().get(pk=outage.pk)


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _area_names(outage: Outage) -> str:
    return "、".join(a.name for a in outage.areas.all())


def _public(outage: Outage) -> dict[str, Any]:
    """What the customer and the webhooks are told of an outage."""
    return {
        "id": outage.pk,
        "title": outage.title,
        "area": _area_names(outage),
        "cause": outage.cause,
        "eta": _local(outage.expected_restore_at),
        "started_at": outage.started_at.isoformat(),
        "expected_restore_at": outage.expected_restore_at.isoformat(),
        "business_line": outage.business_line.code if outage.business_line_id else "",
        "is_major": outage.is_major,
        "status": outage.status,
    }


def _for_customer(outage: Outage, order: WorkOrder) -> dict[str, Any]:
    """What a customer's SMS says of an outage: a letter, so no internal unit names (the
    areas are org units), sentences ended once, signed with the organisation's name."""
    return customer_context(
        outage={
            "cause": clause(outage.cause),
            "eta": _local(outage.expected_restore_at),
            "restored": _local(outage.restored_at),
        },
        order={"number": order.number},
    )


def _tell_customers(outage: Outage, *, template: str, key: str) -> int:
    """Text again every customer told of the outage (its linked orders whose customer
    was notified): the restore time changed, or the outage is over. `key` names the
    news, so a repeated call texts nobody twice. Returns how many were texted."""
    links = (
        OutageLink.objects.filter(outage=outage, customer_notified=True)
        .select_related("work_order__customer")
        .order_by("work_order_id")
    )
    told = 0
    for link in links:
        order = link.work_order
        phone = _customer_phone(order)
        if not phone:
            continue
        notify(
            template=template,
            context=_for_customer(outage, order),
            addresses=[phone],
            channel="sms",
            payload={"outage": outage.pk, "order": order.pk},
            dedupe_key=f"outage-{key}:{outage.pk}:{order.pk}",
        )
        told += 1
    return told


def _check_times(started_at: datetime, expected_restore_at: datetime | None) -> None:
    if expected_restore_at is None:
        raise ValidationFailed.for_fields({"expected_restore_at": [_("This field is required.")]})
    if expected_restore_at <= started_at:
        raise ValidationFailed.for_fields(
            {"expected_restore_at": [_("The expected restore must be after the start.")]}
        )


# --- register and update ----------------------------------------------------------------------


@transaction.atomic
def outage_register(
    *,
    actor,
    title: str,
    cause: str,
    areas: Iterable[OrgUnit],
    expected_restore_at: datetime | None,
    started_at: datetime | None = None,
    business_line: BusinessLine | None = None,
    is_major: bool = False,
) -> Outage:
    """Register a mass outage (the field side informing the hotline, 001:536-540).

    A planned cutover 割接 may start in the future. Every affected area must lie inside
    the actor's data scope: a county cannot declare an outage for its neighbour.
    """
    _require(actor, "outages.add_outage")
    title = _text(title, "title", required=True, max_length=TITLE_MAX)
    cause = _text(cause, "cause", required=True)
    units = list({a.pk: a for a in areas}.values())
    if not units:
        raise ValidationFailed.for_fields({"areas": [_("This field is required.")]})
    if any(not a.is_active for a in units):
        raise ValidationFailed.for_fields({"areas": [_("Choose a valid option.")]})
    _require_areas_in_scope(actor, units)
    started_at = _aware(started_at, "started_at") or timezone.now()
    expected_restore_at = _aware(expected_restore_at, "expected_restore_at")
    _check_times(started_at, expected_restore_at)
    if business_line is not None and not business_line.is_active:
        raise ValidationFailed.for_fields({"business_line": [_("Choose a valid option.")]})
    outage = Outage.objects.create(
        title=title,
        cause=cause,
        started_at=started_at,
        expected_restore_at=expected_restore_at,
        business_line=business_line,
        is_major=bool(is_major),
        created_by=actor,
    )
    outage.areas.set(units)
    notify_webhooks(
        event="outage.registered", payload=_public(outage), dedupe_key=f"outage-reg:{outage.pk}"
    )
    return outage


_UPDATABLE = ("title", "cause", "expected_restore_at", "is_major")


@transaction.atomic
def outage_update(*, actor, outage: Outage, changes: dict[str, Any]) -> Outage:
    """Correct an active outage: title, cause, expected restore (the ETA slips), major."""
    _require(actor, "outages.change_outage")
    outage = _lock(outage)
    _require_areas_in_scope(actor, outage.areas.all())
    if outage.status != OutageStatus.ACTIVE:
        raise OutageStateInvalid(_("Only an active outage can be changed."))
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise ValidationFailed.for_fields(
            {f: [_("This field cannot be changed.")] for f in unknown}
        )
    if "title" in changes:
        outage.title = _text(changes["title"], "title", required=True, max_length=TITLE_MAX)
    if "cause" in changes:
        outage.cause = _text(changes["cause"], "cause", required=True)
    eta_before = outage.expected_restore_at
    if "expected_restore_at" in changes:
        eta = _aware(changes["expected_restore_at"], "expected_restore_at")
        _check_times(outage.started_at, eta)
        outage.expected_restore_at = eta
    if "is_major" in changes:
        outage.is_major = bool(changes["is_major"])
    outage.save()
    if outage.expected_restore_at != eta_before:
        # The customers told of the outage hear of the new restore time.
        _tell_customers(
            outage,
            template="outage_eta_changed",
            key=f"eta:{outage.expected_restore_at.isoformat()}",
        )
    return outage


# --- linking fault reports --------------------------------------------------------------------


def _in_areas(outage: Outage, unit: OrgUnit) -> bool:
    return any(unit.path.startswith(a.path) for a in outage.areas.all())


def _customer_phone(order: WorkOrder) -> str:
    if order.caller_phone:
        return order.caller_phone
    return order.customer.phone if order.customer_id and order.customer.phone else ""


@transaction.atomic
def outage_link_order(*, actor, outage: Outage, order: WorkOrder) -> OutageLink:
    """Link an open fault report to the outage that explains it (one click).

    Only a fault report 故障申告 whose area lies inside one of the outage's areas, and of
    the outage's business line when it has one. Anyone who may see both may link: the
    agent taking the customer's second call is rarely the order's owner. The order's
    timeline gets the cause and the repair deadline for the agent to read out; the caller
    gets them by SMS. Linking the same order again to the same outage changes nothing.
    """
    _require(actor, "outages.view_outage")
    if not selectors.outages_visible(actor).filter(pk=outage.pk).exists():
        raise NotFound()
    outage = _lock(outage)
    order = WorkOrder.objects.select_related("order_type", "area_unit", "customer").get(pk=order.pk)
    caps = capacities(actor, order)
    if Who.VIEWER not in caps:
        raise NotFound()
    existing = OutageLink.objects.filter(work_order=order).first()
    if existing is not None:
        if existing.outage_id == outage.pk:
            return existing
        raise ValidationFailed.for_fields(
            {"order": [_("The order is already linked to another outage.")]}
        )
    if outage.status != OutageStatus.ACTIVE:
        raise OutageStateInvalid(_("Orders can be linked only to an active outage."))
    if order.status not in OPEN:
        raise ValidationFailed.for_fields({"order": [_("Only an open order can be linked.")]})
    if not order.order_type.is_fault:
        raise ValidationFailed.for_fields({"order": [_("Only a fault report can be linked.")]})
    if not _in_areas(outage, order.area_unit):
        raise ValidationFailed.for_fields(
            {"order": [_("The order's area is not affected by this outage.")]}
        )
    if (
        outage.business_line_id is not None
        and order.business_line_id is not None
        and order.business_line_id != outage.business_line_id
    ):
        raise ValidationFailed.for_fields(
            {"order": [_("The order's business line is not affected by this outage.")]}
        )
    link = OutageLink.objects.create(outage=outage, work_order=order, linked_by=actor)
    note = _(
        "Linked to mass outage “%(title)s”. Cause: %(cause)s. Expected restore: %(eta)s. "
        "Tell the customer the cause and the expected restore time."
    ) % {"title": outage.title, "cause": outage.cause, "eta": _local(outage.expected_restore_at)}
    work_order_note(actor=actor, order=order, note=note)
    phone = _customer_phone(order)
    if phone:
        notify(
            template="outage_notice",
            context=_for_customer(outage, order),
            addresses=[phone],
            channel="sms",
            payload={"outage": outage.pk, "order": order.pk},
            dedupe_key=f"outage-notice:{outage.pk}:{order.pk}",
        )
        link.customer_notified = True
        link.save(update_fields=["customer_notified"])
    return link


# --- restore, report, close -------------------------------------------------------------------


# A restore resolves up to this many linked orders in its own request and transaction;
# a larger one (30 ms each: a thousand would outlast the web server's 30 s timeout) is
# handed to the task queue, which resolves them RESTORE_CHUNK to a transaction.
RESTORE_INLINE = 200
RESTORE_CHUNK = 100


@dataclass(frozen=True)
class Restored:
    outage: Outage
    resolved: list[WorkOrder]  # resolved in the restore's own transaction
    queued: int  # left to the task queue (outage_resolve_linked), 0 if none


def _open_links(outage: Outage):
    return (
        OutageLink.objects.filter(outage=outage, work_order__status__in=list(OPEN))
        .select_related("work_order__order_type")
        .order_by("work_order_id")  # one lock order for concurrent restores and links
    )


def _resolve_linked(outage: Outage, links) -> list[WorkOrder]:
    """Resolve the linked orders as the system, a callback note on each that needs one
    (each resolve runs the work-order pipeline, whose callback step takes it from there)."""
    text = _("Mass outage “%(title)s” restored: %(resolution)s") % {
        "title": outage.title,
        "resolution": outage.restore_note,
    }
    callback_note = _("Callback due (待回访): resolved by the outage restore.")
    resolved: list[WorkOrder] = []
    for link in links:
        order = work_order_resolve(actor=None, order=link.work_order, resolution=text)
        if link.work_order.order_type.needs_callback:
            order = work_order_note(actor=None, order=order, note=callback_note)
        resolved.append(order)
    return resolved


def _announce_restored(outage: Outage, orders: int) -> None:
    """Customers told of the outage hear that it is over; webhooks get the restore."""
    _tell_customers(outage, template="outage_restored_customer", key="restored-sms")
    notify_webhooks(
        event="outage.restored",
        payload={
            **_public(outage),
            "restored_at": outage.restored_at.isoformat(),
            "orders": orders,
        },
        dedupe_key=f"outage-restored:{outage.pk}",
    )


@transaction.atomic
def outage_restore(
    *,
    actor,
    outage: Outage,
    resolution: str,
    restored_at: datetime | None = None,
) -> Restored:
    """The outage is over: every linked open order is resolved by the system, in bulk.

    Each resolved order that needs a callback gets a "callback due" note: its state
    (resolved) is what the callback queue works from.
    Up to RESTORE_INLINE orders are resolved here; more are queued for
    `outage_resolve_linked`, which the task queue runs once this commits.
    """
    _require(actor, "outages.change_outage")
    resolution = _text(resolution, "resolution", required=True)
    now = timezone.now()
    restored_at = _aware(restored_at, "restored_at") or now
    outage = _lock(outage)
    _require_areas_in_scope(actor, outage.areas.all())
    if outage.status != OutageStatus.ACTIVE:
        raise OutageStateInvalid(_("The outage is already restored."))
    if restored_at < outage.started_at or restored_at > now + CLOCK_SKEW:
        raise ValidationFailed.for_fields(
            {"restored_at": [_("The restore time must be between the start and now.")]}
        )
    outage.status = OutageStatus.RESTORED
    outage.restored_at = restored_at
    outage.restored_by = actor
    outage.restore_note = resolution
    outage.save()
    waiting = _open_links(outage).count()
    if waiting > RESTORE_INLINE:
        from kefu.outages.tasks import outage_resolve_linked

        transaction.on_commit(lambda: outage_resolve_linked(outage.pk))
        return Restored(outage, [], waiting)
    resolved = _resolve_linked(outage, _open_links(outage))
    _announce_restored(outage, len(resolved))
    return Restored(outage, resolved, 0)


def outage_resolve_linked(*, outage: Outage) -> int:
    """Resolve what a large restore left to the task queue, RESTORE_CHUNK orders to a
    transaction; returns how many. Safe to run again: it only takes orders still open,
    so a run cut short is finished by the next."""
    done = 0
    while True:
        with transaction.atomic():
            chunk = list(_open_links(outage)[:RESTORE_CHUNK])
            done += len(_resolve_linked(outage, chunk))
        if len(chunk) < RESTORE_CHUNK:
            break
    _announce_restored(outage, done)
    return done


@transaction.atomic
def outage_report_submit(
    *, actor, outage: Outage, cause: str, lessons: str, improvements: str, prevention: str
) -> Outage:
    """The fault-analysis report 故障分析报告 (001:434): cause, lessons, improvements,
    prevention. Required for a major outage; may be corrected until the outage is closed."""
    _require(actor, "outages.change_outage")
    outage = _lock(outage)
    _require_areas_in_scope(actor, outage.areas.all())
    if outage.status != OutageStatus.RESTORED:
        raise OutageStateInvalid(_("The report is written after the restore, before closing."))
    outage.report_cause = _text(cause, "cause", required=True)
    outage.report_lessons = _text(lessons, "lessons", required=True)
    outage.report_improvements = _text(improvements, "improvements", required=True)
    outage.report_prevention = _text(prevention, "prevention", required=True)
    outage.report_submitted_at = timezone.now()
    outage.report_submitted_by = actor
    outage.save()
    return outage


@transaction.atomic
def outage_close(*, actor, outage: Outage) -> Outage:
    _require(actor, "outages.change_outage")
    outage = _lock(outage)
    _require_areas_in_scope(actor, outage.areas.all())
    if outage.status != OutageStatus.RESTORED:
        raise OutageStateInvalid(_("Only a restored outage can be closed."))
    if outage.report_required:
        raise OutageReportRequired()
    outage.status = OutageStatus.CLOSED
    outage.closed_at = timezone.now()
    outage.closed_by = actor
    outage.save()
    return outage
