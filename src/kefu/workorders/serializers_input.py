"""Input serializers of the work-order API 工单: the shape of what goes in.

They check shape only (types, lengths, known codes) and hand plain arguments to
`services`, which decide; codes and ids are resolved to records inside the actor's data
scope. The output serializers are in `kefu.workorders.serializers`.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from kefu.core.api import MAX_PK
from kefu.core.cn_validation import InvalidValue, normalize_phone
from kefu.core.errors import ValidationFailed
from kefu.customers.selectors import customer_visible
from kefu.org.selectors import org_units_visible
from kefu.workorders import actions, selectors
from kefu.workorders.arguments import action_arguments
from kefu.workorders.models import (
    Category,
    CategoryKind,
    Channel,
    ComplaintSource,
    Remedy,
    Status,
)

_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
_TEXT_MAX = actions.TEXT_MAX
_MAX_VERSION = 2**31 - 1


def invalid(field: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed.for_fields({field: [message or _("Choose a valid option.")]})


def _id(text: str | None) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_PK, help_text=text
    )


def _text(max_length: int = _TEXT_MAX, text: str | None = None) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, help_text=text
    )


class CategoryFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CategoryKind.choices, required=False, help_text="problem or cause."
    )
    parent = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Children of this category."
    )


class WorkOrderFilterSerializer(serializers.Serializer):
    """Query parameters of the list; the selector interprets them."""

    queue = serializers.ChoiceField(
        choices=[(q, q) for q in selectors.QUEUES],
        required=False,
        default="all",
        help_text=(
            "mine: assigned to me or my unit's unassigned; accepted_by_me: I took it in "
            "(首问); unit: open in my unit; dispatch: waiting for dispatch; warning / "
            "overdue: open and near / past the time limit; open; all (default)."
        ),
    )
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    type = serializers.RegexField(
        _CODE, max_length=40, required=False, help_text="Work-order type code, e.g. complaint."
    )
    business_line = serializers.RegexField(
        _CODE, max_length=40, required=False, help_text="Business-line code, e.g. broadband."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    number = serializers.RegexField(r"^[0-9A-Za-z-]{1,32}$", required=False)
    customer = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Customer id."
    )
    complaint = serializers.BooleanField(
        required=False, default=None, allow_null=True, help_text="true: complaints only."
    )
    handling_unit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Handling unit id."
    )
    area = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Area unit id, with its subtree."
    )
    created_from = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD).")
    created_to = serializers.DateField(required=False, help_text="Last day, included.")
    ordering = serializers.ChoiceField(
        choices=[(o, o) for name in selectors.ORDERINGS for o in (name, f"-{name}")],
        required=False,
        help_text=(
            "Sort: due_at (earliest due first, overdue on top, none last; the default of "
            "mine, unit, dispatch, warning, overdue and open), created_at (accept order; "
            "-created_at, newest first, is the default of accepted_by_me and all), number, "
            "status. A leading - reverses. Ties are broken by id, so pages are stable."
        ),
    )


def as_filters(data: dict[str, Any]) -> dict[str, str]:
    """Selectors take filters as strings, as they arrive from a query string or a form."""
    out = {}
    for key, value in data.items():
        if key in ("queue", "ordering") or value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else ""
        out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out


class WorkOrderCreateSerializer(serializers.Serializer):
    """Content rules (lengths, scope, states) are the service's; this checks shape only."""

    order_type = serializers.RegexField(
        _CODE, max_length=40, help_text="Type code, e.g. complaint (see /work-order-types/)."
    )
    business_line = serializers.RegexField(
        _CODE,
        max_length=40,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Business-line code, e.g. broadband.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    source = serializers.ChoiceField(
        choices=ComplaintSource.choices,
        required=False,
        default=ComplaintSource.DIRECT,
        help_text="Complaints: anything but direct makes an escalated complaint (越级).",
    )
    title = serializers.CharField(max_length=actions.TITLE_MAX)
    description = _text()
    customer = _id("Customer id, within your data scope.")
    category = _id("Problem category id (kind problem).")
    caller_phone = _text(30, "Mobile or landline with area code; stored normalised.")
    contact_name = _text(50)
    is_difficult = serializers.BooleanField(required=False, default=False)
    area_unit = _id("Area unit id when there is no customer; defaults to your unit.")
    resolve_at_intake = _text(
        text="A resolution: the order is resolved on the spot (first-contact resolution)."
    )
    cause = _id("With resolve_at_intake, complaints (required): cause category id.")
    justified = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="With resolve_at_intake, complaints (required): 有理由 true / 无理由 false.",
    )


