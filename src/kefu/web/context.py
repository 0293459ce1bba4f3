"""Navigation shown to the signed-in user, filtered by what their roles permit."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, permission, or a tuple of permissions any one of which will do, or None)
NAV_ITEMS = [
    ("web:home", _("Home"), None),
    ("workorders:workbench", _("Workbench"), "workorders.add_workorder"),
    ("workorders:workorder_list", _("Work orders"), "workorders.view_workorder"),
    ("customers:customer_list", _("Customers"), "customers.view_customer"),
    ("customers:customer_import", _("Import"), "customers.import_customer"),
    ("org:org_tree", _("Organisation"), "org.view_orgunit"),
    ("org:staff_list", _("Staff"), "org.view_staffprofile"),
    ("customers:access_log", _("Access log"), "customers.view_accesslog"),
    ("outages:outage_list", _("Mass outages"), "outages.view_outage"),
    ("complaints:alert_list", _("Complaint batch alerts"), "workorders.supervise_workorder"),
    (
        "rules:home",
        _("Rule configuration"),
        ("rules.manage_dispatch_rules", "rules.manage_reference_data", "sla.change_slapolicy"),
    ),
    ("callbacks:desk", _("Callback desk"), "callbacks.handle_callback"),
    (
        "callbacks:stats",
        _("Satisfaction statistics"),
        ("callbacks.handle_callback", "workorders.supervise_workorder"),
    ),
    ("surveys:list", _("Surveys"), "surveys.manage_survey"),
    ("notify:inbox", _("My notifications"), None),
]


def _active(current: str, url_name: str) -> bool:
    """The entry of the current page; a list's entry also covers its detail pages."""
    if current == url_name:
        return True
    if url_name == "rules:home":  # 规则配置 covers every page of its sections
        return current.startswith("rules:")
    if not url_name.endswith("_list") or current in _NAV_NAMES:
        return False
    return current.startswith(url_name.removesuffix("list"))


_NAV_NAMES = {name for name, _label, _perm in NAV_ITEMS}


def navigation(request):
    """`nav_items`: (url name, url, label, active) the user may open.

    Entries whose page is not installed yet (no such URL name) are left out.
    """
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    items = []
    for name, label, perm in NAV_ITEMS:
        perms = (perm,) if isinstance(perm, str) else perm or ()
        if perms and not any(user.has_perm(p) for p in perms):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = _item(name, url, label, _active(current, name))
        if name == "notify:inbox":
            from kefu.notify.selectors import unread_count

            item["count"] = unread_count(user)  # the unread count beside 我的通知
        items.append(item)
    if user.is_staff:
        # Org units, staff, roles, tiers and thresholds are managed in the admin site.
        items.append(_item("admin:index", reverse("admin:index"), _("Administration"), False))
    return {"nav_items": items}


# The pages that lived in the shell's namespace before their apps took them keep their
# short element ids (nav-customer_list, nav-org_tree), which the browser tests find them by.
_SHORT_ID_NAMESPACES = ("web:", "customers:", "org:")


def _item(name: str, url: str, label, active: bool) -> dict:
    namespace = next((ns for ns in _SHORT_ID_NAMESPACES if name.startswith(ns)), "")
    dom_id = "nav-" + name.removeprefix(namespace).replace(":", "-")
    return {"name": name, "id": dom_id, "url": url, "label": label, "active": active}
