"""Who an actor is on an order: their unit, the units their writes may point at, and the
capacities (owner of record, handler, dispatcher …) the transition table asks about.

Read by the services, which decide what an actor may do, and by the selectors, which
list what an actor may see and do.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kefu.org.actor import actor_context
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.workorders.models import WorkOrder
from kefu.workorders.transitions import Who

OUTSIDE_SCOPE = gettext_lazy("Outside your data scope.")


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
