"""The lifecycle actions on a work order: one typed service each.

Which action is possible from which state, for whom, is decided by `transitions.TABLE`.
Each service below is written as the change it makes to the order in memory, returning
the timeline note and the event's data; `@transition` makes it the whole service: it
locks the order (a stale `expected_version` is a 409), checks the table for the actor's
capacities, applies the change, saves the order, writes its event and runs the pipeline
(`kefu.workorders.pipeline`) — in one transaction — and returns the order:

    work_order_dispatch(actor=dispatcher, order=order, unit=team, handler=person)

Arguments are records and Python values, never raw input: the API serializers and the
web forms turn ids and "true"/"on" into them (`kefu.workorders.arguments`). What the
services check is the rules: required texts, a unit inside the actor's reach, a handler
in that unit, a complaint's verdict. `work_order_act` is the generic endpoint's
dispatcher: one action by name. `actor=None` is the system (routing, the SLA monitor,
outage restore).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import Conflict, KefuError, NotFound, ValidationFailed
from kefu.org.models import OrgUnit
from kefu.workorders import pipeline, routing
from kefu.workorders.capacity import OUTSIDE_SCOPE, actor_unit, capacities, unit_in_reach
from kefu.workorders.models import (
    Category,
    CategoryKind,
    CoHandling,
    DispatchRule,
    Remedy,
    WorkOrder,
    WorkOrderEvent,
)
from kefu.workorders.transitions import (
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


# --- checks shared by the actions ------------------------------------------------------------


def checked_text(value: str | None, field: str, *, required: bool, max_length=TEXT_MAX) -> str:
    """`value` stripped; a 400 naming `field` when required and empty, or too long."""
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed.for_fields({field: [_("This field is required.")]})
    if len(text) > max_length:
        raise ValidationFailed.for_fields(
            {field: [_("At most %(n)d characters.") % {"n": max_length}]}
        )
    return text


def _unit_in_reach(actor, unit: OrgUnit | None, field: str, *, required: bool = True):
    """An active unit the actor may point a write at (`unit_in_reach`)."""
    if unit is None:
        if required:
            raise ValidationFailed.for_fields({field: [_("This field is required.")]})
        return None
    if not unit.is_active:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    if not unit_in_reach(actor, unit):
        raise ValidationFailed.for_fields({field: [OUTSIDE_SCOPE]})
    return unit


def _handler_in(actor, unit: OrgUnit, handler):
    """One of the unit's handlers who is not on leave (those the handler select offers);
    the system's choice (routing picks among exactly those) is taken as it is."""
    if handler is None or actor is None:
        return handler
    if not routing.handler_users(unit).filter(pk=handler.pk).exists():
        raise ValidationFailed.for_fields({"handler": [_("Not a member of the chosen unit.")]})
    return handler


def _other_order(actor, order: WorkOrder, target: WorkOrder | None) -> WorkOrder:
    """Another order the actor may see."""
    if target is None or Who.VIEWER not in capacities(actor, target):
        raise ValidationFailed.for_fields({"target": [_("No such work order.")]})
    if target.pk == order.pk:
        raise ValidationFailed.for_fields({"target": [_("Choose another work order.")]})
    return target


def event_write(order: WorkOrder, *, actor, action: str, from_status: str, note="", data=None):
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


# --- performing one action ---------------------------------------------------------------------

Change = tuple[str, dict[str, Any]]  # the event's note and data
SERVICES: dict[str, Callable[..., WorkOrder]] = {}


def transition(action: Action):
    """Make `apply(order, actor, **arguments) -> (note, data)` the typed service of
    `action`, registered for `work_order_act`."""

    def register(apply: Callable[..., Change]) -> Callable[..., WorkOrder]:
        @functools.wraps(apply)
        @transaction.atomic
        def service(*, actor, order: WorkOrder, expected_version: int | None = None, **arguments):
            return perform(
                actor=actor,
                order=order,
                action=action,
                arguments=arguments,
                expected_version=expected_version,
            )[0]

        service.apply = apply
        service.parameters = frozenset(inspect.signature(apply).parameters) - {"order", "actor"}
        SERVICES[action] = service
        return service

    return register


