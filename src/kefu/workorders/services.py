"""Every write to work orders. Keyword-only, one transaction each.

`work_order_create` takes an order in; `work_order_act` performs one lifecycle action on it.
Which action is possible from which state, for whom, is decided by `transitions.TABLE`;
this module checks the input each action needs and records it. Every action writes one
WorkOrderEvent and sends `order_changed` in the same transaction. `actor=None` is the
system (routing, the SLA monitor, outage restore).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.core.errors import Conflict, KefuError, NotFound, PermissionDenied, ValidationFailed
from kefu.org.actor import actor_context
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.workorders import routing
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
from kefu.workorders.signals import order_changed, order_taking_in
from kefu.workorders.transitions import ACTIONS, ActionNotAllowed, State, Who, next_state

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


def _unit(data: dict, field: str, *, required: bool = True) -> OrgUnit | None:
    if data.get(field) in (None, ""):
        if required:
            raise ValidationFailed.for_fields({field: [_("This field is required.")]})
        return None
    unit = OrgUnit.objects.filter(pk=_pk(data[field], field), is_active=True).first()
    if unit is None:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    return unit


def _handler_in(data: dict, unit: OrgUnit):
    if data.get("handler") in (None, ""):
        return None
    user = (
        get_user_model()
        .objects.filter(pk=_pk(data["handler"], "handler"), is_active=True, staff__org_unit=unit)
        .first()
    )
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
    event = WorkOrderEvent.objects.create(
        order=order,
        action=action,
        actor=actor,
        actor_unit=actor_unit(actor),
        from_status=from_status,
        to_status=order.status,
        note=note,
        data=data or {},
    )
    order_changed.send(sender=WorkOrder, order=order, event=event)
    return event


_written_events: ContextVar[list[WorkOrderEvent] | None] = ContextVar(
    "kefu_written_events", default=None
)


@contextmanager
def events_written() -> Iterator[list[WorkOrderEvent]]:
    """The timeline events saved inside the block, in the order they were written,
    whoever wrote them (the services, the SLA and complaint receivers). A create shows
    them as the new order's timeline instead of reading them back."""
    token = _written_events.set([])
    try:
        yield _written_events.get()
    finally:
        _written_events.reset(token)


def _collect_event(sender, instance: WorkOrderEvent, created: bool, **kwargs) -> None:
    written = _written_events.get()
    if created and written is not None:
        written.append(instance)


post_save.connect(_collect_event, sender=WorkOrderEvent, dispatch_uid="workorders.collect_event")


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


