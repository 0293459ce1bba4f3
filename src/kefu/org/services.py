"""Writes for the org tree, staff and roles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.org.models import PATH_SEGMENT, DataScope, OrgUnit, Role, RoleAssignment, StaffProfile
from kefu.org.scope import scope_for


def _path_for(unit: OrgUnit) -> str:
    prefix = unit.parent.path if unit.parent_id else ""
    return f"{prefix}{unit.pk:0{PATH_SEGMENT}d}/"


@transaction.atomic
def org_unit_create(*, name: str, code: str, level: str, parent: OrgUnit | None) -> OrgUnit:
    unit = OrgUnit(name=name, code=code, level=level, parent=parent)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = _path_for(unit)
    unit.depth = unit.path.count("/") - 1
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def org_unit_move(*, unit: OrgUnit, new_parent: OrgUnit | None) -> OrgUnit:
    """Re-parent a unit and rewrite the paths of its whole subtree."""
    if new_parent and new_parent.path.startswith(unit.path):
        raise ValidationFailed.for_fields({"parent": ["不能把单位移到它自己的下级单位下"]})
    old_path = unit.path
    unit.parent = new_parent
    unit.save(update_fields=["parent"])
    new_path = _path_for(unit)
    for node in OrgUnit.objects.filter(path__startswith=old_path).select_for_update():
        node.path = new_path + node.path[len(old_path) :]
        node.depth = node.path.count("/") - 1
        node.save(update_fields=["path", "depth"])
    unit.refresh_from_db()
    return unit


def org_unit_save(unit: OrgUnit) -> OrgUnit:
    """Save from the admin: new units get their path, re-parented ones move their subtree."""
    if unit.pk is None:
        return org_unit_create(name=unit.name, code=unit.code, level=unit.level, parent=unit.parent)
    old = OrgUnit.objects.get(pk=unit.pk)
    parent = unit.parent
    unit.save()
    if old.parent_id != unit.parent_id:
        return org_unit_move(unit=unit, new_parent=parent)
    return unit


@transaction.atomic
def staff_create(
    *,
    username: str,
    display_name: str,
    employee_no: str,
    org_unit: OrgUnit,
    password: str | None = None,
    roles: list[tuple[Role, str | None]] = (),
    skills: list[str] | None = None,
    vendor=None,
):
    """Create a login, its staff profile and role assignments anchored at `org_unit`.

    `roles` pairs a role with a scope; None takes the role's default scope.
    """
    user_model = get_user_model()
    user = user_model(username=username, first_name=display_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    profile = StaffProfile(
        user=user,
        org_unit=org_unit,
        employee_no=employee_no,
        display_name=display_name,
        skills=skills or [],
        vendor=vendor,
    )
    profile.full_clean()
    profile.save()
    for role, scope in roles:
        RoleAssignment.objects.create(
            user=user, role=role, org_unit=org_unit, scope=scope or role.default_scope
        )
    return user


def role_assign(*, user, role: Role, org_unit: OrgUnit, scope: str | None = None):
    if scope and scope not in DataScope.values:
        raise ValidationFailed.for_fields({"scope": ["未知的数据范围"]})
    assignment, _ = RoleAssignment.objects.update_or_create(
        user=user,
        role=role,
        org_unit=org_unit,
        defaults={"scope": scope or role.default_scope},
    )
    return assignment


@transaction.atomic
def staff_leave_set(*, actor, staff: StaffProfile, on_leave: bool, hand_to=None) -> list:
    """Put a staff member on leave (休假) or back. Going on leave, their open work orders
    go back to their unit's queue, or to `hand_to`, a colleague in the same unit
    (kefu.workorders.services.work_orders_hand_back): an order must not wait for someone
    who is away. Routing already skips people on leave. Returns the orders handed back.
    """
    if actor is not None and not scope_for(actor).covers_unit(staff.org_unit):
        raise PermissionDenied()
    profile = (
        StaffProfile.objects.select_for_update(of=("self",))
        .select_related("user", "org_unit")
        .get(pk=staff.pk)
    )
    profile.on_leave = on_leave
    profile.save(update_fields=["on_leave"])
    staff.on_leave = on_leave
    if not on_leave:
        return []
    # Orders are the work-order app's: called, not signalled.
    from kefu.workorders.services import work_orders_hand_back

    return work_orders_hand_back(actor=actor, user=profile.user, hand_to=hand_to)
