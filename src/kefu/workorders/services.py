"""Every write to work orders. Keyword-only, one transaction each.

`work_order_take_in` (and `work_order_create`) takes an order in; `work_order_act`
performs one lifecycle action on it. Which action is possible from which state, for whom,
is decided by `transitions.TABLE`; this module checks the input each action needs and
records it. Every action writes one WorkOrderEvent, then runs the pipeline's steps
(`kefu.workorders.pipeline`: time limits, complaint intelligence, notifications) in the
same transaction. `actor=None` is the system (routing, the SLA monitor, outage restore).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import Conflict, KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.org.actor import actor_context
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.workorders import pipeline, routing
from kefu.workorders.models import (
    BusinessLine,
    Category,
    CategoryKind,
    Channel,
    CoHandling,
    ComplaintSource,
    Remedy,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import (
    ACTIONS,
    OPEN,
    Action,
    ActionNotAllowed,
    State,
    Who,
    action_label,
    next_state,
)

TITLE_MAX = 200
TEXT_MAX = 5000


class ActionInvalid(KefuError):
    """An action not possible from the order's state or not for this actor."""

    code = "action_not_allowed"
    default_message = gettext_lazy("This action is not possible for this order now.")


# --- who the actor is on an order ------------------------------------------------------


def actor_unit(actor) -> OrgUnit | None:
    if actor is None or not actor.is_authenticated:
        return None
    staff = actor_context(actor).staff
    return staff.org_unit if staff is not None else None


def _covers(scope, unit: OrgUnit | None) -> bool:
    return unit is not None and scope.covers_unit(unit)


def unit_in_reach(actor, unit: OrgUnit) -> bool:
    """Whether `actor` may point a write at `unit` (dispatch, transfer, co-handling, the
    responsible unit, a leave hand-over): a unit inside their data scope, or their own
    unit. The same rule as `org_units_visible`, which lists the units the forms offer;
    the system (routing, the SLA monitor) reaches every unit."""
    if actor is None:
        return True
    own = actor_unit(actor)
    return scope_for(actor).covers_unit(unit) or (own is not None and own.pk == unit.pk)


OUTSIDE_SCOPE = gettext_lazy("Outside your data scope.")


def capacities(actor, order: WorkOrder) -> frozenset[Who]:
    """The capacities `actor` holds on `order` (empty: the order is not theirs to see)."""
    if actor is None:
        return frozenset({Who.SYSTEM, Who.VIEWER})
    caps: set[Who] = set()
    unit = actor_unit(actor)
    unit_id = unit.pk if unit else None
    can_handle = actor.has_perm("workorders.handle_workorder")
    if order.owner_id == actor.pk:
        caps.add(Who.OWNER)
    if order.handler_id == actor.pk:
        caps.add(Who.HANDLER)
    if can_handle and unit_id and unit_id == order.handling_unit_id:
        caps.add(Who.HANDLING_UNIT)
    if (
        can_handle
        and unit_id
        and order.co_handlings.filter(unit_id=unit_id, done_at__isnull=True).exists()
    ):
        caps.add(Who.CO_HANDLER)
    scope = scope_for(actor)
    in_scope = any(
        _covers(scope, u)
        for u in (order.area_unit, order.handling_unit, order.accepting_unit, order.escalated_to)
    )
    if in_scope and actor.has_perm("workorders.dispatch_workorder"):
        caps.add(Who.DISPATCHER)
    if in_scope and actor.has_perm("workorders.supervise_workorder"):
        caps.add(Who.SUPERVISOR)
    if caps or (in_scope and actor.has_perm("workorders.view_workorder")):
        caps.add(Who.VIEWER)
    return frozenset(caps)


# --- small input helpers --------------------------------------------------------------


