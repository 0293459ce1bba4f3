"""规则配置 pages: dispatch rules and the rule tester, reference data, time-limit policies,
notification templates, and the change log.

Thin edges: parse the form, call one service or selector, render. A dispatch rule
outside the viewer's reach is a 404, as in the API.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.complaints.models import ComplaintSettings
from kefu.core.errors import KefuError
from kefu.notify.models import NotificationTemplate
from kefu.org.scope import scope_for
from kefu.rules import selectors, services
from kefu.rules.explain import explain_for
from kefu.rules.forms import (
    REFERENCE_FORMS,
    ComplaintSettingsForm,
    DispatchRuleForm,
    NotificationTemplateForm,
    RuleTestForm,
    SlaPolicyForm,
    fixed_after_create,
)
from kefu.rules.preview import template_preview
from kefu.sla import selectors as sla_selectors
from kefu.sla.models import SlaPolicy
from kefu.web.errors import form_add_kefu_error
from kefu.web.paging import page_of
from kefu.workorders.models import BusinessLine, Category, DispatchRule, WorkOrderType

SLA_PERM = "sla.change_slapolicy"

# url kind: (model, title)
REFERENCE_KINDS = {
    "types": (WorkOrderType, gettext_lazy("Work-order types")),
    "lines": (BusinessLine, gettext_lazy("Business lines")),
    "categories": (Category, gettext_lazy("Problem categories and causes")),
}


def _need(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise HttpForbidden()


def _sections(user) -> list[dict]:
    """The tabs of 规则配置 the user may open."""
    rows = [
        ("rules:dispatch_list", _("Dispatch rules"), services.MANAGE_DISPATCH_RULES),
        ("rules:dispatch_test", _("Rule tester"), services.MANAGE_DISPATCH_RULES),
        (
            "rules:reference_list",
            _("Work-order types"),
            services.MANAGE_REFERENCE_DATA,
            "types",
        ),
        ("rules:reference_list", _("Business lines"), services.MANAGE_REFERENCE_DATA, "lines"),
        (
            "rules:reference_list",
            _("Categories"),
            services.MANAGE_REFERENCE_DATA,
            "categories",
        ),
        ("rules:sla_list", _("Time-limit policies"), SLA_PERM),
        ("rules:template_list", _("Notification templates"), services.MANAGE_REFERENCE_DATA),
        ("rules:complaint_settings", _("Complaint intelligence"), services.MANAGE_REFERENCE_DATA),
        ("rules:change_list", _("Change log"), None),
    ]
    out = []
    for name, label, perm, *args in rows:
        if perm is None or user.has_perm(perm):
            key = name.split(":")[1] + ("-" + args[0] if args else "")
            out.append({"url": reverse(name, args=args), "label": label, "key": key})
    return out


def _page(request, template: str, context: dict, *, section: str, status: int = 200):
    context = {**context, "sections": _sections(request.user), "section": section}
    return render(request, template, context, status=status)


def _changes(request, model, pk: int) -> list:
    return list(selectors.rule_changes_visible(request.user, model=model, object_id=pk)[:20])


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """规则配置: the first section the user may open."""
    if not selectors.can_configure(request.user):
        raise HttpForbidden()
    return redirect(_sections(request.user)[0]["url"])


# --- dispatch rules ---


def _rule_form(request: HttpRequest, data=None, **kwargs) -> DispatchRuleForm:
    return DispatchRuleForm(
        data,
        units=selectors.units_in_reach(request.user),
        every_area=scope_for(request.user).sees_all,
        **kwargs,
    )


@vary_on_headers("HX-Request")
@login_required
def dispatch_list(request: HttpRequest) -> HttpResponse:
    """派单规则 in the viewer's reach, in matching order."""
    _need(request, services.MANAGE_DISPATCH_RULES)
    rules = page_of(selectors.dispatch_rules_visible(request.user), request.GET.get("page"))
    context = {"page": rules}
    if request.htmx:
        return render(request, "rules/partials/_dispatch_rows.html", context)
    return _page(request, "rules/dispatch_list.html", context, section="dispatch_list")


