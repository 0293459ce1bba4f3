"""Org web pages: the org tree and the staff list, both inside the viewer's data scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from kefu.org import selectors
from kefu.org.forms import StaffFilterForm
from kefu.web.forms import valid_filters
from kefu.web.paging import page_of


@login_required
@permission_required("org.view_orgunit", raise_exception=True)
def org_tree(request: HttpRequest) -> HttpResponse:
    """组织架构: visible units in tree order, indented by depth, with the staff sitting in
    each unit and the total including the units below."""
    units = selectors.org_tree_with_totals(request.user)
    base_depth = min((u.depth for u in units), default=0)
    rows = [{"unit": u, "indent": u.depth - base_depth} for u in units]
    return render(request, "org/org_tree.html", {"rows": rows})


@vary_on_headers("HX-Request")
@login_required
@permission_required("org.view_staffprofile", raise_exception=True)
def staff_list(request: HttpRequest) -> HttpResponse:
    """人员: staff in scope with their unit, roles and each role's data scope."""
    units = list(selectors.org_units_visible(request.user).only("pk", "name", "depth"))
    form = StaffFilterForm(request.GET or None, units=units)
    filters = valid_filters(form)
    qs = selectors.staff_list(viewer=request.user, filters=filters)
    context = {"form": form, "page": page_of(qs, request.GET.get("page"))}
    if request.htmx:
        return render(request, "org/partials/_staff_rows.html", context)
    return render(request, "org/staff_list.html", context)
