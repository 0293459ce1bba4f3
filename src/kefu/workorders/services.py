"""Taking orders in, corrections after intake, and the leave hand-over. Keyword-only,
one transaction each.

`work_order_take_in` (and `work_order_create`) takes an order in: it runs the intake
steps of the pipeline (`kefu.workorders.pipeline`) around the INSERT, then the dispatch
rules route it (or it is resolved on the spot). The lifecycle actions, one typed service
each, are in `kefu.workorders.actions`. `actor=None` is the system.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.workorders import pipeline, routing
from kefu.workorders.actions import (
    TEXT_MAX,
    TITLE_MAX,
    checked_text,
    event_write,
    lock,
    perform,
    record,
    work_order_hand_back,
)
from kefu.workorders.capacity import OUTSIDE_SCOPE, actor_unit, capacities, unit_in_reach
from kefu.workorders.models import (
    BusinessLine,
    Category,
    CategoryKind,
    Channel,
    ComplaintSource,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import OPEN, Action, Who, next_state


def _choice(value: Any, field: str, choices) -> str:
    if value not in choices.values:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return value


# --- intake ----------------------------------------------------------------------------


def _number_for(pk: int, day) -> str:
    """An order's number from its id and its local accept date: 2026112300000042."""
    return f"{day:%Y%m%d}{pk:08d}"


def _reserve_id() -> int | None:
    """On PostgreSQL, the new order's id drawn from its sequence before the INSERT, so that
    the number goes into the same INSERT (a second write to a row with 20 indexes was a
    tenth of an intake). SQLite has no sequence: None, the number follows the INSERT."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [WorkOrder._meta.db_table]
        )
        return cursor.fetchone()[0]


@dataclass
class Intake:
    """A new order, as the intake left it, and every timeline event its intake wrote, in
    order (the create, then any dispatch, resolution and reply, and notes of the steps):
    a create shows them as the new order's timeline without reading them back."""

    order: WorkOrder
    events: list[WorkOrderEvent] = dataclasses.field(default_factory=list)


def work_order_create(**arguments) -> WorkOrder:
    """`work_order_take_in`, for callers that need only the order."""
    return work_order_take_in(**arguments).order