@login_required
def dispatch_create(request: HttpRequest) -> HttpResponse:
    _need(request, services.MANAGE_DISPATCH_RULES)
    form = _rule_form(request, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            rule = services.dispatch_rule_create(actor=request.user, data=form.service_data())
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Dispatch rule “%(name)s” saved.") % {"name": rule.name})
            return redirect("rules:dispatch_list")
    context = {"form": form, "rule": None}
    status = 400 if form.is_bound else 200
    return _page(
        request, "rules/dispatch_form.html", context, section="dispatch_list", status=status
    )


def _visible_rule(request: HttpRequest, pk: int) -> DispatchRule:
    _need(request, services.MANAGE_DISPATCH_RULES)
    rule = selectors.dispatch_rule_visible(request.user, pk)
    if rule is None:
        raise Http404()
    return rule


@login_required
def dispatch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _visible_rule(request, pk)
    if request.method == "POST":
        form = _rule_form(request, request.POST)
        if form.is_valid():
            try:
                services.dispatch_rule_update(
                    actor=request.user, rule=rule, data=form.service_data()
                )
            except KefuError as exc:
                form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
            else:
                messages.success(
                    request,
                    _("Dispatch rule “%(name)s” saved.") % {"name": form.cleaned_data["name"]},
                )
                return redirect("rules:dispatch_list")
    else:
        form = _rule_form(request, initial=DispatchRuleForm.initial_for(rule))
    context = {"form": form, "rule": rule, "changes": _changes(request, DispatchRule, rule.pk)}
    status = 400 if form.is_bound else 200
    return _page(
        request, "rules/dispatch_form.html", context, section="dispatch_list", status=status
    )


@require_POST
@login_required
def dispatch_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    rule = _visible_rule(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.dispatch_rule_set_active(actor=request.user, rule=rule, active=active)
    except KefuError as exc:
        messages.error(request, str(exc.message))
    else:
        text = _("Rule “%(name)s” reactivated.") if active else _("Rule “%(name)s” deactivated.")
        messages.success(request, text % {"name": rule.name})
    return redirect("rules:dispatch_list")


@vary_on_headers("HX-Request")
@login_required
def dispatch_test(request: HttpRequest) -> HttpResponse:
    """哪条规则会命中: the router's own matching, for an order described in the form."""
    _need(request, services.MANAGE_DISPATCH_RULES)
    form = RuleTestForm(request.GET or None, units=selectors.units_in_reach(request.user))
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = explain_for(
                request.user,
                order_type=form.cleaned_data["order_type"],
                business_line=form.cleaned_data["business_line"],
                area=form.area_unit(),
                customer_tier=form.cleaned_data["customer_tier"],
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
    context = {"form": form, "result": result}
    if request.htmx:
        return render(request, "rules/partials/_test_result.html", context)
    return _page(request, "rules/dispatch_test.html", context, section="dispatch_test")


# --- reference data ---


def _kind(request: HttpRequest, kind: str):
    _need(request, services.MANAGE_REFERENCE_DATA)
    if kind not in REFERENCE_KINDS:
        raise Http404()
    return REFERENCE_KINDS[kind]


@login_required
def reference_list(request: HttpRequest, kind: str) -> HttpResponse:
    model, title = _kind(request, kind)
    rows = list(selectors.reference_rows(model))
    context = {"rows": rows, "kind": kind, "title": title, "is_category": model is Category}
    return _page(request, "rules/reference_list.html", context, section=f"reference_list-{kind}")


def _reference_form(request: HttpRequest, kind: str, pk: int | None) -> HttpResponse:
    model, title = _kind(request, kind)
    obj = None
    if pk is not None:
        obj = selectors.reference_row(model, pk)
        if obj is None:
            raise Http404()
    form_class = REFERENCE_FORMS[model]
    data = request.POST if request.method == "POST" else None
    form = form_class(data, instance=obj)
    fixed_after_create(form)
    if form.is_bound and form.is_valid():
        fields = [f for f in form.fields if not form.fields[f].disabled]
        values = {f: form.cleaned_data[f] for f in fields}
        try:
            if obj is None:
                services.reference_create(actor=request.user, model=model, data=values)
            else:
                services.reference_update(actor=request.user, obj=obj, data=values)
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Saved."))
            return redirect("rules:reference_list", kind=kind)
    context = {
        "form": form,
        "obj": obj,
        "title": title,
        "back": reverse("rules:reference_list", args=[kind]),
        "changes": _changes(request, model, obj.pk) if obj else [],
        "toggle_url": reverse("rules:reference_set_active", args=[kind, obj.pk]) if obj else "",
    }
    status = 400 if form.is_bound else 200
    return _page(
        request, "rules/form.html", context, section=f"reference_list-{kind}", status=status
    )


@login_required
def reference_create(request: HttpRequest, kind: str) -> HttpResponse:
    return _reference_form(request, kind, None)


@login_required
def reference_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return _reference_form(request, kind, pk)


@require_POST
@login_required
def reference_set_active(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model, _title = _kind(request, kind)
    obj = selectors.reference_row(model, pk)
    if obj is None:
        raise Http404()
    active = request.POST.get("active") == "1"
    try:
        services.reference_update(actor=request.user, obj=obj, data={"is_active": active})
    except KefuError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Reactivated.") if active else _("Deactivated."))
    return redirect("rules:reference_list", kind=kind)


# --- time-limit policies ---


@login_required
def sla_list(request: HttpRequest) -> HttpResponse:
    _need(request, SLA_PERM)
    context = {"policies": list(sla_selectors.policies_list())}
    return _page(request, "rules/sla_list.html", context, section="sla_list")


def _sla_form(request: HttpRequest, pk: int | None) -> HttpResponse:
    _need(request, SLA_PERM)
    policy = None
    if pk is not None:
        policy = sla_selectors.policies_list().filter(pk=pk).first()
        if policy is None:
            raise Http404()
    data = request.POST if request.method == "POST" else None
    form = SlaPolicyForm(data, instance=policy)
    fixed_after_create(form)  # the seeded policies know themselves by code
    if form.is_bound and form.is_valid():
        values = {f: v for f, v in form.cleaned_data.items() if not form.fields[f].disabled}
        try:
            if policy is None:
                services.sla_policy_create(actor=request.user, data=values)
            else:
                services.sla_policy_update(actor=request.user, policy=policy, data=values)
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Saved. Orders taken in from now on use it."))
            return redirect("rules:sla_list")
    context = {
        "form": form,
        "obj": policy,
        "title": _("Time-limit policies"),
        "back": reverse("rules:sla_list"),
        "changes": _changes(request, SlaPolicy, policy.pk) if policy else [],
        "toggle_url": reverse("rules:sla_set_active", args=[policy.pk]) if policy else "",
    }
    status = 400 if form.is_bound else 200
    return _page(request, "rules/form.html", context, section="sla_list", status=status)


@login_required
def sla_create(request: HttpRequest) -> HttpResponse:
    return _sla_form(request, None)


@login_required
def sla_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _sla_form(request, pk)


@require_POST
@login_required
def sla_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    _need(request, SLA_PERM)
    policy = sla_selectors.policies_list().filter(pk=pk).first()
    if policy is None:
        raise Http404()
    active = request.POST.get("active") == "1"
    try:
        services.sla_policy_update(actor=request.user, policy=policy, data={"is_active": active})
    except KefuError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Reactivated.") if active else _("Deactivated."))
    return redirect("rules:sla_list")


# --- notification templates ---


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _need(request, services.MANAGE_REFERENCE_DATA)
    context = {"templates": list(selectors.notification_templates())}
    return _page(request, "rules/template_list.html", context, section="template_list")


def _template(request: HttpRequest, pk: int) -> NotificationTemplate:
    _need(request, services.MANAGE_REFERENCE_DATA)
    template = selectors.notification_templates().filter(pk=pk).first()
    if template is None:
        raise Http404()
    return template


def _preview(template: NotificationTemplate, subject: str, body: str) -> dict:
    try:
        shown_subject, shown_body = template_preview(code=template.code, subject=subject, body=body)
    except KefuError as exc:
        return {"preview_error": exc}
    return {"preview_subject": shown_subject, "preview_body": shown_body}


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template(request, pk)
    if request.method == "POST":
        form = NotificationTemplateForm(request.POST, instance=template)
        active = request.POST.get("is_active") == "on"
        if form.is_valid():
            values = {**form.cleaned_data, "is_active": active}
            try:
                services.notification_template_update(
                    actor=request.user, template=template, data=values
                )
            except KefuError as exc:
                form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
            else:
                messages.success(request, _("Template saved."))
                return redirect("rules:template_edit", pk=pk)
        subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
    else:
        form = NotificationTemplateForm(instance=template)
        subject, body = template.subject, template.body
    context = {
        "form": form,
        "template": template,
        "changes": _changes(request, NotificationTemplate, template.pk),
        **_preview(template, subject, body),
    }
    status = 400 if form.is_bound and form.errors else 200
    return _page(
        request, "rules/template_form.html", context, section="template_list", status=status
    )


@require_POST
@login_required
def template_preview_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview of the subject and body being typed (htmx), rendered with sample values."""
    template = _template(request, pk)
    context = _preview(template, request.POST.get("subject", ""), request.POST.get("body", ""))
    return render(request, "rules/partials/_template_preview.html", context)


# --- the change log ---


_LOG_MODELS = {
    "dispatchrule": DispatchRule,
    "workordertype": WorkOrderType,
    "businessline": BusinessLine,
    "category": Category,
    "slapolicy": SlaPolicy,
    "notificationtemplate": NotificationTemplate,
}


@vary_on_headers("HX-Request")
@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    """规则变更记录: newest first; ?type=dispatchrule&id=3 for one object."""
    if not selectors.can_configure(request.user):
        raise HttpForbidden()
    model = _LOG_MODELS.get(request.GET.get("type", ""))
    raw_id = request.GET.get("id", "")
    object_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 18 else None
    one_rule = model is DispatchRule and object_id is not None
    if one_rule and selectors.dispatch_rule_visible(request.user, object_id) is None:
        raise Http404()
    rows = selectors.rule_changes_visible(
        request.user, model=model, object_id=object_id if model is not None else None
    )
    context = {"page": page_of(rows, request.GET.get("page")), "one_object": object_id is not None}
    if request.htmx:
        return render(request, "rules/partials/_change_rows.html", context)
    return _page(request, "rules/change_list.html", context, section="change_list")


@login_required
def complaint_settings(request: HttpRequest) -> HttpResponse:
    """投诉研判参数: the repeat window and the batch-alert threshold and window."""
    _need(request, services.MANAGE_REFERENCE_DATA)
    current = ComplaintSettings.current()
    form = ComplaintSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.fields}
        try:
            services.complaint_settings_update(actor=request.user, data=data)
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={f: f for f in form.fields})
        else:
            messages.success(request, _("Complaint-intelligence settings saved."))
            return redirect("rules:complaint_settings")
    changes = _changes(request, ComplaintSettings, current.pk) if current.pk else []
    context = {"form": form, "changes": changes}
    status = 400 if form.is_bound and form.errors else 200
    return _page(
        request,
        "rules/complaint_settings.html",
        context,
        section="complaint_settings",
        status=status,
    )
