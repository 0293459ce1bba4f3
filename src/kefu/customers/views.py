"""Customer web pages: search, the 360 page and its forms, reveal, and the access log.

Thin edges: parse input, call one selector or service, render. Every read goes through
kefu.customers.selectors, so the viewer's data scope applies to each page and fragment.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.core import cn_validation as cnv
from kefu.core.errors import KefuError, ValidationFailed
from kefu.core.http import client_ip
from kefu.core.masking import mask_phone
from kefu.customers import selectors, services, services_pii
from kefu.customers.forms import (
    AccessLogFilterForm,
    ChangeRegisterForm,
    CustomerCreateForm,
    CustomerEditForm,
    CustomerSearchForm,
    TierOverrideForm,
)
from kefu.customers.models import Customer, CustomerKind, HistorySource
from kefu.customers.pii import is_phone_account, masked_account
from kefu.customers.validation import FIELD_LABELS
from kefu.org.models import OrgUnit
from kefu.org.scope import scope_for
from kefu.org.selectors import org_units_visible
from kefu.web.errors import form_add_kefu_error, http_errors
from kefu.web.forms import valid_filters
from kefu.web.paging import page_of

HISTORY_LIMIT = 50
ORDERS_LIMIT = 20  # open and past work orders each on the 360 page; the queues list more


# --- list -------------------------------------------------------------------------------


@vary_on_headers("HX-Request")  # same URL, full page or fragment: caches must not mix them
@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    """客户查询: one search box plus filters; htmx requests get only the results fragment."""
    units = list(org_units_visible(request.user).only("pk", "name", "depth"))
    form = CustomerSearchForm(request.GET or None, units=units)
    filters = valid_filters(form)
    qs = selectors.customer_list(viewer=request.user, filters=filters)
    context = {
        "form": form,
        "page": page_of(qs, request.GET.get("page")),
        "searched": bool(filters),
    }
    if request.htmx:
        return render(request, "customers/partials/_customer_rows.html", context)
    return render(request, "customers/customer_list.html", context)


# --- new customer -------------------------------------------------------------------------

SAME_PHONE_LIMIT = 5


def _units_for_new_customer(user) -> list[OrgUnit]:
    """Units a new customer may belong to: those the user's data scope covers (not merely
    their own unit, which scope `own` adds to the visible ones)."""
    scope = scope_for(user)
    units = org_units_visible(user).only("pk", "name", "depth", "path")
    return [u for u in units if scope.covers_unit(u)]


def _same_phone(user, phone: str | None) -> list[Customer]:
    """Customers in the user's scope with this phone (own or further contact), if it is a
    complete number; a few are enough to warn of a likely duplicate."""
    try:
        cnv.normalize_phone(phone or "")
    except cnv.InvalidValue:
        return []
    qs = selectors.customer_list(viewer=user, filters={"phone": phone})
    return list(qs[:SAME_PHONE_LIMIT])


@login_required
@permission_required("customers.add_customer", raise_exception=True)
@http_errors
def customer_create(request: HttpRequest) -> HttpResponse:
    """新建客户: validated by customer_create; errors at the fields they name; on success the
    360 page. A phone another customer in scope already has is warned about, not refused."""
    user = request.user
    units = _units_for_new_customer(user)
    own_unit = user.staff.org_unit_id if hasattr(user, "staff") else None
    initial = {"kind": CustomerKind.INDIVIDUAL}
    if any(u.pk == own_unit for u in units):
        initial["org_unit"] = str(own_unit)
    data = request.POST if request.method == "POST" else None
    # From the workbench (新建客户档案 for an unknown caller): the caller's number is kept,
    # and saving goes back to step 3 of the workbench with the new customer picked.
    for_workbench = (request.POST if data is not None else request.GET).get("for") == "workbench"
    if request.GET.get("phone"):
        initial["phone"] = request.GET["phone"].strip()[:30]
    form = CustomerCreateForm(data, units=units, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            customer = services.customer_create(
                actor=user,
                data=form.customer_data(),
                org_unit=form.cleaned_data["org_unit"],
                products=form.products(),
                tags=form.cleaned_data["tags"],
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels=FIELD_LABELS)
        else:
            messages.success(request, _("Customer created."))
            others = [c for c in _same_phone(user, customer.phone) if c.pk != customer.pk]
            if others:
                messages.warning(
                    request,
                    _("The same phone is on file for: %(customers)s. Check for a duplicate.")
                    % {"customers": "、".join(f"{c.name} ({c.code})" for c in others)},
                )
            if for_workbench:
                query = urlencode({"caller": customer.phone, "customer": customer.pk})
                return redirect(f"{reverse('workorders:workbench')}?{query}")
            return redirect("customers:customer_detail", pk=customer.pk)
    context = {
        "for_workbench": for_workbench,
        "form": form,
        "same_phone": _same_phone(user, request.POST.get("phone")) if form.is_bound else [],
    }
    return render(
        request, "customers/customer_create.html", context, status=400 if form.is_bound else 200
    )


@login_required
@permission_required("customers.add_customer", raise_exception=True)
def customer_same_phone(request: HttpRequest) -> HttpResponse:
    """htmx, as the phone is typed on the new-customer form: who in scope already has it."""
    context = {"same_phone": _same_phone(request.user, request.GET.get("phone"))}
    return render(request, "customers/partials/_same_phone.html", context)


# --- 360 page ---------------------------------------------------------------------------


def _field_of(name: str):
    try:
        return Customer._meta.get_field(name)
    except FieldDoesNotExist:  # history may name a field the model no longer has
        return None


def _history_rows(entries) -> list[dict[str, Any]]:
    """History entries with field labels and readable values (unit and user names)."""
    entries = list(entries)
    unit_ids, user_ids = set(), set()
    for entry in entries:
        for field, (old, new) in entry.changes.items():
            ids = {"org_unit": unit_ids, "manager": user_ids}.get(field)
            if ids is not None:
                ids.update(v for v in (old, new) if v)
    names = {
        "org_unit": dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "name")),
        "manager": {
            pk: first or username
            for pk, first, username in get_user_model()
            .objects.filter(pk__in=user_ids)
            .values_list("pk", "first_name", "username")
        },
    }

    def show(field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if field in names:
            return names[field].get(value, str(value))
        model_field = _field_of(field)
        if model_field is not None and model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        return str(value)

    rows = []
    for entry in entries:
        changes = []
        for field, (old, new) in entry.changes.items():
            if entry.source == HistorySource.CREATE and new in (None, ""):
                continue  # a new record lists what it was created with, not its blanks
            model_field = _field_of(field)
            label = model_field.verbose_name if model_field is not None else field
            changes.append({"label": label, "old": show(field, old), "new": show(field, new)})
        rows.append({"entry": entry, "changes": changes})
    return rows


def _customer_orders(user, customer: Customer) -> dict[str, Any]:
    """The customer's work orders and complaints the viewer may see (the work-order data
    scope, not the customer's): open ones, then the latest finished ones."""
    from kefu.workorders.selectors import work_orders_visible
    from kefu.workorders.transitions import OPEN

    orders = (
        work_orders_visible(user)
        .filter(customer=customer)
        .select_related("order_type", "handling_unit")
        .order_by("-id")
    )
    return {
        "open_orders": list(orders.filter(status__in=list(OPEN))[:ORDERS_LIMIT]),
        "past_orders": list(orders.exclude(status__in=list(OPEN))[:ORDERS_LIMIT]),
        "can_take_order": user.has_perm("workorders.add_workorder"),
    }