@transaction.atomic
def work_order_take_in(
    *,
    actor,
    order_type: WorkOrderType,
    channel: str,
    title: str,
    description: str = "",
    customer=None,
    business_line: BusinessLine | None = None,
    source: str = ComplaintSource.DIRECT,
    category: Category | None = None,
    caller_phone: str = "",
    contact_name: str = "",
    is_difficult: bool = False,
    area_unit: OrgUnit | None = None,
    resolve_at_intake: str = "",
    resolve_details: dict[str, Any] | None = None,
) -> Intake:
    """Take an order in. The accepting agent becomes its owner of record (首问负责制).

    Unless it is resolved on the spot (`resolve_at_intake`: resolved and replied to at
    first contact; a complaint with its cause and verdict in `resolve_details`, as the
    resolve action takes them), the dispatch rules route it; an order no rule fits waits
    in the dispatch queue.
    """
    if actor is not None and not actor.has_perm("workorders.add_workorder"):
        raise PermissionDenied()
    title = checked_text(title, "title", required=True, max_length=TITLE_MAX)
    description = checked_text(description, "description", required=False)
    _choice(channel, "channel", Channel)
    _choice(source, "source", ComplaintSource)
    if not order_type.is_active:
        raise ValidationFailed.for_fields({"order_type": [_("Choose a valid option.")]})
    accepting = actor_unit(actor) or area_unit or (customer.org_unit if customer else None)
    if accepting is None:
        raise ValidationFailed.for_fields({"area_unit": [_("This field is required.")]})
    area = customer.org_unit if customer is not None else (area_unit or accepting)
    if actor is not None and not scope_for(actor).covers_unit(area):
        raise PermissionDenied(_("The customer or area is outside your data scope."))
    if category is not None and category.kind != CategoryKind.PROBLEM:
        raise ValidationFailed.for_fields({"category": [_("Choose a valid option.")]})
    pk, today = _reserve_id(), timezone.localdate()
    order = WorkOrder(
        pk=pk,
        # Without a reserved id: a unique placeholder until numbered from the id.
        number=_number_for(pk, today) if pk else uuid.uuid4().hex,
        order_type=order_type,
        business_line=business_line,
        channel=channel,
        source=source,
        title=title,
        description=description,
        customer=customer,
        customer_tier=customer.effective_tier if customer is not None else "",
        caller_phone=caller_phone[:20],
        contact_name=contact_name[:50],
        area_unit=area,
        owner=actor,
        accepting_unit=accepting,
        category=category,
        is_complaint=order_type.is_complaint,
        is_escalated=order_type.is_complaint and source != ComplaintSource.DIRECT,
        is_difficult=is_difficult,
    )
    plan = pipeline.intake_prepare(order)
    order.save(force_insert=True)
    if pk is None:
        order.number = _number_for(order.pk, today)
        WorkOrder.objects.filter(pk=order.pk).update(number=order.number)
    created = event_write(
        order, actor=actor, action=Action.CREATE, from_status="", data=plan.event_data
    )
    intake = Intake(order, [created, *pipeline.intake_done(order, created, plan)])
    if resolve_at_intake:
        data = {**(resolve_details or {}), "resolution": resolve_at_intake}
        _act_into(intake, actor=actor, action=Action.RESOLVE, data=data)
        if not intake.order.first_contact_resolution:  # the system has nobody on the line
            return intake
        # The caller heard the answer on the line: that was the reply (回复). Recorded as
        # such, so the order does not wait for (or send) a reply it already had.
        data = {"reply": intake.order.resolution, "at_intake": True}
        _act_into(intake, actor=actor, action=Action.REPLY, data=data)
        return intake
    rule = routing.match_rule(order)
    if rule is not None:
        handler_id = routing.pick_handler(rule.target_unit, rule.assignment, rule.skill)
        handler = get_user_model().objects.get(pk=handler_id) if handler_id else None
        data = {"unit": rule.target_unit, "handler": handler, "rule": rule}
        _act_into(intake, actor=None, action=Action.DISPATCH, data=data)
    return intake


def _act_into(intake: Intake, *, actor, action: str, data: dict[str, Any]) -> None:
    intake.order, events = perform(actor=actor, order=intake.order, action=action, arguments=data)
    intake.events.extend(events)


@transaction.atomic
def work_orders_hand_back(*, actor, user, hand_to=None) -> list[WorkOrder]:
    """休假交接: the open orders assigned to `user`, who is going on leave, leave them —
    back to their handling unit's queue, or to `hand_to`, a colleague in the same unit
    who is not on leave, where the colleague handles for that unit. A working order waits
    to be taken on again (dispatched); a suspended one stays suspended. Each order gets
    a timeline event by `actor` (who put the person on leave); returns the orders.

    Called by `kefu.org.services.staff_leave_set` after the leave is recorded, so that
    `user` is no longer among the unit's handlers.
    """
    staff = getattr(user, "staff", None)
    if hand_to is not None:
        colleagues = routing.handlers_in(staff.org_unit) if staff is not None else []
        if hand_to.pk == user.pk or hand_to.pk not in colleagues:
            raise ValidationFailed.for_fields(
                {"hand_to": [_("Choose a colleague in the same unit who is not on leave.")]}
            )
        if not unit_in_reach(actor, staff.org_unit):
            raise ValidationFailed.for_fields({"hand_to": [OUTSIDE_SCOPE]})
    name = user.get_full_name() or user.get_username()
    note = _("%(name)s is on leave.") % {"name": name}
    ids = WorkOrder.objects.filter(handler=user, status__in=list(OPEN)).order_by("pk")
    handlers: dict[int, list[int]] = {}
    handed = []
    for pk in ids.values_list("pk", flat=True):
        order = lock(WorkOrder(pk=pk), None)
        if order.handler_id != user.pk or order.status not in OPEN:
            continue
        unit_id = order.handling_unit_id
        if hand_to is not None and unit_id is not None and unit_id not in handlers:
            handlers[unit_id] = routing.handlers_in(order.handling_unit)
        to = hand_to if hand_to is not None and hand_to.pk in handlers.get(unit_id, []) else None
        target = next_state(order.status, Action.HAND_BACK, {Who.SYSTEM})
        _note, info = work_order_hand_back.apply(order, actor, handler=to)
        order, _events = record(
            order, actor=actor, action=Action.HAND_BACK, to=target, note=note, data=info
        )
        handed.append(order)
    return handed


