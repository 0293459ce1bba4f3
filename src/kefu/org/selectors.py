"""Reads of the org tree and staff, narrowed to the viewer's data scope."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from kefu.org.models import OrgUnit, RoleAssignment, StaffProfile
from kefu.org.scope import scope_filter


def _own_unit_id(viewer) -> int | None:
    staff = getattr(viewer, "staff", None) if hasattr(viewer, "staff") else None
    return staff.org_unit_id if staff else None


def org_units_visible(viewer) -> QuerySet[OrgUnit]:
    """Units inside the viewer's scope, plus the viewer's own unit (even with scope `own`)."""
    q = scope_filter(viewer, unit_field="pk")
    own = _own_unit_id(viewer)
    if own and q:  # an empty Q means "all units": OR-ing one unit to it would narrow it
        q |= Q(pk=own)
    return OrgUnit.objects.filter(q).order_by("path")


def org_tree(viewer) -> QuerySet[OrgUnit]:
    """Visible units in tree order (by materialised path), each with its direct staff count."""
    return org_units_visible(viewer).annotate(staff_count=Count("staff", distinct=True))


def org_tree_with_totals(viewer) -> list[OrgUnit]:
    """org_tree() with `subtree_staff_count` on each unit as well: its own staff plus the
    staff of every visible unit below it.

    Still one query: each unit's direct count is added to its visible ancestors, found by
    the prefixes of its materialised path. Summing visible units only keeps the totals
    inside the data scope and lets a unit's total equal its own count plus its children's
    totals on screen; the work grows with units × depth, not with staff.
    """
    units = list(org_tree(viewer))
    by_path = {unit.path: unit for unit in units}
    for unit in units:
        unit.subtree_staff_count = 0
    for unit in units:
        prefix = ""
        for segment in unit.path.split("/")[:-1]:
            prefix += segment + "/"
            ancestor = by_path.get(prefix)
            if ancestor is not None:
                ancestor.subtree_staff_count += unit.staff_count
    return units


def staff_list(*, viewer, filters: dict[str, str] | None = None) -> QuerySet[StaffProfile]:
    """Staff in the viewer's scope with their unit and role assignments prefetched.

    Filters: org_unit (id; the unit and its subtree), q (name / employee number prefix).
    """
    filters = {k: (v or "").strip() for k, v in (filters or {}).items()}
    qs = StaffProfile.objects.filter(
        scope_filter(viewer, unit_field="org_unit", owner_field="user")
    ).select_related("org_unit", "user", "vendor")
    if filters.get("org_unit", "").isdigit():
        unit = OrgUnit.objects.filter(pk=int(filters["org_unit"])).first()
        qs = qs.filter(org_unit__path__startswith=unit.path) if unit else qs.none()
    if filters.get("q"):
        q = filters["q"]
        qs = qs.filter(
            Q(display_name__startswith=q) | Q(employee_no__startswith=q) | Q(user__username=q)
        )
    assignments = RoleAssignment.objects.select_related("role", "org_unit").order_by("role_id")
    return qs.prefetch_related(Prefetch("user__role_assignments", queryset=assignments)).order_by(
        "org_unit__path", "employee_no"
    )


def role_assignments_of(user) -> QuerySet[RoleAssignment]:
    """The user's own role assignments (for "my roles" on the home page)."""
    return (
        RoleAssignment.objects.filter(user=user)
        .select_related("role", "org_unit")
        .order_by("role_id")
    )
