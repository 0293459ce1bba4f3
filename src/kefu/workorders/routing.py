"""Routing 派单规则: which unit a new order goes to, and which person inside the unit.

A unit picks a person by round robin, by least open load, or by skill (complaints from
VIP customers to the high-skill queue, 002:214). People on leave are never picked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Q

from kefu.core.refcache import process_cached
from kefu.org.models import OrgUnit, StaffProfile
from kefu.workorders.models import Assignment, DispatchRule, RoundRobinCursor, WorkOrder
from kefu.workorders.transitions import OPEN

HANDLE_PERM = ("workorders", "handle_workorder")
SUPERVISE_PERM = ("workorders", "supervise_workorder")


# The criteria a rule can set, in the order they are checked and explained.
CRITERIA = ("order_type", "business_line", "area", "tiers")


def rule_mismatches(rule: DispatchRule, order, area_path: str) -> Iterator[str]:
    """The criteria of `rule` that `order` fails, lazily, in CRITERIA order.

    `order` is anything with `order_type_id`, `business_line_id` and `customer_tier` (a
    WorkOrder, or the rule tester's probe); `area_path` is the path of the order's area
    unit. A blank criterion matches anything; the area matches its whole subtree. This is
    the one place a rule is compared with an order: the router stops at the first
    mismatch, the tester lists them all.
    """
    if rule.order_type_id is not None and rule.order_type_id != order.order_type_id:
        yield "order_type"
    if rule.business_line_id is not None and rule.business_line_id != order.business_line_id:
        yield "business_line"
    if rule.area_id is not None and not area_path.startswith(rule.area.path):
        yield "area"
    if rule.tiers and order.customer_tier not in rule.tiers:
        yield "tiers"


def rule_matches(rule: DispatchRule, order, area_path: str) -> bool:
    return next(rule_mismatches(rule, order, area_path), None) is None


def first_match(rules: Iterable[DispatchRule], order, area_path: str) -> DispatchRule | None:
    """The first of `rules` (in the order given: by priority) that fits the order."""
    return next((r for r in rules if rule_matches(r, order, area_path)), None)


@process_cached(models=(DispatchRule, OrgUnit))
def active_rules() -> list[DispatchRule]:
    """The active rules in priority order, with their area and target units (per process:
    every order intake reads them; a moved unit changes what its area path covers)."""
    rules = DispatchRule.objects.filter(is_active=True).select_related(
        "area",
        "target_unit",
        "order_type",
        "business_line",  # the rule tester shows them
    )
    return list(rules)


def match_rule(order: WorkOrder) -> DispatchRule | None:
    """The first active rule (by priority) that fits the order, or None: dispatch queue."""
    return first_match(active_rules(), order, order.area_unit.path)


@dataclass(frozen=True)
class Probe:
    """What matching reads of an order, for the rule tester 哪条规则会命中."""

    order_type_id: int | None
    business_line_id: int | None
    customer_tier: str


@dataclass(frozen=True)
class Candidate:
    rule: DispatchRule
    failed: tuple[str, ...]  # the CRITERIA the order fails; empty: the rule fits
    wins: bool  # the rule the router picks


@dataclass(frozen=True)
class Explanation:
    winner: DispatchRule | None
    candidates: list[Candidate]


def explain(probe: Probe, area: OrgUnit) -> Explanation:
    """Which active rule would route an order like `probe` from `area`, and why each of
    the others does or does not fit. The winner comes from `first_match` over the same
    `active_rules()` the router reads, so the tester cannot disagree with it."""
    rules = active_rules()
    winner = first_match(rules, probe, area.path)
    candidates = [
        Candidate(rule, tuple(rule_mismatches(rule, probe, area.path)), rule is winner)
        for rule in rules
    ]
    return Explanation(winner, candidates)


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


def supervisors_above(unit: OrgUnit, *, itself: bool = False) -> tuple[OrgUnit, list]:
    """Where a manual escalation (升级) of an order standing at `unit` goes: the nearest
    unit above it with supervisors sitting in it, and those supervisors — the same rule as
    the SLA ladder's (kefu.sla.selectors.Ladder). With nobody above: the parent unit (or
    the unit itself at the root) and nobody to tell. `itself`: the unit's own supervisors
    first, if it has any."""
    above = [int(part) for part in unit.path.split("/") if part]  # root first
    if not itself:
        above = above[:-1]
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