# --- corrections after intake ------------------------------------------------------------

CORRECTABLE = ("order_type", "business_line", "customer", "title", "description")
_CORRECTORS = frozenset({Who.OWNER, Who.DISPATCHER, Who.SUPERVISOR})
_CORRECTION_LABELS = {
    "order_type": gettext_lazy("Type"),
    "business_line": gettext_lazy("Business line"),
    "customer": gettext_lazy("Customer"),
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
}
_SHOWN = 60  # characters of a long text shown in the timeline note


def can_correct(actor, order: WorkOrder) -> bool:
    """The owner of record, a dispatcher or a supervisor whose scope covers the order."""
    return bool(_CORRECTORS & capacities(actor, order))


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    text = str(getattr(value, "name", value))
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _corrected_value(actor, field: str, value):
    if field in ("title", "description"):
        max_length = TITLE_MAX if field == "title" else TEXT_MAX
        return checked_text(value, field, required=field == "title", max_length=max_length)
    if field == "order_type":
        if not isinstance(value, WorkOrderType) or not value.is_active:
            raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
        return value
    if field == "business_line":
        if value is not None and (not isinstance(value, BusinessLine) or not value.is_active):
            raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
        return value
    # The customer: one inside the actor's data scope (or none: an unknown caller).
    if value is not None and not scope_for(actor).covers_unit(value.org_unit):
        raise ValidationFailed.for_fields({field: [_("The customer is outside your data scope.")]})
    return value


@transaction.atomic
def work_order_correct(
    *, actor, order: WorkOrder, changes: dict[str, Any], expected_version: int
) -> WorkOrder:
    """更正: correct what intake got wrong — type, business line, customer, title,
    description — as the owner of record, a dispatcher or a supervisor. One event lists
    each field old → new; the time limits follow a new type, business line or customer
    tier (`clocks_on_correction`, called here). A stale `expected_version` is a 409;
    nothing changed is a 400."""
    order = lock(order, expected_version)
    caps = capacities(actor, order)
    if Who.VIEWER not in caps:
        raise NotFound()
    if not _CORRECTORS & caps:
        raise PermissionDenied(
            _("Only the owner of record, a dispatcher or a supervisor can correct an order.")
        )
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise ValidationFailed.for_fields(
            {f: [_("This field cannot be corrected.")] for f in unknown}
        )
    before = {f: getattr(order, f) for f in CORRECTABLE}
    diff: dict[str, dict[str, str]] = {}
    for field in CORRECTABLE:
        if field not in changes:
            continue
        value = _corrected_value(actor, field, changes[field])
        if value == before[field]:
            continue
        setattr(order, field, value)
        diff[field] = {"from": _shown(before[field]), "to": _shown(value)}
    if not diff:
        raise ValidationFailed.for_fields({"__all__": [_("Nothing to correct: no field changed.")]})
    if "customer" in diff:
        customer = order.customer
        order.area_unit = customer.org_unit if customer is not None else order.accepting_unit
        order.customer_tier = customer.effective_tier if customer is not None else ""
    if "order_type" in diff:
        order.is_complaint = order.order_type.is_complaint
        order.is_escalated = order.is_complaint and order.source != ComplaintSource.DIRECT
        if not order.is_complaint:
            order.cause, order.justified = None, None
    order.version += 1
    order.save()
    note = "\n".join(f"{_CORRECTION_LABELS[f]}: {d['from']} → {d['to']}" for f, d in diff.items())
    event = event_write(
        order,
        actor=actor,
        action=Action.CORRECT,
        from_status=order.status,
        note=note,
        data={"changes": diff},
    )
    pipeline.correction_done(order, event, fields=set(diff))
    return order