class WorkOrderActionSerializer(serializers.Serializer):
    """What the actions take; each action reads the fields it needs (see docs/api.md)."""

    unit = _id("dispatch, transfer: the handling unit id.")
    handler = _id("dispatch, transfer: a person in that unit (optional).")
    reason = _text(text="transfer, return, suspend, cancel, escalate, reopen.")
    note = _text(text="note (required); optional for most other actions.")
    resolution = _text(text="resolve.")
    cause = _id("resolve (complaints): cause category id.")
    justified = serializers.BooleanField(
        required=False, allow_null=True, help_text="resolve (complaints): 有理由 / 无理由."
    )
    remedy = serializers.ChoiceField(
        choices=Remedy.choices,
        required=False,
        allow_blank=True,
        help_text="resolve (complaints): the remedy claimed.",
    )
    responsible_unit = _id("resolve (complaints): responsible unit id.")
    responsible_person = _text(50, "resolve (complaints).")
    reply = _text(text="reply.")
    target = serializers.RegexField(
        r"^[0-9]{1,32}$",
        required=False,
        help_text="merge, link: the other order's id or number.",
    )
    units = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_PK),
        required=False,
        max_length=20,
        help_text="co_handle: unit ids invited to co-handle.",
    )
    part = _text(text="co_handle_done: your unit's part.")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=_MAX_VERSION,
        help_text="The version you read; a different current version answers 409 conflict.",
    )


def _lookup(active: dict, field: str, code: str | None):
    if not code:
        return None
    if code not in active:
        raise invalid(field)
    return active[code]


def create_arguments(actor, data: dict[str, Any]) -> dict[str, Any]:
    """Codes and ids resolved to records, each only inside what the actor may see."""
    args: dict[str, Any] = {
        key: data[key]
        for key in (
            "channel",
            "source",
            "title",
            "description",
            "contact_name",
            "is_difficult",
            "resolve_at_intake",
        )
        if key in data
    }
    args["order_type"] = _lookup(selectors.active_types(), "order_type", data["order_type"])
    line = data.get("business_line")
    args["business_line"] = _lookup(selectors.active_business_lines(), "business_line", line)
    if data.get("customer"):
        # A customer outside the scope reads as one that does not exist.
        args["customer"] = customer_visible(actor, data["customer"])
        if args["customer"] is None:
            raise invalid("customer", _("No such customer."))
    if data.get("category"):
        args["category"] = Category.objects.filter(
            pk=data["category"], kind=CategoryKind.PROBLEM, is_active=True
        ).first()
        if args["category"] is None:
            raise invalid("category")
    if data.get("area_unit"):
        args["area_unit"] = (
            org_units_visible(actor).filter(pk=data["area_unit"], is_active=True).first()
        )
        if args["area_unit"] is None:
            raise invalid("area_unit")
    details = {k: data[k] for k in ("cause", "justified") if data.get(k) is not None}
    if details:
        args["resolve_details"] = action_arguments(actor, details)
    if data.get("caller_phone"):
        try:
            args["caller_phone"] = normalize_phone(data["caller_phone"])
        except InvalidValue:
            raise invalid("caller_phone", _("Not a valid phone number.")) from None
    return args


class WorkOrderCorrectionSerializer(serializers.Serializer):
    """更正: the fields to correct (any subset) and the version read."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=_MAX_VERSION,
        help_text="The version you read; a different current version answers 409 conflict.",
    )
    order_type = serializers.RegexField(_CODE, max_length=40, required=False)
    business_line = serializers.RegexField(
        _CODE, max_length=40, required=False, allow_blank=True, allow_null=True
    )
    customer = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_PK,
        help_text="Customer id, within your data scope; null: no customer record.",
    )
    title = serializers.CharField(max_length=actions.TITLE_MAX, required=False)
    description = _text()


def correction_changes(actor, data: dict[str, Any]) -> dict[str, Any]:
    """Codes and ids resolved to records, each only inside what the actor may see."""
    changes: dict[str, Any] = {k: data[k] for k in ("title", "description") if k in data}
    if "order_type" in data:
        changes["order_type"] = _lookup(selectors.active_types(), "order_type", data["order_type"])
    if "business_line" in data:
        line = data["business_line"]
        changes["business_line"] = _lookup(selectors.active_business_lines(), "business_line", line)
    if "customer" in data:
        changes["customer"] = None
        if data["customer"] is not None:
            # A customer outside the scope reads as one that does not exist.
            changes["customer"] = customer_visible(actor, data["customer"])
            if changes["customer"] is None:
                raise invalid("customer", _("No such customer."))
    return changes
