"""REST API of work orders 工单 and their reference data (types, business lines, categories).

Thin edges: serializers check the shape of the input, `services` decide and write,
`selectors` read inside the caller's data scope. An order outside the scope answers 404
exactly like one that does not exist. Caller numbers leave this module masked.

List rows are deliberately lean (WorkOrderSummarySerializer): one query with joins for a
page, no per-row permission or count queries, so a page stays fast over millions of orders.
The detail carries everything, including the actions the caller may take now.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kefu.core.api import (
    MAX_PK,
    LabelField,
    Pagination,
    ReusedFieldsMixin,
    error_responses,
    flatten_errors,
    require_perms,
)
from kefu.core.cn_validation import InvalidValue, normalize_phone
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.http import client_ip
from kefu.core.idempotency import (
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    idempotent,
)
from kefu.core.masking import mask_phone
from kefu.core.parsers import JSONParser
from kefu.customers.models import Customer
from kefu.customers.selectors import customer_visible
from kefu.notify.models import MessageStatus
from kefu.org.models import OrgUnit
from kefu.org.selectors import org_units_visible
from kefu.sla import selectors as sla_selectors
from kefu.sla.api import SlaClockSerializer
from kefu.workorders import selectors, services
from kefu.workorders.attachments import attachment_file, attachment_response
from kefu.workorders.contact import work_order_contact_reveal
from kefu.workorders.customer_notice import delivery_states, not_sent_reason
from kefu.workorders.models import (
    Attachment,
    BusinessLine,
    Category,
    CategoryKind,
    Channel,
    CoHandling,
    ComplaintSource,
    Remedy,
    Status,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)
from kefu.workorders.transitions import ACTIONS

_CODE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
_TEXT_MAX = services.TEXT_MAX
_MAX_VERSION = 2**31 - 1

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


def _parse(serializer: serializers.Serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        raise ValidationFailed.for_fields(flatten_errors(serializer.errors))
    return serializer.validated_data


def _invalid(field: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed.for_fields({field: [message or _("Choose a valid option.")]})


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _id(text: str | None) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_PK, help_text=text
    )


def _text(max_length: int = _TEXT_MAX, text: str | None = None) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_blank=True, max_length=max_length, help_text=text
    )


# --- reference data ---------------------------------------------------------------------


class WorkOrderTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkOrderType
        fields = [
            "id",
            "code",
            "name",
            "is_complaint",
            "is_fault",
            "is_internal",
            "needs_callback",
        ]
        read_only_fields = fields


class BusinessLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BusinessLine
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    kind_display = LabelField(CategoryKind.choices, source="kind")
    full_name = serializers.SerializerMethodField(help_text="Parent / name.")

    class Meta:
        model = Category
        fields = ["id", "kind", "kind_display", "code", "name", "parent", "full_name"]
        read_only_fields = fields

    def get_full_name(self, obj: Category) -> str:
        return str(obj)


class CategoryFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CategoryKind.choices, required=False, help_text="problem or cause."
    )
    parent = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Children of this category."
    )


class _ReferenceViewSet(viewsets.GenericViewSet):
    """Configuration every staff member may read; only active entries are listed."""

    permission_classes = [require_perms("workorders.view_workorder")]
    filter_backends: list = []
    model: type = WorkOrderType

    def rows(self, request: Request):
        return self.model.objects.filter(is_active=True)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.rows(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Work-order types (咨询, 投诉, 故障申告 …)",
        responses={200: WorkOrderTypeSerializer(many=True), **_READ_ERRORS},
    )
)
@extend_schema(tags=["work orders"])
class WorkOrderTypeViewSet(_ReferenceViewSet):
    queryset = WorkOrderType.objects.none()
    serializer_class = WorkOrderTypeSerializer
    model = WorkOrderType


@extend_schema_view(
    list=extend_schema(
        summary="Business lines (宽带, 固话, 移动 …)",
        responses={200: BusinessLineSerializer(many=True), **_READ_ERRORS},
    )
)
@extend_schema(tags=["work orders"])
class BusinessLineViewSet(_ReferenceViewSet):
    queryset = BusinessLine.objects.none()
    serializer_class = BusinessLineSerializer
    model = BusinessLine


@extend_schema_view(
    list=extend_schema(
        summary="Problem categories and causes (问题分类 / 原因分类), as a flat list",
        parameters=[CategoryFilterSerializer],
        responses={200: CategorySerializer(many=True), **_READ_ERRORS},
    )
)
@extend_schema(tags=["work orders"])
class CategoryViewSet(_ReferenceViewSet):
    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    model = Category

    def rows(self, request: Request):
        filters = _parse(CategoryFilterSerializer(data=request.query_params))
        rows = Category.objects.filter(is_active=True).select_related("parent")
        if "kind" in filters:
            rows = rows.filter(kind=filters["kind"])
        if "parent" in filters:
            rows = rows.filter(parent_id=filters["parent"])
        return rows


# --- output -----------------------------------------------------------------------------


class WorkOrderSummarySerializer(ReusedFieldsMixin, serializers.Serializer):
    """A list row. Everything comes from the row and its joined type, customer, unit and
    handler: no query per row."""

    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)
    order_type = serializers.CharField(source="order_type.code", read_only=True)
    order_type_name = serializers.CharField(source="order_type.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text="See status_display.")
    status_display = LabelField(Status.choices, source="status")
    title = serializers.CharField(read_only=True)
    is_complaint = serializers.BooleanField(read_only=True)
    customer = serializers.IntegerField(source="customer_id", read_only=True, allow_null=True)
    customer_name = serializers.SerializerMethodField()
    caller_phone = serializers.SerializerMethodField(help_text="Masked, e.g. 138****5678.")
    handling_unit = serializers.IntegerField(
        source="handling_unit_id", read_only=True, allow_null=True
    )
    handling_unit_name = serializers.SerializerMethodField()
    handler = serializers.IntegerField(source="handler_id", read_only=True, allow_null=True)
    handler_name = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    provisional = serializers.BooleanField(
        source="due_provisional",
        read_only=True,
        help_text="due_at is provisional (暂定): a calendar year it runs into has no holiday "
        "data yet, so it was counted on weekends only; recomputed when the year is imported.",
    )
    sla_state = serializers.CharField(
        read_only=True, help_text='"" (in time), "warning" or "breached".'
    )
    created_at = serializers.DateTimeField(read_only=True)

    def get_customer_name(self, obj: WorkOrder) -> str | None:
        return obj.customer.name if obj.customer_id else None

    def get_caller_phone(self, obj: WorkOrder) -> str:
        return mask_phone(obj.caller_phone)

    def get_handling_unit_name(self, obj: WorkOrder) -> str | None:
        return obj.handling_unit.name if obj.handling_unit_id else None

    def get_handler_name(self, obj: WorkOrder) -> str | None:
        return _person(obj.handler) if obj.handler_id else None


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="Path segment of POST …/actions/{action}/.")
    label = serializers.CharField()


class DeliverySerializer(serializers.Serializer):
    """What a reply (回复) sent to the customer and whether it was delivered."""

    sent = serializers.BooleanField(
        help_text="true: a message went to the outbox; false: the customer was not told."
    )
    not_sent_reason = serializers.CharField(
        allow_null=True,
        help_text="When not sent: no_address, template_missing or template_inactive.",
    )
    not_sent_reason_display = serializers.CharField(allow_null=True)
    channel = serializers.CharField(allow_null=True, help_text="sms or email.")
    channel_display = serializers.CharField(allow_null=True)
    to = serializers.CharField(allow_null=True, help_text="The address, masked.")
    status = serializers.CharField(allow_null=True, help_text="pending, sent or failed.")
    status_display = serializers.CharField(allow_null=True)
    delivered = serializers.BooleanField(help_text="true once the gateway or server took it.")
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(
        allow_null=True, help_text="Why the last delivery attempt failed."
    )
    text = serializers.CharField(allow_null=True, help_text="The text sent to the customer.")


def _delivery(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    if not state["sent"]:
        return {
            "sent": False,
            "not_sent_reason": state["not_sent"],
            "not_sent_reason_display": not_sent_reason(state["not_sent"]),
            "channel": None,
            "channel_display": None,
            "to": None,
            "status": None,
            "status_display": None,
            "delivered": False,
            "sent_at": None,
            "last_error": None,
            "text": None,
        }
    message = state["message"]
    return {
        "sent": True,
        "not_sent_reason": None,
        "not_sent_reason_display": None,
        "channel": message.channel,
        "channel_display": message.get_channel_display(),
        "to": state["to"],
        "status": message.status,
        "status_display": message.get_status_display(),
        "delivered": message.status == MessageStatus.SENT,
        "sent_at": serializers.DateTimeField().to_representation(message.sent_at)
        if message.sent_at
        else None,
        "last_error": message.last_error or None,
        "text": message.body,
    }


class EventSerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    """One line of the timeline: who did what, from which state to which."""

    action_display = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField(help_text="null: the system.")
    actor_unit_name = serializers.SerializerMethodField()
    from_status_display = LabelField(Status.choices, source="from_status")
    to_status_display = LabelField(Status.choices, source="to_status")
    data = serializers.DictField(help_text="Details of the action, e.g. the unit dispatched to.")
    delivery = serializers.SerializerMethodField(
        help_text="For a reply: what was sent to the customer and whether it was delivered; "
        "null for other events."
    )

    class Meta:
        model = WorkOrderEvent
        fields = [
            "id",
            "action",
            "action_display",
            "actor",
            "actor_name",
            "actor_unit",
            "actor_unit_name",
            "from_status",
            "from_status_display",
            "to_status",
            "to_status_display",
            "note",
            "data",
            "delivery",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(DeliverySerializer(allow_null=True))
    def get_delivery(self, obj: WorkOrderEvent) -> dict[str, Any] | None:
        return _delivery(self.context.get("deliveries", {}).get(obj.pk))

    def get_action_display(self, obj: WorkOrderEvent) -> str:
        return services.action_label(obj.action)

    def get_actor_name(self, obj: WorkOrderEvent) -> str | None:
        return _person(obj.actor) if obj.actor_id else None

    def get_actor_unit_name(self, obj: WorkOrderEvent) -> str | None:
        return obj.actor_unit.name if obj.actor_unit_id else None


def timeline_data(events) -> list:
    """The events as the API shows them, each reply with its delivery (one outbox query)."""
    events = list(events)
    deliveries = delivery_states(events)
    return EventSerializer(events, many=True, context={"deliveries": deliveries}).data


class CoHandlingSerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    invited_by_name = serializers.SerializerMethodField()
    done_by_name = serializers.SerializerMethodField()

    class Meta:
        model = CoHandling
        fields = [
            "id",
            "unit",
            "unit_name",
            "invited_by",
            "invited_by_name",
            "invited_at",
            "part",
            "done_by",
            "done_by_name",
            "done_at",
        ]
        read_only_fields = fields

    def get_invited_by_name(self, obj: CoHandling) -> str | None:
        return _person(obj.invited_by)

    def get_done_by_name(self, obj: CoHandling) -> str | None:
        return _person(obj.done_by) if obj.done_by_id else None


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="GET it (same data scope as the order) for the file itself."
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "sha256", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj: Attachment) -> str:
        return reverse(
            "work-order-attachment",
            kwargs={"pk": obj.order_id, "attachment_id": obj.pk},
        )


class _UnitName(serializers.CharField):
    """The name of a unit foreign key (null when unset), read from the joined row."""

    def __init__(self, field: str, **kwargs):
        self.unit_field = field
        super().__init__(source="*", read_only=True, allow_null=True, **kwargs)

    def to_representation(self, obj) -> str | None:
        unit = getattr(obj, self.unit_field)
        return unit.name if unit is not None else None


_UNIT_FIELDS = (
    "area_unit",
    "accepting_unit",
    "dispatching_unit",
    "handling_unit",
    "supervising_unit",
    "escalated_to",
    "responsible_unit",
)


class WorkOrderDetailSerializer(ReusedFieldsMixin, serializers.ModelSerializer):
    """An order with everything: names beside ids, labels beside codes, the timeline, the
    co-handling units and what the caller may do now (`allowed_actions`)."""

    order_type = serializers.CharField(source="order_type.code", read_only=True)
    order_type_name = serializers.CharField(source="order_type.name", read_only=True)
    business_line = serializers.SerializerMethodField()
    business_line_name = serializers.SerializerMethodField()
    channel_display = LabelField(Channel.choices, source="channel")
    source_display = LabelField(ComplaintSource.choices, source="source")
    status = serializers.CharField(read_only=True, help_text="See status_display.")
    status_display = LabelField(Status.choices, source="status")
    customer_name = serializers.SerializerMethodField()
    customer_code = serializers.SerializerMethodField()
    caller_phone = serializers.SerializerMethodField(help_text="Masked, e.g. 138****5678.")
    owner_name = serializers.SerializerMethodField(help_text="首问负责人, owner of record.")
    handler_name = serializers.SerializerMethodField()
    area_unit_name = _UnitName("area_unit")
    accepting_unit_name = _UnitName("accepting_unit")
    dispatching_unit_name = _UnitName("dispatching_unit")
    handling_unit_name = _UnitName("handling_unit")
    supervising_unit_name = _UnitName("supervising_unit")
    escalated_to_name = _UnitName("escalated_to")
    responsible_unit_name = _UnitName("responsible_unit")
    category_name = serializers.SerializerMethodField()
    cause_name = serializers.SerializerMethodField()
    remedy = serializers.CharField(read_only=True, help_text='"" when none is claimed.')
    remedy_display = LabelField(Remedy.choices, source="remedy")
    merged_into_number = serializers.SerializerMethodField()
    related_numbers = serializers.SerializerMethodField()
    provisional = serializers.BooleanField(
        source="due_provisional",
        read_only=True,
        help_text="due_at is provisional (暂定): counted on weekends only for want of a "
        "calendar year; recomputed when the year is imported.",
    )
    allowed_actions = serializers.SerializerMethodField(
        help_text="What you may do now, in the order of the lifecycle table."
    )
    co_handlings = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField(
        help_text="Files that came with the order (e-mail attachments), oldest first."
    )
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "order_type",
            "order_type_name",
            "business_line",
            "business_line_name",
            "channel",
            "channel_display",
            "source",
            "source_display",
            "status",
            "status_display",
            "title",
            "description",
            "customer",
            "customer_name",
            "customer_code",
            "customer_tier",
            "caller_phone",
            "contact_name",
            "owner",
            "owner_name",
            "handler",
            "handler_name",
            *(f for unit in _UNIT_FIELDS for f in (unit, f"{unit}_name")),
            "escalation_level",
            "urge_count",
            "category",
            "category_name",
            "cause",
            "cause_name",
            "is_complaint",
            "is_repeat",
            "is_escalated",
            "is_difficult",
            "first_contact_resolution",
            "justified",
            "responsible_person",
            "remedy",
            "remedy_display",
            "resolution",
            "reply",
            "merged_into",
            "merged_into_number",
            "related_numbers",
            "due_at",
            "provisional",
            "sla_state",
            "created_at",
            "updated_at",
            "dispatched_at",
            "first_contact_at",
            "resolved_at",
            "replied_at",
            "closed_at",
            "version",
            "allowed_actions",
            "co_handlings",
            "attachments",
            "timeline",
        ]
        read_only_fields = fields

    def get_business_line(self, obj: WorkOrder) -> str | None:
        return obj.business_line.code if obj.business_line_id else None

    def get_business_line_name(self, obj: WorkOrder) -> str | None:
        return obj.business_line.name if obj.business_line_id else None

    def get_customer_name(self, obj: WorkOrder) -> str | None:
        return obj.customer.name if obj.customer_id else None

    def get_customer_code(self, obj: WorkOrder) -> str | None:
        return obj.customer.code if obj.customer_id else None

    def get_caller_phone(self, obj: WorkOrder) -> str:
        return mask_phone(obj.caller_phone)

    def get_owner_name(self, obj: WorkOrder) -> str | None:
        return _person(obj.owner) if obj.owner_id else None

    def get_handler_name(self, obj: WorkOrder) -> str | None:
        return _person(obj.handler) if obj.handler_id else None

    def get_category_name(self, obj: WorkOrder) -> str | None:
        return str(obj.category) if obj.category_id else None

    def get_cause_name(self, obj: WorkOrder) -> str | None:
        return str(obj.cause) if obj.cause_id else None

    def get_merged_into_number(self, obj: WorkOrder) -> str | None:
        return obj.merged_into.number if obj.merged_into_id else None

    def get_related_numbers(self, obj: WorkOrder) -> list[str]:
        if self.context.get("just_created"):  # links and co-handling come later
            return []
        return sorted(o.number for o in obj.related.all())

    @extend_schema_field(AllowedActionSerializer(many=True))
    def get_allowed_actions(self, obj: WorkOrder) -> list[dict]:
        viewer = self.context.get("viewer")
        if viewer is None:  # rendered without a viewer: nobody to allow anything
            return []
        return [
            {"action": name, "label": services.action_label(name)}
            for name in selectors.actions_for(viewer, obj)
        ]

    @extend_schema_field(CoHandlingSerializer(many=True))
    def get_co_handlings(self, obj: WorkOrder) -> list:
        if self.context.get("just_created"):
            return []
        rows = obj.co_handlings.select_related("unit", "invited_by", "done_by").order_by("id")
        return CoHandlingSerializer(rows, many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: WorkOrder) -> list:
        if self.context.get("just_created"):
            return []
        return AttachmentSerializer(obj.attachments.order_by("id"), many=True).data

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, obj: WorkOrder) -> list:
        events = self.context.get("timeline")
        if events is None:
            events = selectors.order_timeline(obj)
        return timeline_data(events)


# --- input ------------------------------------------------------------------------------


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


def _as_filters(data: dict[str, Any]) -> dict[str, str]:
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
    title = serializers.CharField(max_length=services.TITLE_MAX)
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
        raise _invalid(field)
    return active[code]


def _create_arguments(actor, data: dict[str, Any]) -> dict[str, Any]:
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
            raise _invalid("customer", _("No such customer."))
    if data.get("category"):
        args["category"] = Category.objects.filter(
            pk=data["category"], kind=CategoryKind.PROBLEM, is_active=True
        ).first()
        if args["category"] is None:
            raise _invalid("category")
    if data.get("area_unit"):
        args["area_unit"] = (
            org_units_visible(actor).filter(pk=data["area_unit"], is_active=True).first()
        )
        if args["area_unit"] is None:
            raise _invalid("area_unit")
    details = {k: data[k] for k in ("cause", "justified") if data.get(k) is not None}
    if details:
        args["resolve_details"] = details
    if data.get("caller_phone"):
        try:
            args["caller_phone"] = normalize_phone(data["caller_phone"])
        except InvalidValue:
            raise _invalid("caller_phone", _("Not a valid phone number.")) from None
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
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False)
    description = _text()


def _correction_changes(actor, data: dict[str, Any]) -> dict[str, Any]:
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
                raise _invalid("customer", _("No such customer."))
    return changes


# --- paging -----------------------------------------------------------------------------


class BoundedCountPagination(Pagination):
    """Page-number paging without COUNT(*).

    Counting a broad queue (a prefecture's closed orders among millions) reads every
    matching row and costs seconds where the page itself reads a few hundred; even a count
    stopped at 1,000 rows cost 5–20 pages' worth. So the page fetches one row more than it
    shows, which tells whether there is a next page, and `count` is exact only on the last
    page (`count_exact`); before that it is a lower bound: the rows up to this page plus one.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or "1"
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PK // size:
            raise NotFound(_("Invalid page."))
        self.number = int(raw)
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1])
        self.has_next = len(rows) > size
        rows = rows[:size]
        if self.number > 1 and not rows:
            raise NotFound(_("Invalid page."))
        self.count = offset + len(rows) + (1 if self.has_next else 0)
        self.count_exact = not self.has_next
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["required"] = ["count", "count_exact", "results"]
        body["properties"]["count"]["description"] = (
            "Exact when count_exact is true (the last page); otherwise a lower bound: the "
            "rows up to this page plus one."
        )
        body["properties"] = {
            "count": body["properties"]["count"],
            "count_exact": {"type": "boolean"},
            **{k: v for k, v in body["properties"].items() if k != "count"},
        }
        return body


