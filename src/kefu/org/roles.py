"""The seeded roles: each a permission set and a default data scope."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import Q

from kefu.org.models import DataScope, Role

_VIEW = ["customers.view_customer", "org.view_orgunit", "org.view_staffprofile"]
_EDIT = ["customers.add_customer", "customers.change_customer", "customers.register_change"]
_SUPERVISE = [
    "customers.view_pii",
    "customers.export_customer",
    "customers.import_customer",
    "customers.view_accesslog",
    "customers.view_changerequest",
    "customers.view_customerhistory",
]

_WO_VIEW = ["workorders.view_workorder", "outages.view_outage"]
_WO_INTAKE = _WO_VIEW + ["workorders.add_workorder"]
_WO_HANDLE = _WO_VIEW + ["workorders.handle_workorder"]
_WO_DISPATCH = _WO_VIEW + ["workorders.dispatch_workorder"]
_WO_SUPERVISE = _WO_DISPATCH + [
    "workorders.add_workorder",
    "workorders.handle_workorder",
    "workorders.supervise_workorder",
    "outages.add_outage",
    "outages.change_outage",
    # Their own area's dispatch rules (the rules service keeps them inside the scope).
    "rules.manage_dispatch_rules",
]

# code: (Chinese name, description, default scope, permissions)
DEFAULT_ROLES = {
    "agent": (
        "坐席",
        "Hotline agent",
        DataScope.SUBTREE,
        _VIEW + _EDIT + ["customers.view_pii"] + _WO_INTAKE,
    ),
    "dispatcher": ("派单员", "Dispatcher", DataScope.SUBTREE, _VIEW + _WO_DISPATCH),
    "handler": ("处理人", "Handling staff", DataScope.UNIT, _VIEW + _WO_HANDLE),
    "field_technician": ("装维人员", "Field technician", DataScope.OWN, _VIEW + _WO_HANDLE),
    "callback_agent": (
        "回访员",
        "Callback agent",
        DataScope.SUBTREE,
        _VIEW + ["customers.view_pii"] + _WO_VIEW,
    ),
    "quality_inspector": ("质检员", "Quality inspector", DataScope.SUBTREE, _VIEW + _WO_VIEW),
    "supervisor": (
        "主管",
        "Supervisor",
        DataScope.SUBTREE,
        _VIEW + _EDIT + _SUPERVISE + _WO_SUPERVISE,
    ),
    "administrator": ("管理员", "Administrator", DataScope.ALL, None),  # None: every permission
}

_ADMIN_APPS = (
    "customers",
    "org",
    "auth",
    "authtoken",
    "calendars",
    "workorders",
    "sla",
    "outages",
    "notify",
    "intake",
    "rules",
)


def _permissions(codes: list[str] | None):
    if codes is None:
        return Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS)
    q = Q(pk__in=[])
    for code in codes:
        app, codename = code.split(".")
        q |= Q(content_type__app_label=app, codename=codename)
    return Permission.objects.filter(q)


def roles_seed() -> None:
    """Create the default roles if missing and top up their permissions (idempotent)."""
    for code, (name, description, scope, perms) in DEFAULT_ROLES.items():
        role, _ = Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "default_scope": scope},
        )
        role.permissions.add(*_permissions(perms))