def _text(data: dict, field: str, *, required: bool, max_length: int = TEXT_MAX) -> str:
    value = str(data.get(field) or "").strip()
    if required and not value:
        raise ValidationFailed.for_fields({field: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationFailed.for_fields(
            {field: [_("At most %(n)d characters.") % {"n": max_length}]}
        )
    return value


def _pk(value: Any, field: str) -> int:
    text = str(getattr(value, "pk", value) or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) > 2**63 - 1:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return int(text)


def _unit(data: dict, field: str, *, required: bool = True, actor=None) -> OrgUnit | None:
    """The active unit named by `data[field]`; with `actor`, only one inside the actor's
    reach (`unit_in_reach`): a write may not point outside the data scope."""
    if data.get(field) in (None, ""):
        if required:
            raise ValidationFailed.for_fields({field: [_("This field is required.")]})
        return None
    unit = OrgUnit.objects.filter(pk=_pk(data[field], field), is_active=True).first()
    if unit is None:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    if not unit_in_reach(actor, unit):
        raise ValidationFailed.for_fields({field: [OUTSIDE_SCOPE]})
    return unit


def _handler_in(data: dict, unit: OrgUnit):
    """The person named by `data["handler"]`: one of the unit's handlers who is not on
    leave (the people the handler select offers, `routing.handlers_in`)."""
    if data.get("handler") in (None, ""):
        return None
    user = routing.handler_users(unit).filter(pk=_pk(data["handler"], "handler")).first()
    if user is None:
        raise ValidationFailed.for_fields({"handler": [_("Not a member of the chosen unit.")]})
    return user


def _category(value: Any, field: str, kind: str) -> Category | None:
    if value in (None, ""):
        return None
    category = Category.objects.filter(pk=_pk(value, field), kind=kind, is_active=True).first()
    if category is None:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return category


def _choice(value: Any, field: str, choices) -> str:
    if value not in choices.values:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return value


def _event(order: WorkOrder, *, actor, action: str, from_status: str, note="", data=None):
    return WorkOrderEvent.objects.create(
        order=order,
        action=action,
        actor=actor,
        actor_unit=actor_unit(actor),
        from_status=from_status,
        to_status=order.status,
        note=note,
        data=data or {},
    )


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
    fields = {"title": title, "description": description}
    title = _text(fields, "title", required=True, max_length=TITLE_MAX)
    description = _text(fields, "description", required=False)
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
    created = _event(order, actor=actor, action=Action.CREATE, from_status="", data=plan.event_data)
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
        handler = routing.pick_handler(rule.target_unit, rule.assignment, rule.skill)
        data = {"unit": rule.target_unit.pk, "handler": handler, "rule": rule}
        _act_into(intake, actor=None, action=Action.DISPATCH, data=data)
    return intake


def _act_into(intake: Intake, *, actor, action: str, data: dict[str, Any]) -> None:
    intake.order, events = _act(actor=actor, order=intake.order, action=action, data=data)
    intake.events.extend(events)


# --- lifecycle actions -----------------------------------------------------------------
# Each takes (order, actor, data), updates the order in memory and returns
# (note, event data). The caller saves the order and writes the event.


def _do_dispatch(order, actor, data):
    unit = _unit(data, "unit", actor=actor)
    handler = _handler_in(data, unit)
    rule = data.get("rule")
    order.dispatching_unit = actor_unit(actor) or order.dispatching_unit or order.accepting_unit
    order.handling_unit, order.handler = unit, handler
    order.dispatch_rule = rule if rule is not None else order.dispatch_rule
    order.dispatched_at = order.dispatched_at or timezone.now()
    info = {"unit": unit.name, "handler": handler.get_full_name() if handler else ""}
    if rule is not None:
        info["rule"] = rule.name
    return _text(data, "note", required=False), info


def _do_accept(order, actor, data):
    if order.handler_id is None:
        order.handler = actor
    return _text(data, "note", required=False), {}


def _do_transfer(order, actor, data):
    reason = _text(data, "reason", required=True)
    unit = _unit(data, "unit", actor=actor)
    if unit.pk == order.handling_unit_id and not data.get("handler"):
        raise ValidationFailed.for_fields({"unit": [_("The order is already with this unit.")]})
    before = order.handling_unit.name if order.handling_unit else ""
    order.handling_unit, order.handler = unit, _handler_in(data, unit)
    return reason, {"from_unit": before, "unit": unit.name}


def _do_return(order, actor, data):
    reason = _text(data, "reason", required=True)
    before = order.handling_unit.name if order.handling_unit else ""
    order.handling_unit, order.handler = None, None
    return reason, {"from_unit": before}


def _do_suspend(order, actor, data):
    order.suspended_from = order.status
    return _text(data, "reason", required=True), {}


def _do_resume(order, actor, data):
    order.suspended_from = ""
    return _text(data, "note", required=False), {}


def _do_contact(order, actor, data):
    first = order.first_contact_at is None
    if first:
        order.first_contact_at = timezone.now()
    if order.handler_id is None and order.handling_unit_id and actor is not None:
        unit = actor_unit(actor)
        if unit is not None and unit.pk == order.handling_unit_id:
            order.handler = actor
    return _text(data, "note", required=False), {"first": first}


def _do_note(order, actor, data):
    # A customer's own words (an e-mailed reply) are news for whoever handles the order.
    info = {"from_customer": True} if data.get("from_customer") else {}
    return _text(data, "note", required=True), info


def _do_resolve(order, actor, data):
    resolution = _text(data, "resolution", required=True)
    now = timezone.now()
    info: dict[str, Any] = {}
    if order.is_complaint:
        order.cause = _category(data.get("cause"), "cause", CategoryKind.CAUSE) or order.cause
        if data.get("justified") not in (None, ""):
            order.justified = str(data["justified"]).lower() in ("true", "1", "yes", "on")
        if actor is not None:
            _require_complaint_verdict(order)
        order.remedy = _choice(data.get("remedy") or "", "remedy", Remedy)
        order.responsible_unit = _unit(data, "responsible_unit", required=False, actor=actor)
        order.responsible_person = _text(data, "responsible_person", required=False, max_length=50)
    # Resolved by the agent at intake; a restore by the system is no first-contact resolution.
    at_intake = actor is not None and order.status == State.ACCEPTED and not order.dispatched_at
    reopened = order.events.filter(action=Action.REOPEN).exists()
    order.first_contact_resolution = at_intake and not reopened
    order.first_contact_at = order.first_contact_at or now
    order.resolution, order.resolved_at = resolution, now
    order.suspended_from = ""
    info["first_contact_resolution"] = order.first_contact_resolution
    return resolution, info


def _require_complaint_verdict(order) -> None:
    """A complaint is resolved with its cause and the 有理由/无理由 verdict: complaint
    analysis counts both."""
    errors = {}
    if order.cause_id is None:
        errors["cause"] = [_("A complaint is resolved with its cause.")]
    if order.justified is None:
        errors["justified"] = [_("Say whether the complaint is justified or not.")]
    if errors:
        raise ValidationFailed.for_fields(errors)


def _do_reply(order, actor, data):
    from kefu.workorders.customer_notice import reply_send

    order.reply = _text(data, "reply", required=True)
    order.replied_at = timezone.now()
    if data.get("at_intake"):
        # Given on the phone while the order was taken in: nothing to send the customer.
        return order.reply, {"at_intake": True}
    # The customer is told, in the same transaction (the outbox delivers after commit).
    return order.reply, {"sent": reply_send(order=order, text=order.reply)}


def _do_close(order, actor, data):
    order.closed_at = timezone.now()
    return _text(data, "note", required=False), {}


def _do_cancel(order, actor, data):
    return _text(data, "reason", required=True), {}


def _do_urge(order, actor, data):
    order.urge_count += 1
    return _text(data, "note", required=False), {"count": order.urge_count}


def _do_supervise(order, actor, data):
    order.supervising_unit = actor_unit(actor)
    unit_name = order.supervising_unit.name if order.supervising_unit else ""
    return _text(data, "note", required=False), {"unit": unit_name}


def _do_escalate(order, actor, data):
    """升级: one rung up from where the order stands, to the nearest unit above with
    supervisors, who are told (through the outbox). The SLA ladder goes on from there."""
    from kefu.workorders.notifications import notify_escalation

    note = _text(data, "reason", required=actor is not None)
    base = order.escalated_to or order.handling_unit or order.area_unit
    target, supervisors = routing.supervisors_above(base)
    order.escalation_level += 1
    order.escalated_to = target
    notify_escalation(order=order, actor=actor, note=note, users=supervisors)
    return note, {
        "level": order.escalation_level,
        "unit": target.name,
        "unit_id": target.pk,
        "notified": [u.pk for u in supervisors],
    }


def _do_reopen(order, actor, data):
    reason = _text(data, "reason", required=True)
    order.first_contact_resolution = False
    order.resolved_at = order.replied_at = order.closed_at = None
    return reason, {}


def _other_order(actor, data) -> WorkOrder:
    from kefu.workorders.selectors import work_order_visible

    other = work_order_visible(viewer=actor, key=data.get("target"))
    if other is None:
        raise ValidationFailed.for_fields({"target": [_("No such work order.")]})
    return other


def _do_merge(order, actor, data):
    target = _other_order(actor, data)
    if target.pk == order.pk or not target.is_open:
        raise ValidationFailed.for_fields({"target": [_("Choose another open work order.")]})
    order.merged_into = target
    WorkOrderEvent.objects.create(
        order=target,
        action=Action.NOTE,
        actor=actor,
        actor_unit=actor_unit(actor),
        from_status=target.status,
        to_status=target.status,
        note=_("Duplicate %(number)s merged into this order.") % {"number": order.number},
    )
    return _text(data, "note", required=False), {"target": target.number}


def _do_link(order, actor, data):
    target = _other_order(actor, data)
    if target.pk == order.pk:
        raise ValidationFailed.for_fields({"target": [_("Choose another work order.")]})
    order.related.add(target)
    return _text(data, "note", required=False), {"target": target.number}


def _do_co_handle(order, actor, data):
    raw = data.get("units") or []
    if not isinstance(raw, list | tuple) or not raw:
        raise ValidationFailed.for_fields({"units": [_("This field is required.")]})
    units = [_unit({"units": u}, "units", actor=actor) for u in raw]
    if any(u.pk == order.handling_unit_id for u in units):
        raise ValidationFailed.for_fields({"units": [_("The lead unit cannot co-handle.")]})
    for unit in units:
        CoHandling.objects.get_or_create(order=order, unit=unit, defaults={"invited_by": actor})
    return _text(data, "note", required=False), {"units": [u.name for u in units]}


def _do_hand_back(order, actor, data):
    before = order.handler.get_full_name() if order.handler_id else ""
    order.handler = data.get("handler")
    info = {"from_handler": before}
    if order.handler is not None:
        info["handler"] = order.handler.get_full_name()
    return _text(data, "note", required=False), info


def _do_co_handle_done(order, actor, data):
    part = _text(data, "part", required=True)
    unit = actor_unit(actor)
    CoHandling.objects.filter(order=order, unit=unit, done_at__isnull=True).update(
        part=part, done_by=actor, done_at=timezone.now()
    )
    return part, {"unit": unit.name if unit else ""}


_HANDLERS = {
    Action.DISPATCH: _do_dispatch,
    Action.ACCEPT: _do_accept,
    Action.TRANSFER: _do_transfer,
    Action.RETURN: _do_return,
    Action.SUSPEND: _do_suspend,
    Action.RESUME: _do_resume,
    Action.CONTACT: _do_contact,
    Action.NOTE: _do_note,
    Action.RESOLVE: _do_resolve,
    Action.REPLY: _do_reply,
    Action.CLOSE: _do_close,
    Action.CANCEL: _do_cancel,
    Action.URGE: _do_urge,
    Action.SUPERVISE: _do_supervise,
    Action.ESCALATE: _do_escalate,
    Action.REOPEN: _do_reopen,
    Action.MERGE: _do_merge,
    Action.LINK: _do_link,
    Action.CO_HANDLE: _do_co_handle,
    Action.CO_HANDLE_DONE: _do_co_handle_done,
    Action.HAND_BACK: _do_hand_back,
}


def _lock(order: WorkOrder, expected_version: int | None) -> WorkOrder:
    locked = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("area_unit", "handling_unit", "accepting_unit", "escalated_to")
        .get(pk=order.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


@transaction.atomic
def work_order_act(
    *,
    actor,
    order: WorkOrder,
    action: str,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """Perform one lifecycle action (see `_act`); returns the order."""
    return _act(
        actor=actor, order=order, action=action, data=data, expected_version=expected_version
    )[0]


def _act(
    *,
    actor,
    order: WorkOrder,
    action: str,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> tuple[WorkOrder, list[WorkOrderEvent]]:
    """Perform one lifecycle action. Concurrent actions on one order serialise on a row
    lock; with `expected_version` a stale caller gets 409 instead of acting on news it
    has not seen. An action name that names no action is NotFound (404), like a page
    that does not exist; a known action not possible now is ActionInvalid (400)."""
    if action not in ACTIONS:
        raise NotFound(_("There is no action “%(action)s”.") % {"action": action[:40]})
    order = _lock(order, expected_version)
    caps = capacities(actor, order)
    if Who.VIEWER not in caps:
        raise NotFound()
    try:
        target = next_state(order.status, action, caps)
    except ActionNotAllowed as exc:
        raise ActionInvalid(
            _("“%(action)s” is not possible now. Possible: %(allowed)s.")
            % {
                "action": action_label(action),
                "allowed": "、".join(action_label(a) for a in exc.allowed) or _("none"),
            },
            extra={"action": action, "status": order.status, "allowed": exc.allowed},
        ) from None
    note, info = _HANDLERS[action](order, actor, data or {})
    return _record(order, actor=actor, action=action, to=target, note=note, data=info)


def _record(order: WorkOrder, *, actor, action: str, to: State, note: str, data: dict):
    """Save the acted-on order in its new state, write its event, run the pipeline's steps;
    returns the order and the events written."""
    from_status = order.status
    order.status = to
    order.version += 1
    order.save()
    event = _event(order, actor=actor, action=action, from_status=from_status, note=note, data=data)
    return order, [event, *pipeline.action_done(order, event)]


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
        order = _lock(WorkOrder(pk=pk), None)
        if order.handler_id != user.pk or order.status not in OPEN:
            continue
        unit_id = order.handling_unit_id
        if hand_to is not None and unit_id is not None and unit_id not in handlers:
            handlers[unit_id] = routing.handlers_in(order.handling_unit)
        to = hand_to if hand_to is not None and hand_to.pk in handlers.get(unit_id, []) else None
        target = next_state(order.status, Action.HAND_BACK, {Who.SYSTEM})
        _note, info = _do_hand_back(order, actor, {"handler": to})
        order, _events = _record(
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
        return _text({field: value}, field, required=field == "title", max_length=max_length)
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
    order = _lock(order, expected_version)
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
    event = _event(
        order,
        actor=actor,
        action=Action.CORRECT,
        from_status=order.status,
        note=note,
        data={"changes": diff},
    )
    pipeline.correction_done(order, event, fields=set(diff))
    return order