# --- views ------------------------------------------------------------------------------

_ORDER_PATH_ID = OpenApiParameter(
    "id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The order's id (its 16-digit number works too).",
)
_ACTION_PATH = OpenApiParameter(
    "action_name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=list(ACTIONS),
    description="The lifecycle action.",
)


_SUMMARY_COLUMNS = (
    "id",
    "number",
    "order_type",
    "status",
    "title",
    "is_complaint",
    "customer",
    "caller_phone",
    "handling_unit",
    "handler",
    "due_at",
    "due_provisional",
    "sla_state",
    "created_at",
)


def summary_rows(orders: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
    """`orders` as WorkOrderSummarySerializer reads them: the order's own columns in one
    query, then the few distinct types, customers, units and handlers of the page in one
    query each.

    Not joins: with five joined tables on top of the scope conditions PostgreSQL spent
    40–60 ms *planning* each page over 5 M orders (1–3 ms without); the lookups by primary
    key cost about 1 ms together.
    """
    return (
        orders.select_related(None)
        .only(*_SUMMARY_COLUMNS)
        .prefetch_related(
            Prefetch("order_type", queryset=WorkOrderType.objects.only("id", "code", "name")),
            Prefetch("customer", queryset=Customer.objects.only("id", "name")),
            Prefetch("handling_unit", queryset=OrgUnit.objects.only("id", "name")),
            Prefetch(
                "handler",
                queryset=get_user_model().objects.only("id", "username", "first_name", "last_name"),
            ),
        )
    )


def _detail_queryset():
    return WorkOrder.objects.select_related(
        "order_type",
        "business_line",
        "customer",
        "owner",
        "handler",
        "category__parent",
        "cause__parent",
        "merged_into",
        *_UNIT_FIELDS,
    ).prefetch_related("related")


class ContactRevealSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The order's contact number in clear.")
    work_order = serializers.CharField(help_text="The order's number, as logged.")


@extend_schema_view(
    list=extend_schema(
        summary="Work orders in a queue (lean rows; the detail has everything)",
        parameters=[WorkOrderFilterSerializer],
        responses={200: WorkOrderSummarySerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One work order with its timeline and the actions you may take",
        parameters=[_ORDER_PATH_ID],
        responses={200: WorkOrderDetailSerializer, **_READ_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Correct the type, business line, customer, title or description (更正)",
        description=(
            "The owner of record, a dispatcher or a supervisor. Send `version`; a stale one "
            "answers 409. The correction is a `correct` event listing each field old → new; "
            "the time limits follow a new type, business line or customer tier."
        ),
        parameters=[_ORDER_PATH_ID],
        request=WorkOrderCorrectionSerializer,
        responses={200: WorkOrderDetailSerializer, **_WRITE_ERRORS},
    ),
    create=extend_schema(
        summary="Take in a work order (受理); routed by the dispatch rules",
        request=WorkOrderCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={201: WorkOrderDetailSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    ),
)
@extend_schema(tags=["work orders"])
class WorkOrderViewSet(viewsets.GenericViewSet):
    """工单. Orders outside your data scope do not exist for you (404)."""

    queryset = WorkOrder.objects.none()  # for the schema; rows come from the selectors
    serializer_class = WorkOrderDetailSerializer
    # Who may see which order is the selector's decision (a handler without
    # view_workorder still sees the orders assigned to them); writes are the services'.
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    filter_backends: list = []
    pagination_class = BoundedCountPagination

    def _get(self, pk: str) -> WorkOrder:
        order = selectors.work_order_visible(viewer=self.request.user, key=pk)
        if order is None:
            raise NotFound()
        return order

    def _render(
        self,
        order: WorkOrder,
        *,
        status_code: int = status.HTTP_200_OK,
        just_created=False,
        timeline: list | None = None,
    ) -> Response:
        # Re-read with every join the detail needs. Not through the selector: after a
        # transfer the caller may no longer see the order, and still gets the result.
        # An order just taken in is rendered as the create left it, with the events the
        # create wrote as its timeline: its related rows are in memory already, and the
        # re-reads were a third of the create's time.
        fresh = order if just_created else _detail_queryset().get(pk=order.pk)
        context = {"viewer": self.request.user, "just_created": just_created}
        if timeline is not None:
            context["timeline"] = [event for event in timeline if event.order_id == order.pk]
        data = WorkOrderDetailSerializer(fresh, context=context).data
        return Response(data, status=status_code)

    def list(self, request: Request) -> Response:
        filters = _parse(WorkOrderFilterSerializer(data=request.query_params))
        orders = summary_rows(
            selectors.work_order_list(
                viewer=request.user,
                queue=filters["queue"],
                filters=_as_filters(filters),
                ordering=filters.get("ordering"),
            )
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(WorkOrderSummarySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._render(self._get(pk))

    def partial_update(self, request: Request, pk: str) -> Response:
        order = self._get(pk)
        data = dict(_parse(WorkOrderCorrectionSerializer(data=request.data)))
        version = data.pop("version")
        order = services.work_order_correct(
            actor=request.user,
            order=order,
            changes=_correction_changes(request.user, data),
            expected_version=version,
        )
        return self._render(order)

    @idempotent
    def create(self, request: Request) -> Response:
        data = _parse(WorkOrderCreateSerializer(data=request.data))
        with services.events_written() as timeline:
            order = services.work_order_create(
                actor=request.user, **_create_arguments(request.user, data)
            )
        return self._render(
            order, status_code=status.HTTP_201_CREATED, just_created=True, timeline=timeline
        )

    @extend_schema(
        summary="The order's timeline (also part of the detail)",
        parameters=[_ORDER_PATH_ID],
        responses={200: EventSerializer(many=True), **_READ_ERRORS},
    )
    @action(detail=True, methods=["get"], serializer_class=EventSerializer, pagination_class=None)
    def events(self, request: Request, pk: str) -> Response:
        order = self._get(pk)
        return Response(timeline_data(selectors.order_timeline(order)))

    @extend_schema(
        summary="The order's time limits (首次联系, 处理 …), live and stopped, oldest first",
        parameters=[_ORDER_PATH_ID],
        responses={200: SlaClockSerializer(many=True), **_READ_ERRORS},
    )
    @action(
        detail=True, methods=["get"], serializer_class=SlaClockSerializer, pagination_class=None
    )
    def clocks(self, request: Request, pk: str) -> Response:
        order = self._get(pk)
        return Response(SlaClockSerializer(sla_selectors.clocks_for(order), many=True).data)

    @extend_schema(
        summary="Take a lifecycle action (派单, 接单, 转派, 退单, 处理完成, 回复 …)",
        description=(
            "400 action_not_allowed when the action is not possible from the order's state "
            "or not for you: extra.allowed lists what is. 409 conflict when `version` is "
            "not the current one."
        ),
        request=WorkOrderActionSerializer,
        parameters=[_ORDER_PATH_ID, _ACTION_PATH, IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={200: WorkOrderDetailSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_name>[^/.]+)",
        serializer_class=WorkOrderActionSerializer,
    )
    @idempotent
    def act(self, request: Request, pk: str, action_name: str) -> Response:
        order = self._get(pk)
        data = dict(_parse(WorkOrderActionSerializer(data=request.data)))
        version = data.pop("version", None)
        order = services.work_order_act(
            actor=request.user,
            order=order,
            action=action_name,
            data={k: v for k, v in data.items() if v is not None},
            expected_version=version,
        )
        return self._render(order)

    @extend_schema(
        summary="联系客户: the order's contact number in clear (handler or owner; logged)",
        description=(
            "Only the order's current handler or its owner of record, while the order is "
            "open (403 otherwise). Written to the access log (查阅登记) naming the order."
        ),
        request=None,
        parameters=[_ORDER_PATH_ID],
        responses={200: ContactRevealSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="reveal-contact",
        serializer_class=ContactRevealSerializer,
    )
    def reveal_contact(self, request: Request, pk: str) -> Response:
        order = self._get(pk)
        number = work_order_contact_reveal(
            actor=request.user, order=order, ip=client_ip(request) or None
        )
        response = Response(
            ContactRevealSerializer({"number": number, "work_order": order.number}).data
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="One attachment of the order, as a file download (附件)",
        description=(
            "The file under its original name (Content-Disposition attachment). Same data "
            "scope as the order: an order or attachment you may not see answers 404."
        ),
        parameters=[
            _ORDER_PATH_ID,
            OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **_READ_ERRORS,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})",
        url_name="attachment",
        pagination_class=None,
    )
    def attachment(self, request: Request, pk: str, attachment_id: str):
        order = self._get(pk)
        found = order.attachments.filter(pk=int(attachment_id)).first()
        if found is None or attachment_file(found) is None:
            raise NotFound()
        return attachment_response(found)
