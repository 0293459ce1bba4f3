"""The callback-plan page 回访计划: the plans of the viewer's scope and the three kinds of
plan the seeds name (thank-you, residence, a leaving manager's customers)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.callbacks import plans
from kefu.callbacks.models import CallbackPlan, TaskStatus
from kefu.callbacks.plan_forms import HandoverForm, ResidenceForm, ThankYouForm
from kefu.core.errors import KefuError
from kefu.org.scope import scope_filter
from kefu.web.errors import form_add_kefu_error, http_errors
from kefu.web.paging import page_of

FORMS = {"thank_you": ThankYouForm, "residence": ResidenceForm, "handover": HandoverForm}


def plans_visible(viewer):
    return (
        CallbackPlan.objects.filter(scope_filter(viewer, unit_field="unit"))
        .select_related("unit", "created_by__staff")
        .annotate(
            total=Count("tasks"),
            done=Count("tasks", filter=~Q(tasks__status=TaskStatus.OPEN)),
        )
        .order_by("-created_at", "-pk")
    )


def _create(kind: str, form, actor, upload=None) -> CallbackPlan:
    data = form.cleaned_data
    common = {"actor": actor, "unit": data["unit"], "name": data["name"]}
    if kind == "thank_you":
        return plans.plan_thank_you(
            **common, tiers=data["tiers"], size=data["size"], seed=data["seed"]
        )
    if kind == "handover":
        return plans.plan_handover(**common, manager=data["manager"])
    suffix = Path(upload.name).suffix.lower()[:10]
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
        fh.flush()
        return plans.plan_residence(**common, path=fh.name, filename=upload.name)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("callbacks.handle_callback", raise_exception=True)
@http_errors
def plan_list(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind", "")
    forms = {
        k: form(
            request.POST if kind == k else None,
            request.FILES if kind == k else None,
            viewer=request.user,
            prefix=k,
        )
        for k, form in FORMS.items()
    }
    if request.method == "POST" and kind in forms and forms[kind].is_valid():
        form = forms[kind]
        try:
            plan = _create(kind, form, request.user, request.FILES.get(f"{kind}-file"))
        except KefuError as exc:
            form_add_kefu_error(form, exc)
        else:
            messages.success(
                request,
                _("Plan “%(name)s”: %(n)d callbacks at the callback desk.")
                % {"name": plan.name, "n": plan.tasks.count()},
            )
            return redirect("callbacks:plan_list")
    page = page_of(plans_visible(request.user), request.GET.get("page"))
    return render(request, "callbacks/plans.html", {"page": page, "forms": forms, "active": kind})
