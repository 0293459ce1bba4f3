"""Routing 派单规则: which unit a new order goes to, and which person inside the unit.

A unit picks a person by round robin, by least open load, or by skill (complaints from
VIP customers to the high-skill queue, 002:214). People on leave are never picked.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Q

from kefu.core.refcache import process_cached
from kefu.org.models import OrgUnit, StaffProfile
from kefu.workorders.models import Assignment, DispatchRule, RoundRobinCursor, WorkOrder
from kefu.workorders.transitions import OPEN

HANDLE_PERM = ("workorders", "handle_workorder")
SUPERVISE_PERM = ("workorders", "supervise_workorder")


def rule_matches(rule: DispatchRule, order: WorkOrder, area_path: str) -> bool:
    return (
        (rule.order_type_id is None or rule.order_type_id == order.order_type_id)
        and (rule.business_line_id is None or rule.business_line_id == order.business_line_id)
        and (rule.area_id is None or area_path.startswith(rule.area.path))
        and (not rule.tiers or order.customer_tier in rule.tiers)
    )


@process_cached(models=(DispatchRule, OrgUnit))
def active_rules() -> list[DispatchRule]:
    """The active rules in priority order, with their area and target units (per process:
    every order intake reads them; a moved unit changes what its area path covers)."""
    rules = DispatchRule.objects.filter(is_active=True).select_related("area", "target_unit")
    return list(rules)


def match_rule(order: WorkOrder) -> DispatchRule | None:
    """The first active rule (by priority) that fits the order, or None: dispatch queue."""
    area_path = order.area_unit.path
    return next((r for r in active_rules() if rule_matches(r, order, area_path)), None)


def handler_users(unit: OrgUnit):
    """The unit's active handlers who are not on leave (a user may repeat: one row per
    role granting the permission)."""
    app, codename = HANDLE_PERM
    return get_user_model().objects.filter(
        is_active=True,
        staff__org_unit=unit,
        staff__on_leave=False,
        role_assignments__role__permissions__codename=codename,
        role_assignments__role__permissions__content_type__app_label=app,
    )


def handlers_in(unit: OrgUnit) -> list[int]:
    """User ids of the unit's active handlers who are not on leave, ascending."""
    return sorted(set(handler_users(unit).values_list("pk", flat=True)))


def supervisors_above(unit: OrgUnit) -> tuple[OrgUnit, list]:
    """Where a manual escalation (升级) of an order standing at `unit` goes: the nearest
    unit above it with supervisors sitting in it, and those supervisors — the same rule as
    the SLA ladder's (kefu.sla.selectors.Ladder). With nobody above: the parent unit (or
    the unit itself at the root) and nobody to tell."""
    above = [int(part) for part in unit.path.split("/") if part][:-1]  # root first
    app, codename = SUPERVISE_PERM
    perm = Permission.objects.filter(content_type__app_label=app, codename=codename)
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff__org_unit__in=above)
        .filter(
            Q(role_assignments__role__permissions__in=perm)
            | Q(user_permissions__in=perm)
            | Q(is_superuser=True)
        )
        .distinct()
        .select_related("staff__org_unit")
        .order_by("pk")
    )
    by_unit: dict[int, list] = {}
    for user in users:
        by_unit.setdefault(user.staff.org_unit_id, []).append(user)
    nearest = next((pk for pk in reversed(above) if pk in by_unit), None)
    if nearest is None:
        return (unit.parent or unit), []
    return by_unit[nearest][0].staff.org_unit, by_unit[nearest]


def _round_robin(unit: OrgUnit, candidates: list[int]) -> int:
    cursor, _ = RoundRobinCursor.objects.select_for_update().get_or_create(unit=unit)
    chosen = next((pk for pk in candidates if pk > cursor.last_user_id), candidates[0])
    cursor.last_user_id = chosen
    cursor.save(update_fields=["last_user_id"])
    return chosen


def _least_load(candidates: list[int]) -> int:
    open_q = Q(handled_work_orders__status__in=list(OPEN))
    loads = dict(
        get_user_model()
        .objects.filter(pk__in=candidates)
        .annotate(n=Count("handled_work_orders", filter=open_q))
        .values_list("pk", "n")
    )
    return min(candidates, key=lambda pk: (loads.get(pk, 0), pk))


def _skilled(candidates: list[int], skill: str) -> list[int]:
    skills = StaffProfile.objects.filter(user_id__in=candidates).values_list("user_id", "skills")
    return [pk for pk, have in skills if skill in (have or [])]


def pick_handler(unit: OrgUnit, assignment: str, skill: str = "") -> int | None:
    """The user id to assign inside `unit`, or None to leave the order in the unit queue."""
    if assignment == Assignment.NONE:
        return None
    candidates = handlers_in(unit)
    if assignment == Assignment.SKILL:
        # Nobody with the skill present: the order still reaches the unit's queue.
        return _least_load(_skilled(candidates, skill) or candidates) if candidates else None
    if not candidates:
        return None
    if assignment == Assignment.ROUND_ROBIN:
        return _round_robin(unit, candidates)
    return _least_load(candidates)
