"""Outage web pages: list, register, detail (link, restore, report, close).

Thin edges: parse input, call one selector or service, render. Every read goes through
kefu.outages.selectors, so the viewer's data scope applies to each page and fragment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.core.errors import KefuError, NotFound
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.org.selectors import org_units_visible
from kefu.outages import selectors, services
from kefu.outages.forms import (
    LinkOrderForm,
    OutageEditForm,
    OutageFilterForm,
    OutageRegisterForm,
    ReportForm,
    RestoreForm,
)
from kefu.outages.models import IncidentSettings, Outage, OutageStatus
from kefu.web.errors import form_add_kefu_error, http_errors
from kefu.web.paging import page_of
from kefu.workorders.selectors import work_order_visible

# --- list and register ---------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@login_required
@permission_required("outages.view_outage", raise_exception=True)
def outage_list(request: HttpRequest) -> HttpResponse:
    """大面积故障: active ones first; htmx filter requests get only the rows."""
    form = OutageFilterForm(request.GET or None)
    filters = {"status": form.cleaned_data["status"]} if form.is_valid() else {}
    context = {
        "form": form,
        "page": page_of(
            selectors.outage_list(viewer=request.user, filters=filters), request.GET.get("page")
        ),
        "reports_pending": selectors.outages_report_pending(viewer=request.user),
    }
    if request.htmx:
        return render(request, "outages/partials/_outage_rows.html", context)
    return render(request, "outages/outage_list.html", context)


def _units_in_scope(user) -> list[OrgUnit]:
    scope = scope_for(user)
    units = org_units_visible(user).only("pk", "name", "depth", "path", "is_active")
    return [u for u in units if u.is_active and scope.covers_unit(u)]


@login_required
@permission_required("outages.add_outage", raise_exception=True)
def outage_create(request: HttpRequest) -> HttpResponse:
    """登记大面积故障: areas are offered from the user's data scope."""
    data = request.POST if request.method == "POST" else None
    form = OutageRegisterForm(data, units=_units_in_scope(request.user))
    if form.is_bound and form.is_valid():
        try:
            outage = services.outage_register(actor=request.user, **form.service_kwargs())
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Outage registered. Agents now see it."))
            return redirect("outages:outage_detail", pk=outage.pk)
    status = 400 if form.is_bound else 200
    return render(request, "outages/outage_create.html", {"form": form}, status=status)


# --- detail and its forms ----------------------------------------------------------------------


def _can_change(user, outage: Outage) -> bool:
    if not user.has_perm("outages.change_outage"):
        return False
    scope = scope_for(user)
    return all(scope.covers_unit(a) for a in outage.areas.all())


def _detail(request: HttpRequest, outage: Outage, *, status: int = 200, **forms: Any):
    user = request.user
    active = outage.status == OutageStatus.ACTIVE
    days = IncidentSettings.current().report_due_days
    context = {
        "outage": outage,
        "areas": list(outage.areas.all()),
        "can_change": _can_change(user, outage),
        "page": page_of(selectors.outage_orders(outage, viewer=user), request.GET.get("page")),
        "candidates": selectors.outage_candidate_orders(outage, viewer=user) if active else [],
        "link_form": forms.get("link_form") or LinkOrderForm(),
        "edit_form": forms.get("edit_form")
        or OutageEditForm(
            initial={
                "cause": outage.cause,
                "expected_restore_at": outage.expected_restore_at,
                "is_major": outage.is_major,
            }
        ),
        "restore_form": forms.get("restore_form") or RestoreForm(),
        "report_form": forms.get("report_form")
        or ReportForm(
            initial={
                "cause": outage.report_cause,
                "lessons": outage.report_lessons,
                "improvements": outage.report_improvements,
                "prevention": outage.report_prevention,
            }
        ),
        "report_due_at": outage.report_due_at(days),
    }
    return render(request, "outages/outage_detail.html", context, status=status)


def _get(request: HttpRequest, pk: int) -> Outage:
    return selectors.outage_get(viewer=request.user, pk=pk)


@login_required
@permission_required("outages.view_outage", raise_exception=True)
@http_errors
def outage_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _get(request, pk))


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and ok else None


