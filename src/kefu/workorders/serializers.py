"""Output serializers of the work-order API 工单: the shape of what comes out.

They read what the selectors prefetched; caller numbers leave here masked. The input
serializers are in `kefu.workorders.serializers_input`; the viewsets that use both are in
`kefu.workorders.api`.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from kefu.core.api import (
    LabelField,
    ReusedFieldsMixin,
)
from kefu.core.masking import mask_phone
from kefu.notify.models import MessageStatus
from kefu.workorders import selectors
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
from kefu.workorders.transitions import action_label


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


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
        return action_label(obj.action)

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


UNIT_FIELDS = (
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
            *(f for unit in UNIT_FIELDS for f in (unit, f"{unit}_name")),
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
            {"action": name, "label": action_label(name)}
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


class ContactRevealSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The order's contact number in clear.")
    work_order = serializers.CharField(help_text="The order's number, as logged.")