@transaction.atomic
def work_order_create(
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
) -> WorkOrder:
    """Take an order in. The accepting agent becomes its owner of record (首问负责制).

    Unless it is resolved on the spot (`resolve_at_intake`), the dispatch rules route it;
    an order no rule fits waits in the dispatch queue.
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
    event_data: dict[str, Any] = {}
    order_taking_in.send(sender=WorkOrder, order=order, event_data=event_data)
    order.save(force_insert=True)
    if pk is None:
        order.number = _number_for(order.pk, today)
        WorkOrder.objects.filter(pk=order.pk).update(number=order.number)
    _event(order, actor=actor, action="create", from_status="", data=event_data)
    if resolve_at_intake:
        return work_order_act(
            actor=actor, order=order, action="resolve", data={"resolution": resolve_at_intake}
        )
    rule = routing.match_rule(order)
    if rule is not None:
        handler = routing.pick_handler(rule.target_unit, rule.assignment, rule.skill)
        order = work_order_act(
            actor=None,
            order=order,
            action="dispatch",
            data={"unit": rule.target_unit.pk, "handler": handler, "rule": rule},
        )
    return order


# --- lifecycle actions -----------------------------------------------------------------
# Each takes (order, actor, data), updates the order in memory and returns
# (note, event data). The caller saves the order and writes the event.


def _do_dispatch(order, actor, data):
    unit = _unit(data, "unit")
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
    unit = _unit(data, "unit")
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
        order.remedy = _choice(data.get("remedy") or "", "remedy", Remedy)
        order.responsible_unit = _unit(data, "responsible_unit", required=False)
        order.responsible_person = _text(data, "responsible_person", required=False, max_length=50)
    # Resolved by the agent at intake; a restore by the system is no first-contact resolution.
    at_intake = actor is not None and order.status == State.ACCEPTED and not order.dispatched_at
    reopened = order.events.filter(action="reopen").exists()
    order.first_contact_resolution = at_intake and not reopened
    order.first_contact_at = order.first_contact_at or now
    order.resolution, order.resolved_at = resolution, now
    order.suspended_from = ""
    info["first_contact_resolution"] = order.first_contact_resolution
    return resolution, info


def _do_reply(order, actor, data):
    order.reply = _text(data, "reply", required=True)
    order.replied_at = timezone.now()
    return order.reply, {}


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
    base = order.escalated_to or order.handling_unit or order.area_unit
    target = base.parent or base
    order.escalation_level += 1
    order.escalated_to = target
    note = _text(data, "reason", required=actor is not None)
    return note, {"level": order.escalation_level, "unit": target.name}


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
        action="note",
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
    units = [_unit({"units": u}, "units") for u in raw]
    if any(u.pk == order.handling_unit_id for u in units):
        raise ValidationFailed.for_fields({"units": [_("The lead unit cannot co-handle.")]})
    for unit in units:
        CoHandling.objects.get_or_create(order=order, unit=unit, defaults={"invited_by": actor})
    return _text(data, "note", required=False), {"units": [u.name for u in units]}


def _do_co_handle_done(order, actor, data):
    part = _text(data, "part", required=True)
    unit = actor_unit(actor)
    CoHandling.objects.filter(order=order, unit=unit, done_at__isnull=True).update(
        part=part, done_by=actor, done_at=timezone.now()
    )
    return part, {"unit": unit.name if unit else ""}


_HANDLERS = {
    "dispatch": _do_dispatch,
    "accept": _do_accept,
    "transfer": _do_transfer,
    "return": _do_return,
    "suspend": _do_suspend,
    "resume": _do_resume,
    "contact": _do_contact,
    "note": _do_note,
    "resolve": _do_resolve,
    "reply": _do_reply,
    "close": _do_close,
    "cancel": _do_cancel,
    "urge": _do_urge,
    "supervise": _do_supervise,
    "escalate": _do_escalate,
    "reopen": _do_reopen,
    "merge": _do_merge,
    "link": _do_link,
    "co_handle": _do_co_handle,
    "co_handle_done": _do_co_handle_done,
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
    from_status = order.status
    order.status = target
    order.version += 1
    order.save()
    _event(order, actor=actor, action=action, from_status=from_status, note=note, data=info)
    return order


ACTION_LABELS = {
    "create": gettext_lazy("Accept"),  # 受理
    "dispatch": gettext_lazy("Dispatch"),  # 派单
    "accept": gettext_lazy("Take on"),  # 接单
    "transfer": gettext_lazy("Transfer"),  # 转派
    "return": gettext_lazy("Return"),  # 退单
    "suspend": gettext_lazy("Suspend"),  # 挂起
    "resume": gettext_lazy("Resume"),  # 恢复
    "contact": gettext_lazy("Contact customer"),  # 联系客户
    "note": gettext_lazy("Add note"),  # 备注
    "resolve": gettext_lazy("Resolve"),  # 处理完成
    "reply": gettext_lazy("Reply to customer"),  # 回复客户
    "close": gettext_lazy("Close"),  # 归档
    "cancel": gettext_lazy("Cancel"),  # 撤销
    "urge": gettext_lazy("Urge"),  # 催办
    "supervise": gettext_lazy("Supervise"),  # 督办
    "escalate": gettext_lazy("Escalate"),  # 升级
    "reopen": gettext_lazy("Reopen"),  # 重新打开
    "merge": gettext_lazy("Merge duplicate"),  # 合并
    "link": gettext_lazy("Link order"),  # 关联
    "co_handle": gettext_lazy("Invite co-handling"),  # 协办
    "co_handle_done": gettext_lazy("Record co-handling part"),  # 协办完成
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