def _detail_context(request: HttpRequest, customer: Customer, **forms: Any) -> dict[str, Any]:
    user = request.user
    decision = services.tier_decide(
        kind=customer.kind, monthly_value=customer.monthly_value, gov_series=customer.gov_series
    )
    can_change = user.has_perm("customers.change_customer")
    can_register = user.has_perm("customers.register_change")
    edit_initial = {
        "monthly_value": customer.monthly_value,
        "gov_series": customer.gov_series,
        "tags": ", ".join(t.name for t in customer.tags.all()),
        "version": customer.version,
    }
    history = selectors.customer_history(viewer=user, pk=customer.pk)[:HISTORY_LIMIT]
    contacts = [
        {
            "contact": c,
            "is_phone": c.kind in services.PHONE_CONTACT_KINDS,
            "key": f"contact-{c.pk}",  # DOM ids, as "phone" is for the customer's own phone
            "masked": mask_phone(c.value) if c.kind in services.PHONE_CONTACT_KINDS else "",
        }
        for c in customer.contacts.all()
    ]
    products = [
        {
            "product": p,
            "is_phone": is_phone_account(p.kind),
            "key": f"product-{p.pk}",
            "masked": masked_account(p),
        }
        for p in customer.products.all()
    ]
    return {
        **_customer_orders(user, customer),
        "customer": customer,
        "contacts": contacts,
        "products": products,
        "decision": decision,
        "decision_gap": (
            decision.next_threshold - customer.monthly_value
            if decision.next_threshold is not None
            else None
        ),
        "is_gov": customer.kind == CustomerKind.GOV_ENTERPRISE,
        "can_reveal": user.has_perm("customers.view_pii"),
        # Supervisors see failed identity checks (a caller guessing ID numbers or phones).
        "identity_failures": (
            services_pii.identity_failures_recent(customer)
            if user.has_perm("customers.view_accesslog")
            else 0
        ),
        "can_change": can_change,
        "can_register": can_register,
        "history": _history_rows(history),
        "edit_form": forms.get("edit_form")
        or (CustomerEditForm(initial=edit_initial, customer=customer) if can_change else None),
        "tier_form": forms.get("tier_form")
        or (
            TierOverrideForm(
                initial={"tier": customer.tier_override, "reason": customer.tier_override_reason},
                customer=customer,
            )
            if can_change
            else None
        ),
        "register_form": forms.get("register_form")
        or (ChangeRegisterForm() if can_register else None),
        "open_form": forms.get("open_form", ""),
    }


