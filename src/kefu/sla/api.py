"""REST API of time limits: the policies (read by everyone, edited by administrators) and the
serializer of an order's clocks.

The work-order API exposes an order's clocks at GET /api/v1/work-orders/{id}/clocks/ with
`selectors.clocks_for(order)` and `SlaClockSerializer`, after finding the order through
`work_order_visible` (the viewer's data scope).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.calendars.selectors import CALENDAR_NAMES
from kefu.core.api import (
    LabelField,
    error_responses,
    pk_or_404,
    require_perms,
    validated,
)
from kefu.core.errors import NotFound
from kefu.core.parsers import JSONParser
from kefu.customers.models import ServiceTier
from kefu.rules import services as rule_services
from kefu.sla import selectors
from kefu.sla.models import CalendarName, ClockKind, ClockState, SlaClock, SlaPolicy
from kefu.workorders.models import BusinessLine, Channel, WorkOrderType

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404)


class SlaClockSerializer(serializers.ModelSerializer):
    """One time limit of an order. `remaining_seconds`: wall time to the due time (negative
    when overdue); null when stopped, paused or without a computable deadline."""

    kind_display = LabelField(ClockKind.choices, source="kind")
    state_display = LabelField(ClockState.choices, source="state")
    # The calendars API's choice set (names without labels): one enum in the schema.
    calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, read_only=True)
    calendar_display = LabelField(CalendarName.choices, source="calendar")
    paused = serializers.SerializerMethodField()
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "kind",
            "kind_display",
            "state",
            "state_display",
            "calendar",
            "calendar_display",
            "budget_minutes",
            "started_at",
            "warn_at",
            "due_at",
            "paused",
            "paused_at",
            "stopped_at",
            "breached_at",
            "escalation_step",
            "remaining_seconds",
            "provisional",
            "problem",
        ]
        read_only_fields = fields

    def get_paused(self, obj: SlaClock) -> bool:
        return obj.paused_at is not None

    def get_remaining_seconds(self, obj: SlaClock) -> int | None:
        if obj.stopped_at or obj.paused_at or obj.due_at is None:
            return None
        return int((obj.due_at - timezone.now()).total_seconds())


class SlaPolicySerializer(serializers.ModelSerializer):
    order_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    order_type_name = serializers.CharField(source="order_type.name", default=None)
    business_line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    business_line_name = serializers.CharField(source="business_line.name", default=None)
    tiers = serializers.ListField(child=serializers.CharField())
    first_contact_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, read_only=True)
    resolution_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, read_only=True)
    reply_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, read_only=True)

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "code",
            "name",
            "priority",
            "order_type",
            "order_type_name",
            "business_line",
            "business_line_name",
            "channel",
            "tiers",
            "first_contact_minutes",
            "first_contact_calendar",
            "resolution_minutes",
            "resolution_calendar",
            "reply_minutes",
            "reply_calendar",
            "warn_ratio",
            "escalation_minutes",
            "is_active",
            "note",
        ]
        read_only_fields = fields


class SlaPolicyInputSerializer(serializers.Serializer):
    """Shape only; the service checks the content (shares, tiers, minutes)."""

    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    priority = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    order_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=WorkOrderType.objects.all(),
        allow_null=True,
        required=False,
        help_text="Work-order type code; null: any type.",
    )
    business_line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=BusinessLine.objects.all(),
        allow_null=True,
        required=False,
        help_text="Business-line code; null: any line.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, allow_blank=True, required=False)
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceTier.choices),
        required=False,
        max_length=20,
        help_text="Customer tiers; empty: every tier.",
    )
    first_contact_minutes = serializers.IntegerField(
        min_value=1, max_value=10**6, allow_null=True, required=False
    )
    first_contact_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, required=False)
    resolution_minutes = serializers.IntegerField(
        min_value=1, max_value=10**6, allow_null=True, required=False
    )
    resolution_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, required=False)
    reply_minutes = serializers.IntegerField(
        min_value=1, max_value=10**6, allow_null=True, required=False
    )
    reply_calendar = serializers.ChoiceField(choices=CALENDAR_NAMES, required=False)
    warn_ratio = serializers.FloatField(required=False, help_text="e.g. 0.8 = warn at 80 %.")
    escalation_minutes = serializers.IntegerField(min_value=0, max_value=10**6, required=False)
    is_active = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=300, allow_blank=True, required=False)


@extend_schema_view(
    list=extend_schema(
        summary="Time-limit policies, in matching order",
        responses={200: SlaPolicySerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One time-limit policy", responses={200: SlaPolicySerializer, **_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create a time-limit policy (sla.change_slapolicy)",
        request=SlaPolicyInputSerializer,
        responses={201: SlaPolicySerializer, **_WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a time-limit policy (new orders only; running clocks keep theirs)",
        request=SlaPolicyInputSerializer,
        responses={200: SlaPolicySerializer, **_WRITE_ERRORS},
    ),
)
@extend_schema(tags=["time limits"])
class SlaPolicyViewSet(viewsets.GenericViewSet):
    """时限策略. Everyone signed in may read them; administrators change them (through
    kefu.rules.services, which writes each change to the rule-change log)."""

    queryset = SlaPolicy.objects.none()  # for the schema; rows come from the selectors
    serializer_class = SlaPolicySerializer
    parser_classes = [JSONParser]
    filter_backends: list = []

    def get_permissions(self):
        if self.request is not None and self.request.method not in permissions.SAFE_METHODS:
            return [require_perms("sla.change_slapolicy")()]
        return [permissions.IsAuthenticated()]

    def _get(self, pk: str) -> SlaPolicy:
        policy = selectors.policies_list().filter(pk=pk_or_404(pk)).first()
        if policy is None:
            raise NotFound()
        return policy

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.policies_list())
        return self.get_paginated_response(SlaPolicySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SlaPolicySerializer(self._get(pk)).data)

    def create(self, request: Request) -> Response:
        data = validated(SlaPolicyInputSerializer(data=request.data))
        policy = rule_services.sla_policy_create(actor=request.user, data=data)
        return Response(
            SlaPolicySerializer(self._get(policy.pk)).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, pk: str) -> Response:
        policy = self._get(pk)
        data = validated(SlaPolicyInputSerializer(data=request.data, partial=True))
        policy = rule_services.sla_policy_update(actor=request.user, policy=policy, data=data)
        return Response(SlaPolicySerializer(self._get(policy.pk)).data)
