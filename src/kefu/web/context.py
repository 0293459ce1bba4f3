"""Navigation shown to the signed-in user, filtered by what their roles permit."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, permission or None)
NAV_ITEMS = [
    ("web:home", _("Home"), None),
    ("workorders:workbench", _("Workbench"), "workorders.add_workorder"),
    ("workorders:workorder_list", _("Work orders"), "workorders.view_workorder"),
    ("web:customer_list", _("Customers"), "customers.view_customer"),
    ("web:customer_import", _("Import"), "customers.import_customer"),
    ("web:org_tree", _("Organisation"), "org.view_orgunit"),
    ("web:staff_list", _("Staff"), "org.view_staffprofile"),
    ("web:access_log", _("Access log"), "customers.view_accesslog"),
    ("outages:outage_list", _("Mass outages"), "outages.view_outage"),
    ("complaints:alert_list", _("Complaint batch alerts"), "workorders.supervise_workorder"),
    ("notify:inbox", _("My notifications"), None),
]


def _active(current: str, url_name: str) -> bool:
    """The entry of the current page; a list's entry also covers its detail pages."""
    if current == url_name:
        return True
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
        if perm is not None and not user.has_perm(perm):
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


def _item(name: str, url: str, label, active: bool) -> dict:
    dom_id = "nav-" + name.removeprefix("web:").replace(":", "-")
    return {"name": name, "id": dom_id, "url": url, "label": label, "active": active}
