"""Work-order web pages: the agent workbench and the queues (the order page: views_order.py).

Thin edges: parse a form, call one selector or service, render. Every read goes through
kefu.workorders.selectors (or kefu.customers.selectors), so the viewer's data scope
applies to each page and fragment; every write is `work_order_create` or
`work_order_dispatch`, which decide what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from kefu.core.cn_validation import phone_search_key
from kefu.core.errors import Conflict, KefuError
from kefu.customers import selectors as customer_selectors
from kefu.customers.models import Customer
from kefu.org.models import OrgUnit
from kefu.web.errors import form_add_kefu_error, http_errors
from kefu.web.forms import valid_filters
from kefu.web.paging import page_of
from kefu.workorders import actions, selectors, services
from kefu.workorders.arguments import action_arguments
from kefu.workorders.capacity import actor_unit
from kefu.workorders.forms import (
    BulkDispatchForm,
    WorkOrderCreateForm,
    WorkOrderFilterForm,
    handler_choices,
)
from kefu.workorders.models import WorkOrder
from kefu.workorders.transitions import OPEN

LOOKUP_LIMIT = 10  # customer cards for one caller number; more means "search instead"
CARD_ORDERS = 5  # open orders shown on a customer card
CONFLICT_MESSAGE = gettext_lazy(
    "The work order was changed by someone else in the meantime. "
    "Reload the page, check what changed, then try again."
)

QUEUE_LABELS = {
    "mine": gettext_lazy("My to-do"),  # 我的待办
    "accepted_by_me": gettext_lazy("Accepted by me"),  # 我受理的 (首问负责)
    "unit": gettext_lazy("My unit"),  # 本单位
    "dispatch": gettext_lazy("To dispatch"),  # 待派单
    "warning": gettext_lazy("Warning"),  # 预警
    "overdue": gettext_lazy("Overdue"),  # 超时
    "open": gettext_lazy("All open"),  # 全部在办
    "all": gettext_lazy("All"),  # 全部
}


# --- guarded neighbours ----------------------------------------------------------------
# The outage and SLA apps are built alongside this one; the workbench must work before
# (and without) them, so their selectors are imported when called, and only a missing
# module is tolerated — any error inside them still surfaces. (SLA: views_order.sla_clocks.)


def active_outages(unit: OrgUnit | None) -> list[Any]:
    """Active outage notices 故障通告 covering `unit`, if the outage app is installed."""
    if unit is None:
        return []
    try:
        from kefu.outages.selectors import active_outages_for_unit
    except ImportError:
        return []
    return list(active_outages_for_unit(unit))


def linkable_outages(order: WorkOrder) -> list[Any]:
    """Active outages a new fault report fits (its area, its line), to suggest linking."""
    try:
        from kefu.outages.selectors import outages_for_order
    except ImportError:
        return []
    return list(outages_for_order(order))


# --- helpers -----------------------------------------------------------------------------


def _caller(raw: str | None) -> str:
    """The caller number as typed or popped by the CTI, digits only, else ""."""
    key = phone_search_key(raw or "")[:20]
    return key if key.isdigit() and len(key) >= 5 else ""


def _target_units(viewer) -> list[OrgUnit]:
    """Units an order can be sent to from this viewer's desk (selectors.target_units):
    the same on the order page and in bulk dispatch, and what the services accept."""
    return list(selectors.target_units(viewer))


@dataclass
class CustomerCard:
    customer: Customer
    open_orders: list[WorkOrder]
    outages: list[Any] = field(default_factory=list)
    recent_orders: list[WorkOrder] = field(default_factory=list)  # finished, latest first


def _cards(viewer, customers: list[Customer]) -> list[CustomerCard]:
    cards = []
    visible = selectors.work_orders_visible(viewer)
    for customer in customers:
        orders = list(
            visible.filter(customer=customer, status__in=list(OPEN))
            .select_related("order_type")
            .order_by("-id")[:CARD_ORDERS]
        )
        recent = list(
            visible.filter(customer=customer)
            .exclude(status__in=list(OPEN))
            .select_related("order_type")
            .order_by("-id")[:CARD_ORDERS]
        )
        cards.append(CustomerCard(customer, orders, active_outages(customer.org_unit), recent))
    return cards


# --- workbench ---------------------------------------------------------------------------


@vary_on_headers("HX-Request")
@login_required
@permission_required("workorders.add_workorder", raise_exception=True)
@http_errors
def workbench(request: HttpRequest) -> HttpResponse:
    """坐席工作台: caller number → customer → new order, on one page.

    The CTI screen-pop opens /workbench/?caller=<number>. Step 1 looks the number up
    among the customers in the agent's scope; step 2 picks one (or none); step 3 is the
    order form, which posts here and lands on the new order. htmx swaps the steps in
    place; without JavaScript the same links and forms work as plain requests.
    """
    user = request.user
    data = request.POST if request.method == "POST" else request.GET
    caller_raw = (data.get("caller") or "").strip()[:30]
    caller = _caller(caller_raw)
    customer_key = (data.get("customer") or "").strip()
    customer, no_customer = None, customer_key == "none"
    if customer_key.isdigit() and len(customer_key) <= 18:
        customer = (
            customer_selectors.customers_visible(user)
            .select_related("org_unit")
            .filter(pk=int(customer_key))
            .first()
        )
        if customer is None:
            messages.error(request, _("That customer is not in your data scope."))

    form = None
    if customer is not None or no_customer:
        form = WorkOrderCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            order = services.work_order_create(
                actor=user,
                order_type=form.cleaned_data["order_type"],
                channel=form.cleaned_data["channel"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                customer=customer,
                business_line=form.cleaned_data["business_line"],
                source=form.cleaned_data["source"],
                category=form.cleaned_data["category"],
                caller_phone=caller,
                contact_name=form.cleaned_data["contact_name"],
                is_difficult=form.cleaned_data["is_difficult"],
                resolve_at_intake=form.cleaned_data["resolve_at_intake"],
                resolve_details=form.resolve_details(),
            )
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels={n: n for n in form.fields})
        else:
            messages.success(
                request, _("Work order %(number)s accepted.") % {"number": order.number}
            )
            for outage in linkable_outages(order):
                # At intake: a fault report from an affected area is suggested for linking.
                messages.warning(
                    request,
                    _(
                        "The customer's area is affected by the mass outage “%(title)s” "
                        "(expected restore %(eta)s): link this order to it under “Active "
                        "outages in the area”, and the customer is texted."
                    )
                    % {
                        "title": outage.title,
                        "eta": timezone.localtime(outage.expected_restore_at).strftime(
                            "%Y-%m-%d %H:%M"
                        ),
                    },
                )
            return redirect("workorders:workorder_detail", number=order.number)

    can_search = user.has_perm("customers.view_customer")
    matches: list[Customer] = []
    if caller and can_search and customer is None:
        qs = customer_selectors.customer_list(viewer=user, filters={"phone": caller})
        matches = list(qs[: LOOKUP_LIMIT + 1])
    context = {
        "caller": caller,
        "caller_raw": caller_raw,
        "caller_invalid": bool(caller_raw) and not caller,
        "can_search": can_search,
        "cards": _cards(user, matches[:LOOKUP_LIMIT]),
        "more_matches": len(matches) > LOOKUP_LIMIT,
        "customer": customer,
        "customer_card": _cards(user, [customer])[0] if customer is not None else None,
        "no_customer": no_customer,
        "form": form,
        "area_outages": active_outages(actor_unit(user)),
        "step": 3 if form is not None else (2 if caller else 1),
    }
    status = 400 if request.method == "POST" else 200
    if request.htmx and request.method == "GET":
        return render(request, "workorders/partials/_workbench_steps.html", context)
    return render(request, "workorders/workbench.html", context, status=status)


# --- queues ------------------------------------------------------------------------------


ALERT_QUEUES = ("warning", "overdue")  # tabs that show how many orders wait in them
ALERT_CAP = 99


def _alert_counts(user) -> dict[str, str]:
    """How many orders are in warning and overdue, capped ("99+"): a LIMITed count reads
    at most a hundred rows, not the whole scope."""
    counts = {}
    for queue in ALERT_QUEUES:
        qs = selectors.work_order_list(viewer=user, queue=queue).order_by()
        n = qs.values("pk")[: ALERT_CAP + 1].count()
        if n:
            counts[queue] = f"{ALERT_CAP}+" if n > ALERT_CAP else str(n)
    return counts


def _default_queue(user) -> str:
    if user.has_perm("workorders.handle_workorder"):
        return "mine"
    if user.has_perm("workorders.dispatch_workorder"):
        return "dispatch"
    if user.has_perm("workorders.add_workorder"):
        return "accepted_by_me"
    return "open"


def _ordering(request: HttpRequest) -> str:
    """The column sort asked for, if it is one the lists know ("": the queue's default)."""
    value = request.GET.get("ordering") or ""
    return value if value.lstrip("-") in selectors.ORDERINGS else ""


def _sort_links(request: HttpRequest, queue: str, ordering: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it (the other way round if it is the
    current sort), and its aria-sort state. Filters stay; the page goes back to the first."""
    current = ordering or ("due_at" if queue in selectors.DUE_QUEUES else "-created_at")
    links = {}
    for name in selectors.ORDERINGS:
        if current == name:
            state, target = "ascending", f"-{name}"
        elif current == f"-{name}":
            state, target = "descending", name
        else:
            state, target = "none", f"-{name}" if name == "created_at" else name
        query = request.GET.copy()
        query.pop("page", None)
        query["queue"], query["ordering"] = queue, target
        links[name] = {"href": "?" + query.urlencode(), "state": state}
    return links


@vary_on_headers("HX-Request")
@login_required
@http_errors
def workorder_list(request: HttpRequest) -> HttpResponse:
    """工单队列: my to-do, accepted by me, my unit, to dispatch, warning, overdue, open, all."""
    user = request.user
    queue = request.GET.get("queue") or _default_queue(user)
    if queue not in selectors.QUEUES:
        queue = _default_queue(user)
    form = WorkOrderFilterForm(request.GET or None)
    filters = valid_filters(form)
    ordering = _ordering(request)
    qs = selectors.work_order_list(viewer=user, queue=queue, filters=filters, ordering=ordering)
    can_bulk = queue == "dispatch" and user.has_perm("workorders.dispatch_workorder")
    context = {
        "queue": queue,
        "ordering": ordering,
        "sorts": _sort_links(request, queue, ordering),
        "page": page_of(qs, request.GET.get("page")),
        "searched": bool(filters),
        "can_bulk": can_bulk,
    }
    if request.htmx:
        return render(request, "workorders/partials/_queue_rows.html", context)
    counts = _alert_counts(user)
    context["form"] = form
    context["queues"] = [
        (key, label, "?" + urlencode({"queue": key}), counts.get(key))
        for key, label in QUEUE_LABELS.items()
    ]
    context["bulk_form"] = BulkDispatchForm(units=_target_units(user)) if can_bulk else None
    return render(request, "workorders/workorder_list.html", context)


@require_POST
@login_required
@permission_required("workorders.dispatch_workorder", raise_exception=True)
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """批量派单: dispatch each ticked order on its own, so one that cannot go (changed in the
    meantime, no longer waiting, out of scope) is reported and the others still go."""
    user = request.user
    form = BulkDispatchForm(request.POST, units=_target_units(user))
    back = reverse("workorders:workorder_list") + "?" + urlencode({"queue": "dispatch"})
    if not form.is_valid():
        for field_name, errors in form.errors.items():
            label = form.fields[field_name].label if field_name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    refs = dict(form.cleaned_data["orders"])
    orders = {o.pk: o for o in selectors.work_orders_visible(user).filter(pk__in=list(refs))}
    try:
        target = action_arguments(
            user, {"unit": form.cleaned_data["unit"], "handler": form.cleaned_data["handler"]}
        )
    except KefuError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    done, failed = [], []
    for pk, version in refs.items():
        order = orders.get(pk)
        if order is None:
            failed.append((f"#{pk}", str(_("Not found, or outside your data scope."))))
            continue
        try:
            actions.work_order_dispatch(actor=user, order=order, expected_version=version, **target)
        except Conflict:
            failed.append((order.number, str(CONFLICT_MESSAGE)))
        except KefuError as exc:
            failed.append((order.number, str(exc.message)))
        else:
            done.append(order.number)
    if done:
        messages.success(
            request,
            _("Dispatched %(count)d work order(s): %(numbers)s")
            % {"count": len(done), "numbers": "、".join(done)},
        )
    for number, message in failed:
        messages.error(
            request,
            _("Work order %(number)s was not dispatched: %(message)s")
            % {"number": number, "message": message},
        )
    return redirect(back)


@login_required
def handler_options(request: HttpRequest) -> HttpResponse:
    """htmx: the <option>s of the handler select for the chosen unit (people on leave and
    people without the handling permission are not offered)."""
    perms = ("dispatch_workorder", "handle_workorder", "supervise_workorder")
    if not any(request.user.has_perm(f"workorders.{p}") for p in perms):
        raise HttpForbidden()
    raw = request.GET.get("unit") or next(
        (v for k, v in request.GET.items() if k.endswith("-unit")), ""
    )
    choices = handler_choices(raw, viewer=request.user)
    options = format_html_join("", '<option value="{}">{}</option>', choices)
    return HttpResponse(options)