def lock(order: WorkOrder, expected_version: int | None) -> WorkOrder:
    locked = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("area_unit", "handling_unit", "accepting_unit", "escalated_to")
        .get(pk=order.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _next(order: WorkOrder, action: str, caps) -> State:
    try:
        return next_state(order.status, action, caps)
    except ActionNotAllowed as exc:
        raise ActionInvalid(
            _("“%(action)s” is not possible now. Possible: %(allowed)s.")
            % {
                "action": action_label(action),
                "allowed": "、".join(action_label(a) for a in exc.allowed) or _("none"),
            },
            extra={"action": action, "status": order.status, "allowed": exc.allowed},
        ) from None


def perform(
    *,
    actor,
    order: WorkOrder,
    action: str,
    arguments: dict[str, Any],
    expected_version: int | None = None,
) -> tuple[WorkOrder, list[WorkOrderEvent]]:
    """One action, in the caller's transaction: returns the order and the events written.
    Concurrent actions on one order serialise on its row lock."""
    order = lock(order, expected_version)
    caps = capacities(actor, order)
    if Who.VIEWER not in caps:
        raise NotFound()
    target = _next(order, action, caps)
    note, data = SERVICES[action].apply(order, actor, **arguments)
    return record(order, actor=actor, action=action, to=target, note=note, data=data)


def record(order: WorkOrder, *, actor, action: str, to: State, note: str, data: dict):
    """Save the acted-on order in its new state, write its event, run the pipeline's steps;
    returns the order and the events written."""
    from_status = order.status
    order.status = to
    order.version += 1
    order.save()
    event = event_write(
        order, actor=actor, action=action, from_status=from_status, note=note, data=data
    )
    return order, [event, *pipeline.action_done(order, event)]


@transaction.atomic
def work_order_act(
    *,
    actor,
    order: WorkOrder,
    action: str,
    data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> WorkOrder:
    """The generic endpoint's dispatcher: the action named `action`, with the arguments in
    `data` (records, as the serializers and forms make them) that it takes. A name that
    names no action is NotFound (404), like a page that does not exist; a known action
    not possible now is ActionInvalid (400)."""
    service = SERVICES.get(action)
    if service is None:
        raise NotFound(_("There is no action “%(action)s”.") % {"action": str(action)[:40]})
    arguments = {k: v for k, v in (data or {}).items() if k in service.parameters}
    return service(actor=actor, order=order, expected_version=expected_version, **arguments)


# --- the actions, in the order of the transition table --------------------------------------


@transition(Action.DISPATCH)
def work_order_dispatch(
    order,
    actor,
    *,
    unit: OrgUnit | None = None,
    handler=None,
    rule: DispatchRule | None = None,
    note: str = "",
) -> Change:
    """派单: to a handling unit (and a person in it), by a dispatcher or the dispatch rules."""
    unit = _unit_in_reach(actor, unit, "unit")
    handler = _handler_in(actor, unit, handler)
    order.dispatching_unit = actor_unit(actor) or order.dispatching_unit or order.accepting_unit
    order.handling_unit, order.handler = unit, handler
    order.dispatch_rule = rule if rule is not None else order.dispatch_rule
    order.dispatched_at = order.dispatched_at or timezone.now()
    info = {"unit": unit.name, "handler": handler.get_full_name() if handler else ""}
    if rule is not None:
        info["rule"] = rule.name
    return checked_text(note, "note", required=False), info


@transition(Action.ACCEPT)
def work_order_accept(order, actor, *, note: str = "") -> Change:
    """接单: the handling unit takes it on; a unit-queue order becomes the taker's."""
    if order.handler_id is None:
        order.handler = actor
    return checked_text(note, "note", required=False), {}


@transition(Action.TRANSFER)
def work_order_transfer(
    order, actor, *, unit: OrgUnit | None = None, handler=None, reason: str = ""
) -> Change:
    """转派: to another unit (or another person in the same one), with a reason."""
    reason = checked_text(reason, "reason", required=True)
    unit = _unit_in_reach(actor, unit, "unit")
    if unit.pk == order.handling_unit_id and handler is None:
        raise ValidationFailed.for_fields({"unit": [_("The order is already with this unit.")]})
    before = order.handling_unit.name if order.handling_unit else ""
    order.handling_unit, order.handler = unit, _handler_in(actor, unit, handler)
    return reason, {"from_unit": before, "unit": unit.name}


@transition(Action.RETURN)
def work_order_return(order, actor, *, reason: str = "") -> Change:
    """退单: back to the dispatch queue, with a reason."""
    reason = checked_text(reason, "reason", required=True)
    before = order.handling_unit.name if order.handling_unit else ""
    order.handling_unit, order.handler = None, None
    return reason, {"from_unit": before}


@transition(Action.SUSPEND)
def work_order_suspend(order, actor, *, reason: str = "") -> Change:
    """挂起: the time limits pause (not the first-contact one before first contact)."""
    order.suspended_from = order.status
    return checked_text(reason, "reason", required=True), {}


@transition(Action.RESUME)
def work_order_resume(order, actor, *, note: str = "") -> Change:
    """恢复."""
    order.suspended_from = ""
    return checked_text(note, "note", required=False), {}


@transition(Action.CONTACT)
def work_order_contact(order, actor, *, note: str = "") -> Change:
    """联系客户: the first contact stops its time limit; a unit-queue order becomes the
    contacting handler's."""
    first = order.first_contact_at is None
    if first:
        order.first_contact_at = timezone.now()
    if order.handler_id is None and order.handling_unit_id and actor is not None:
        unit = actor_unit(actor)
        if unit is not None and unit.pk == order.handling_unit_id:
            order.handler = actor
    return checked_text(note, "note", required=False), {"first": first}


@transition(Action.NOTE)
def work_order_note(order, actor, *, note: str = "", from_customer: bool = False) -> Change:
    """备注. A customer's own words (an e-mailed reply) are news for whoever handles it."""
    info = {"from_customer": True} if from_customer else {}
    return checked_text(note, "note", required=True), info


@transition(Action.RESOLVE)
def work_order_resolve(
    order,
    actor,
    *,
    resolution: str = "",
    cause: Category | None = None,
    justified: bool | None = None,
    remedy: str = "",
    responsible_unit: OrgUnit | None = None,
    responsible_person: str = "",
) -> Change:
    """处理完成. A complaint is resolved with its cause and the 有理由/无理由 verdict."""
    resolution = checked_text(resolution, "resolution", required=True)
    now = timezone.now()
    if order.is_complaint:
        if cause is not None and (cause.kind != CategoryKind.CAUSE or not cause.is_active):
            raise ValidationFailed.for_fields({"cause": [_("Choose a valid option.")]})
        order.cause = cause or order.cause
        if justified is not None:
            order.justified = justified
        if actor is not None:
            _require_complaint_verdict(order)
        if remedy not in ("", *Remedy.values):
            raise ValidationFailed.for_fields({"remedy": [_("Choose a valid option.")]})
        order.remedy = remedy
        order.responsible_unit = _unit_in_reach(
            actor, responsible_unit, "responsible_unit", required=False
        )
        order.responsible_person = checked_text(
            responsible_person, "responsible_person", required=False, max_length=50
        )
    # Resolved by the agent at intake; a restore by the system is no first-contact resolution.
    at_intake = actor is not None and order.status == State.ACCEPTED and not order.dispatched_at
    reopened = order.events.filter(action=Action.REOPEN).exists()
    order.first_contact_resolution = at_intake and not reopened
    order.first_contact_at = order.first_contact_at or now
    order.resolution, order.resolved_at = resolution, now
    order.suspended_from = ""
    return resolution, {"first_contact_resolution": order.first_contact_resolution}


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


@transition(Action.REPLY)
def work_order_reply(order, actor, *, reply: str = "", at_intake: bool = False) -> Change:
    """回复客户: sent through the customer's channel (the outbox delivers after commit),
    unless given on the phone while the order was taken in."""
    from kefu.workorders.customer_notice import reply_send

    order.reply = checked_text(reply, "reply", required=True)
    order.replied_at = timezone.now()
    if at_intake:
        return order.reply, {"at_intake": True}
    return order.reply, {"sent": reply_send(order=order, text=order.reply)}


@transition(Action.CLOSE)
def work_order_close(order, actor, *, note: str = "") -> Change:
    """归档: not before the order's callback 回访 is done (or given up, recorded why)."""
    from kefu.callbacks.step import close_refusal

    refusal = close_refusal(order)
    if refusal is not None:
        raise ActionInvalid(refusal, extra={"action": Action.CLOSE, "status": order.status})
    order.closed_at = timezone.now()
    return checked_text(note, "note", required=False), {}


@transition(Action.CANCEL)
def work_order_cancel(order, actor, *, reason: str = "") -> Change:
    """撤销: only before the work has started."""
    return checked_text(reason, "reason", required=True), {}


@transition(Action.URGE)
def work_order_urge(order, actor, *, note: str = "") -> Change:
    """催办: counted, and the handler is told."""
    order.urge_count += 1
    return checked_text(note, "note", required=False), {"count": order.urge_count}


@transition(Action.SUPERVISE)
def work_order_supervise(order, actor, *, note: str = "") -> Change:
    """督办: the supervisor's unit is recorded, and the handler is told."""
    order.supervising_unit = actor_unit(actor)
    unit_name = order.supervising_unit.name if order.supervising_unit else ""
    return checked_text(note, "note", required=False), {"unit": unit_name}


@transition(Action.ESCALATE)
def work_order_escalate(order, actor, *, reason: str = "") -> Change:
    """升级: one rung up from where the order stands, to the nearest unit above with
    supervisors, who are told (through the outbox). The SLA ladder goes on from there."""
    from kefu.workorders.notifications import notify_escalation

    note = checked_text(reason, "reason", required=actor is not None)
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


@transition(Action.REOPEN)
def work_order_reopen(order, actor, *, reason: str = "") -> Change:
    """重新打开: the customer is not satisfied after all."""
    reason = checked_text(reason, "reason", required=True)
    order.first_contact_resolution = False
    order.resolved_at = order.replied_at = order.closed_at = None
    return reason, {}


@transition(Action.MERGE)
def work_order_merge(order, actor, *, target: WorkOrder | None = None, note: str = "") -> Change:
    """合并: a duplicate into another open order, whose timeline says so."""
    target = _other_order(actor, order, target)
    if not target.is_open:
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
    return checked_text(note, "note", required=False), {"target": target.number}


@transition(Action.LINK)
def work_order_link(order, actor, *, target: WorkOrder | None = None, note: str = "") -> Change:
    """关联: a related order, both ways."""
    target = _other_order(actor, order, target)
    order.related.add(target)
    return checked_text(note, "note", required=False), {"target": target.number}


@transition(Action.CO_HANDLE)
def work_order_co_handle(order, actor, *, units: list[OrgUnit] | None = None, note="") -> Change:
    """协办: the lead unit invites other units, each to record its part."""
    if not units:
        raise ValidationFailed.for_fields({"units": [_("This field is required.")]})
    units = [_unit_in_reach(actor, unit, "units") for unit in units]
    if any(u.pk == order.handling_unit_id for u in units):
        raise ValidationFailed.for_fields({"units": [_("The lead unit cannot co-handle.")]})
    for unit in units:
        CoHandling.objects.get_or_create(order=order, unit=unit, defaults={"invited_by": actor})
    return checked_text(note, "note", required=False), {"units": [u.name for u in units]}


@transition(Action.CO_HANDLE_DONE)
def work_order_co_handle_done(order, actor, *, part: str = "") -> Change:
    """协办完成: the invited unit's part."""
    part = checked_text(part, "part", required=True)
    unit = actor_unit(actor)
    CoHandling.objects.filter(order=order, unit=unit, done_at__isnull=True).update(
        part=part, done_by=actor, done_at=timezone.now()
    )
    return part, {"unit": unit.name if unit else ""}


@transition(Action.HAND_BACK)
def work_order_hand_back(order, actor, *, handler=None, note: str = "") -> Change:
    """休假交接: the handler going on leave gives the order back to the unit's queue, or to
    `handler`, a colleague. Only the system may (`work_orders_hand_back` does it for
    everyone put on leave)."""
    before = order.handler.get_full_name() if order.handler_id else ""
    order.handler = handler
    info = {"from_handler": before}
    if handler is not None:
        info["handler"] = handler.get_full_name()
    return checked_text(note, "note", required=False), info
