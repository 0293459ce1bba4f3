"""Navigation shown to the signed-in user, filtered by what their roles permit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (url name, label, permission or None)
NAV_ITEMS = [
    ("web:home", _("Home"), None),
    ("web:customer_list", _("Customers"), "customers.view_customer"),
    ("web:customer_import", _("Import"), "customers.import_customer"),
    ("web:org_tree", _("Organisation"), "org.view_orgunit"),
    ("web:staff_list", _("Staff"), "org.view_staffprofile"),
    ("web:access_log", _("Access log"), "customers.view_accesslog"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {"nav_items": []}
    items = [
        (name, label) for name, label, perm in NAV_ITEMS if perm is None or user.has_perm(perm)
    ]
    return {"nav_items": items}