@require_POST
@login_required
@permission_required("outages.view_outage", raise_exception=True)
@http_errors
def outage_link(request: HttpRequest, pk: int) -> HttpResponse:
    """关联工单: from the outage page (a number typed or a candidate's button) or in one
    click from an order's page (`next` leads back there)."""
    outage = _get(request, pk)
    form = LinkOrderForm(request.POST)
    back = _safe_next(request)
    if form.is_valid():
        order = work_order_visible(viewer=request.user, key=form.cleaned_data["order"])
        try:
            if order is None:
                raise NotFound(_("No such work order."))
            services.outage_link_order(actor=request.user, outage=outage, order=order)
        except KefuError as exc:
            if back:
                messages.error(request, str(exc.message))
                return redirect(back)
            form.add_error("order", str(exc.message))
        else:
            messages.success(
                request,
                _("%(number)s linked. Tell the customer the cause and the expected restore.")
                % {"number": order.number},
            )
            return redirect(back or "outages:outage_detail", **({} if back else {"pk": pk}))
    return _detail(request, outage, status=400, link_form=form)


@require_POST
@login_required
@permission_required("outages.change_outage", raise_exception=True)
@http_errors
def outage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _get(request, pk)
    form = OutageEditForm(request.POST)
    if form.is_valid():
        try:
            services.outage_update(actor=request.user, outage=outage, changes=form.cleaned_data)
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Outage updated."))
            return redirect("outages:outage_detail", pk=pk)
    return _detail(request, outage, status=400, edit_form=form)


@require_POST
@login_required
@permission_required("outages.change_outage", raise_exception=True)
@http_errors
def outage_restore(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _get(request, pk)
    form = RestoreForm(request.POST)
    if form.is_valid():
        try:
            restored = services.outage_restore(
                actor=request.user, outage=outage, **form.cleaned_data
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            if restored.queued:
                done = _(
                    "Outage restored; %(n)d linked orders are being resolved in the "
                    "background, each due for callback. Reload the page to follow."
                ) % {"n": restored.queued}
            else:
                done = _("Outage restored; %(n)d linked orders resolved and due for callback.") % {
                    "n": len(restored.resolved)
                }
            messages.success(request, done)
            return redirect("outages:outage_detail", pk=pk)
    return _detail(request, outage, status=400, restore_form=form)


@require_POST
@login_required
@permission_required("outages.change_outage", raise_exception=True)
@http_errors
def outage_report(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _get(request, pk)
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            services.outage_report_submit(actor=request.user, outage=outage, **form.cleaned_data)
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Fault-analysis report saved."))
            return redirect("outages:outage_detail", pk=pk)
    return _detail(request, outage, status=400, report_form=form)


@require_POST
@login_required
@permission_required("outages.change_outage", raise_exception=True)
@http_errors
def outage_close(request: HttpRequest, pk: int) -> HttpResponse:
    outage = _get(request, pk)
    try:
        services.outage_close(actor=request.user, outage=outage)
    except KefuError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Outage closed."))
    return redirect("outages:outage_detail", pk=pk)


# --- fragment for the workbench and the screen-pop ----------------------------------------------


@login_required
@permission_required("outages.view_outage", raise_exception=True)
def active_for_unit(request: HttpRequest) -> HttpResponse:
    """htmx: the active outages affecting a unit (?unit=id); with ?order=number, a
    one-click link button per outage the order fits. Only outages the viewer may see,
    as in the API's list."""
    user = request.user
    unit_id = request.GET.get("unit", "")
    order = work_order_visible(viewer=user, key=request.GET.get("order", ""))
    unit = order.area_unit if order is not None else None
    if unit is None and unit_id.isascii() and unit_id.isdigit() and len(unit_id) <= 18:
        unit = OrgUnit.objects.filter(pk=int(unit_id)).first()
    outages = list(selectors.active_outages_visible(user, unit)) if unit else []
    linkable = set()
    if order is not None:
        shown = {o.pk for o in outages}
        linkable = {o.pk for o in selectors.outages_for_order(order)} & shown
    linked = selectors.outage_of_order(order) if order is not None else None
    context = {"outages": outages, "order": order, "linkable": linkable, "linked": linked}
    return render(request, "outages/partials/_active.html", context)