@login_required
@permission_required("customers.view_customer", raise_exception=True)
@http_errors
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """客户360视图: profile, tier and why, masked contacts, products, tags, history."""
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    return render(request, "customers/customer_detail.html", _detail_context(request, customer))


def _form_failed(request: HttpRequest, customer: Customer, name: str, form) -> HttpResponse:
    context = _detail_context(request, customer, **{name: form, "open_form": name})
    return render(request, "customers/customer_detail.html", context, status=400)


@require_POST
@login_required
@permission_required("customers.change_customer", raise_exception=True)
@http_errors
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    form = CustomerEditForm(request.POST, customer=customer)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.customer_update(
                actor=request.user,
                customer=customer,
                data=data,
                expected_version=form.cleaned_data["version"],
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customers:customer_detail", pk=pk)
    return _form_failed(request, customer, "edit_form", form)


@require_POST
@login_required
@permission_required("customers.change_customer", raise_exception=True)
@http_errors
def customer_tier_override(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    form = TierOverrideForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            services.customer_tier_override(
                actor=request.user,
                customer=customer,
                tier=form.cleaned_data["tier"],
                reason=form.cleaned_data["reason"],
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc)
        else:
            messages.success(request, _("Tier updated."))
            return redirect("customers:customer_detail", pk=pk)
    return _form_failed(request, customer, "tier_form", form)


@require_POST
@login_required
@permission_required("customers.register_change", raise_exception=True)
@http_errors
def customer_change_register(request: HttpRequest, pk: int) -> HttpResponse:
    """客户信息变更登记: applies the change only when the identity check passes."""
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    form = ChangeRegisterForm(request.POST)
    ip = client_ip(request) or None
    if form.is_valid():
        try:
            services_pii.customer_change_register(
                actor=request.user,
                customer=customer,
                changes=form.changes(),
                identity=form.identity(),
                reason=form.cleaned_data["reason"],
                channel=form.cleaned_data["channel"],
                ip=ip,
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc)
        else:
            messages.success(request, _("Change registered and applied."))
            return redirect("customers:customer_detail", pk=pk)
    elif any(form.identity().values()):
        # Checked and logged even though the rest of the form is wrong (see the service).
        try:
            services_pii.customer_identity_check(
                actor=request.user, customer=customer, identity=form.identity(), ip=ip
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc)
    return _form_failed(request, customer, "register_form", form)


@never_cache  # the response carries personal data in clear
@require_POST
@login_required
@http_errors
def customer_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one personal-data field in clear (htmx swap); logged in the access log.

    POST `field` (phone / id_number) for the customer's own, or `contact` (an id) for one
    of their further phone contacts."""
    customer = selectors.customer_get(viewer=request.user, pk=pk)
    contact = request.POST.get("contact", "").strip()
    if contact and not (contact.isdigit() and len(contact) <= 18):
        raise ValidationFailed.for_fields({str(_("Contact")): [_("unknown contact")]})
    product = request.POST.get("product", "").strip()
    if product and not (product.isdigit() and len(product) <= 18):
        raise ValidationFailed.for_fields({str(_("Product")): [_("unknown product")]})
    field = request.POST.get("field", "phone")
    values = services_pii.customer_reveal(
        actor=request.user,
        customer=customer,
        fields=(field,),
        ip=client_ip(request) or None,
        contact_id=int(contact) if contact else None,
        product_id=int(product) if product and not contact else None,
    )
    ((key, value),) = values.items()
    dom_key = key.replace(":", "-")  # contact:7 → contact-7, as the 360 page names it
    context = {"customer": customer, "field": dom_key, "value": value}
    if request.htmx:
        return render(request, "customers/partials/_revealed.html", context)
    messages.info(request, _("Shown in clear and logged: %(value)s") % {"value": value})
    return redirect("customers:customer_detail", pk=pk)


# --- access log -------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@login_required
@permission_required("customers.view_accesslog", raise_exception=True)
def access_log(request: HttpRequest) -> HttpResponse:
    """查阅登记: who revealed or exported personal data, when and from where."""
    form = AccessLogFilterForm(request.GET or None)
    filters = valid_filters(form)
    qs = selectors.access_log_list(
        viewer=request.user,
        filters={
            "action": filters.get("action") or "",
            "actor": filters.get("actor") or "",
            "customer": str(filters.get("customer") or ""),
            "from": filters.get("date_from"),
            "to": filters.get("date_to"),
        },
    )
    context = {"form": form, "page": page_of(qs, request.GET.get("page"))}
    if request.htmx:
        return render(request, "customers/partials/_access_log_rows.html", context)
    return render(request, "customers/access_log.html", context)
