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
    "callbacks.handle_callback",
    "surveys.manage_survey",
    "surveys.call_survey",
]

# code: (Chinese name, description, default scope, permissions). Names and descriptions are
# stored rows that administrators may edit, so they are written in the site's language.
DEFAULT_ROLES = {
    "agent": (
        "坐席",
        "受理来电，维护客户档案，新建工单",
        DataScope.SUBTREE,
        _VIEW + _EDIT + ["customers.view_pii"] + _WO_INTAKE,
    ),
    "dispatcher": ("派单员", "把工单派给处理单位", DataScope.SUBTREE, _VIEW + _WO_DISPATCH),
    "handler": ("处理人", "处理本单位的工单", DataScope.UNIT, _VIEW + _WO_HANDLE),
    "field_technician": (
        "装维人员",
        "上门装维，处理派给本人的工单",
        DataScope.OWN,
        _VIEW + _WO_HANDLE,
    ),
    "callback_agent": (
        "回访员",
        "回访客户，了解满意度",
        DataScope.SUBTREE,
        _VIEW
        + ["customers.view_pii", "callbacks.handle_callback", "surveys.call_survey"]
        + _WO_VIEW,
    ),
    "quality_inspector": ("质检员", "抽查工单与服务质量", DataScope.SUBTREE, _VIEW + _WO_VIEW),
    "supervisor": (
        "主管",
        "督办、升级工单，导入导出客户档案，查看查阅登记",
        DataScope.SUBTREE,
        _VIEW + _EDIT + _SUPERVISE + _WO_SUPERVISE,
    ),
    "administrator": (
        "管理员",
        "系统配置，拥有全部权限",
        DataScope.ALL,
        None,
    ),  # None: every permission
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
    "callbacks",
)


def _permissions(codes: list[str] | None):
    if codes is None:
        return Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS)
    q = Q(pk__in=[])
    for code in codes:
        app, codename = code.split(".")
        q |= Q(content_type__app_label=app, codename=codename)
    return Permission.objects.filter(q)


# The descriptions seeded before they were Chinese: replaced where nobody edited them.
_OLD_DESCRIPTIONS = {
    "agent": "Hotline agent",
    "dispatcher": "Dispatcher",
    "handler": "Handling staff",
    "field_technician": "Field technician",
    "callback_agent": "Callback agent",
    "quality_inspector": "Quality inspector",
    "supervisor": "Supervisor",
    "administrator": "Administrator",
}


def roles_seed() -> None:
    """Create the default roles if missing and top up their permissions (idempotent)."""
    for code, (name, description, scope, perms) in DEFAULT_ROLES.items():
        role, _ = Role.objects.get_or_create(
            code=code,
            defaults={"name": name, "description": description, "default_scope": scope},
        )
        if role.description == _OLD_DESCRIPTIONS[code]:
            role.description = description
            role.save(update_fields=["description"])
        role.permissions.add(*_permissions(perms))
