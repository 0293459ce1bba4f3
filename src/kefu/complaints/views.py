"""The batch-alert page 批量投诉预警: list the alerts of the supervisor's scope, each with
the complaints it counts, and acknowledge one with the process walk-through note.

Thin edges: every read goes through kefu.complaints.selectors (the viewer's data scope),
the one write through kefu.complaints.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.complaints import selectors, services
from kefu.complaints.forms import AcknowledgeForm
from kefu.web.errors import http_errors
from kefu.web.paging import page_of


@vary_on_headers("HX-Request")
@login_required
@permission_required("workorders.supervise_workorder", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    """批量投诉预警 of the supervisor's scope; open ones can be acknowledged."""
    only_open = request.GET.get("open") == "1"
    alerts = selectors.complaint_alert_list(
        viewer=request.user, filters={"open": "1" if only_open else ""}
    )
    page = page_of(alerts, request.GET.get("page"))
    for alert in page.rows:  # each alert links to the complaints it counts
        alert.orders = selectors.complaint_alert_orders(alert, viewer=request.user)
    context = {"page": page, "only_open": only_open}
    if request.htmx:
        return render(request, "complaints/partials/_alert_rows.html", context)
    return render(request, "complaints/alert_list.html", context)


@require_POST
@login_required
@permission_required("workorders.supervise_workorder", raise_exception=True)
@http_errors
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.complaint_alert_get(viewer=request.user, pk=pk)
    form = AcknowledgeForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.complaint_alert_acknowledge(actor=request.user, alert=alert, note=note)
    messages.success(request, _("Alert acknowledged."))
    return redirect("complaints:alert_list")
