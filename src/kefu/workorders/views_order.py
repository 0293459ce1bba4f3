"""The work-order page 工单详情 and its actions: every field, the time limits, the timeline.

Thin edges, as in views.py: every read goes through kefu.workorders.selectors, so the
viewer's data scope applies; every write is `work_order_act` or `work_order_correct`,
which decide what is allowed. A stale form answers 409 with CONFLICT_MESSAGE.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.core.errors import Conflict, KefuError, NotFound
from kefu.customers import selectors as customer_selectors
from kefu.web.errors import form_add_kefu_error, http_errors
from kefu.workorders import actions, contact, selectors, services
from kefu.workorders.arguments import action_arguments
from kefu.workorders.forms import (
    ACTION_FORMS,
    UNIT_ACTIONS,
    CorrectionForm,
    action_form,
)
from kefu.workorders.models import Status, WorkOrder
from kefu.workorders.transitions import State, action_label
from kefu.workorders.views import CONFLICT_MESSAGE, _target_units, active_outages

DETAIL_RELATED = (
    "order_type",
    "business_line",
    "customer",
    "customer__org_unit",
    "owner",
    "handler",
    "area_unit",
    "area_unit__parent",
    "accepting_unit",
    "dispatching_unit",
    "handling_unit",
    "supervising_unit",
    "escalated_to",
    "category",
    "category__parent",
    "cause",
    "cause__parent",
    "responsible_unit",
    "merged_into",
)


# The SLA app is built alongside this one (see the guarded neighbours in views.py): its
# selectors are imported when called, and only a missing module is tolerated.


def sla_clocks(order: WorkOrder) -> list[dict[str, Any]]:
    """The order's time-limit clocks 时限 (first contact, resolution, reply) as
    kefu.sla.selectors.countdown gives them, if the SLA app is installed."""
    try:
        from kefu.sla.selectors import clocks_finished, countdown
    except ImportError:
        return []
    # The live clocks and those that ended met or late (按时完成 / 超时完成), in order.
    return sorted([*countdown(order), *clocks_finished(order)], key=lambda c: c["id"])


def _order_or_404(viewer, number: str) -> WorkOrder:
    if not (number.isascii() and number.isdigit()) or len(number) > 32:
        raise Http404()  # not a number: a NUL byte would even be a database error
    order = (
        selectors.work_orders_visible(viewer)
        .select_related(*DETAIL_RELATED)
        .filter(number=number)
        .first()
    )
    if order is None:
        raise Http404()
    return order


def _status_label(value: str) -> str:
    if not value:
        return ""
    try:
        return str(Status(value).label)
    except ValueError:
        return value


EVENT_DETAIL_LABELS = {
    "unit": gettext_lazy("Unit"),
    "from_unit": gettext_lazy("From unit"),
    "handler": gettext_lazy("Handler"),
    "from_handler": gettext_lazy("From handler"),
    "rule": gettext_lazy("Dispatch rule"),
    "target": gettext_lazy("Other order"),
    "level": gettext_lazy("Escalation level"),
    "count": gettext_lazy("Times urged"),
    "units": gettext_lazy("Units"),
}


def _timeline(order: WorkOrder) -> list[dict[str, Any]]:
    from kefu.workorders.customer_notice import delivery_details

    rows = []
    events = list(selectors.order_timeline(order))
    deliveries = delivery_details(events)
    for event in events:
        details = []
        for key, label in EVENT_DETAIL_LABELS.items():
            value = (event.data or {}).get(key)
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                value = "、".join(str(v) for v in value)
            details.append((label, value))
        if (event.data or {}).get("first_contact_resolution"):
            details.append((_("First contact"), _("resolved at first contact")))
        details.extend(deliveries.get(event.pk, ()))
        rows.append(
            {
                "event": event,
                "label": action_label(event.action),
                "from_label": _status_label(event.from_status),
                "to_label": _status_label(event.to_status),
                "moved": event.from_status and event.from_status != event.to_status,
                "details": details,
            }
        )
    return rows


def next_step_text(order: WorkOrder) -> str:
    """What the order waits for, in one line (shown under the status)."""
    state = order.status
    callback = order.order_type.needs_callback
    if state in (State.ACCEPTED, State.RETURNED, State.REOPENED):
        return _("Waiting to be dispatched.")
    if state == State.DISPATCHED:
        return _("Dispatched; waiting for the handling unit to take it on.")
    if state == State.IN_PROGRESS:
        return _("Being handled.")
    if state == State.SUSPENDED:
        return _("Suspended; the time limits are paused.")
    if state == State.RESOLVED:
        if callback:
            return _("Resolved; awaiting the reply to the customer, then the callback.")
        return _("Resolved; awaiting the reply to the customer.")
    if state == State.REPLIED:
        if callback:
            return _("Replied; awaiting the callback and closing.")
        return _("Replied; awaiting closing.")
    return ""


def _detail_context(
    request: HttpRequest, order: WorkOrder, bound=None, bound_action: str = ""
) -> dict[str, Any]:
    user = request.user
    actions = selectors.actions_for(user, order)
    if bound_action and bound_action not in actions and bound_action != "correct":
        actions = [*actions, bound_action]  # keep the failed form on screen with its error
    units = _target_units(user) if UNIT_ACTIONS & set(actions) else []
    forms = []
    for action in actions:
        form = bound if action == bound_action else action_form(action, order=order, units=units)
        forms.append(
            {
                "action": action,
                "label": action_label(action),
                "form": form,
                "open": action == bound_action,
            }
        )
    forms.extend(_correction_form(user, order, bound if bound_action == "correct" else None))
    visible = selectors.work_orders_visible(user)
    customer = order.customer
    can_open_customer = (
        customer is not None
        and user.has_perm("customers.view_customer")
        and customer_selectors.customers_visible(user).filter(pk=customer.pk).exists()
    )
    repeat_of = None
    if order.is_repeat:
        # The repeat-complaint badge links to the complaint it repeats (when visible).
        created = order.events.filter(action="create").values_list("data", flat=True).first()
        number = (created or {}).get("repeat_of")
        repeat_of = {"number": number, "visible": visible.filter(number=number).exists()}
    return {
        "order": order,
        "repeat_of": repeat_of,
        "status_label": _status_label(order.status),
        "next_step": next_step_text(order),
        "action_forms": forms,
        "timeline": _timeline(order),
        "clocks": sla_clocks(order),
        "co_handlings": list(order.co_handlings.select_related("unit", "done_by")),
        "attachments": list(order.attachments.all()),
        "related": list(visible.filter(pk__in=order.related.values("pk")).order_by("-id")),
        "merged": list(visible.filter(merged_into=order).order_by("-id")),
        "can_open_customer": can_open_customer,
        "can_reveal_contact": contact.can_reveal_contact(user, order),
        "contact_number": contact.work_order_contact_number(order),
        "outages": active_outages(order.area_unit) if order.is_open else [],
    }


def _correction_form(user, order: WorkOrder, bound=None) -> list[dict[str, Any]]:
    """The 更正 form, for those who may correct the order (kept open when it failed)."""
    if bound is None and not services.can_correct(user, order):
        return []
    form = bound or CorrectionForm(
        prefix="correct", order=order, viewer=user, initial={"version": order.version}
    )
    label = action_label("correct")
    return [{"action": "correct", "label": label, "form": form, "open": bound is not None}]


def _correct(request: HttpRequest, order: WorkOrder) -> HttpResponse:
    """更正 from the order page: back to the page (its timeline lists old → new) or the
    form with its errors (409 when the order changed since the page was read)."""
    form = CorrectionForm(request.POST, prefix="correct", order=order, viewer=request.user)
    status = 400
    if form.is_valid():
        data = form.service_data()
        try:
            services.work_order_correct(
                actor=request.user,
                order=order,
                changes=data,
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            form.add_error(None, CONFLICT_MESSAGE)
            status = 409
        except NotFound:
            raise
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels=form.field_names)
        else:
            messages.success(request, _("Recorded: %(action)s.") % {"action": _("Correct")})
            return redirect("workorders:workorder_detail", number=order.number)
    context = _detail_context(request, order, bound=form, bound_action="correct")
    return render(request, "workorders/workorder_detail.html", context, status=status)


@login_required
@http_errors
def workorder_detail(request: HttpRequest, number: str) -> HttpResponse:
    """工单详情: every field, the time limits, the full timeline and the possible actions."""
    order = _order_or_404(request.user, number)
    return render(request, "workorders/workorder_detail.html", _detail_context(request, order))


@require_POST
@login_required
@http_errors
def workorder_act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One lifecycle action from its form on the order page; back to the page on success,
    the page with the form and its errors otherwise (409 when the order changed since)."""
    order = _order_or_404(request.user, number)
    if action == "correct":
        return _correct(request, order)
    if action not in ACTION_FORMS:  # "create", and the system's own (hand_back)
        raise Http404()
    units = _target_units(request.user) if action in UNIT_ACTIONS else []
    form = action_form(action, order=order, units=units, data=request.POST)
    status = 400
    if form.is_valid():
        try:
            actions.work_order_act(
                actor=request.user,
                order=order,
                action=action,
                data=action_arguments(request.user, form.service_data()),
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            form.add_error(None, CONFLICT_MESSAGE)
            status = 409
        except NotFound:
            raise
        except KefuError as exc:
            form_add_kefu_error(form, exc, field_labels=form.field_names)
        else:
            messages.success(
                request,
                _("Recorded: %(action)s.") % {"action": action_label(action)},
            )
            return redirect("workorders:workorder_detail", number=order.number)
    context = _detail_context(request, order, bound=form, bound_action=action)
    return render(request, "workorders/workorder_detail.html", context, status=status)
