"""REST API of mass outages 大面积故障.

Thin edges: serializers check the shape, kefu.outages.services decide and write, the
selectors read inside the caller's data scope (an outage out of scope answers 404).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.core.api import (
    MAX_PK,
    LabelField,
    error_responses,
    pk_or_404,
    require_perms,
    validated,
)
from kefu.core.errors import NotFound
from kefu.core.idempotency import (
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    idempotent,
)
from kefu.core.masking import mask_phone
from kefu.core.parsers import JSONParser
from kefu.org.models import OrgUnit
from kefu.outages import selectors, services
from kefu.outages.models import Outage, OutageStatus
from kefu.workorders.models import BusinessLine, Status, WorkOrder


def _name(user) -> str | None:
    return (user.get_full_name() or user.get_username()) if user else None


# --- output -------------------------------------------------------------------------------------


class AreaSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "level"]


class OutageSerializer(serializers.ModelSerializer):
    # Plain text, not an enum: a second "status" enum beside the work orders' would get a
    # generated name in the OpenAPI schema.
    status = serializers.CharField(read_only=True, help_text="active, restored or closed.")
    status_display = LabelField(OutageStatus.choices, source="status")
    areas = AreaSerializer(many=True, read_only=True)
    business_line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    business_line_name = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    report_required = serializers.BooleanField(read_only=True)

    class Meta:
        model = Outage
        fields = [
            "id",
            "title",
            "business_line",
            "business_line_name",
            "areas",
            "cause",
            "started_at",
            "expected_restore_at",
            "restored_at",
            "restore_note",
            "is_major",
            "status",
            "status_display",
            "created_by",
            "created_at",
            "closed_at",
            "report_required",
            "report_cause",
            "report_lessons",
            "report_improvements",
            "report_prevention",
            "report_submitted_at",
        ]
        read_only_fields = fields

    def get_business_line_name(self, obj: Outage) -> str | None:
        return obj.business_line.name if obj.business_line_id else None

    def get_created_by(self, obj: Outage) -> str | None:
        return _name(obj.created_by)


class LinkedOrderSerializer(serializers.ModelSerializer):
    status_display = LabelField(Status.choices, source="status")
    area_name = serializers.CharField(source="area_unit.name", read_only=True)
    caller_phone = serializers.SerializerMethodField(help_text="Masked.")
    linked_at = serializers.DateTimeField(source="outage_link.linked_at", read_only=True)
    customer_notified = serializers.BooleanField(
        source="outage_link.customer_notified", read_only=True
    )

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "title",
            "status",
            "status_display",
            "area_name",
            "caller_phone",
            "created_at",
            "resolved_at",
            "linked_at",
            "customer_notified",
        ]
        read_only_fields = fields

    def get_caller_phone(self, obj: WorkOrder) -> str:
        return mask_phone(obj.caller_phone)


class RestoreResultSerializer(OutageSerializer):
    resolved_orders = serializers.IntegerField(read_only=True, help_text="Orders resolved now.")
    queued_orders = serializers.IntegerField(
        read_only=True,
        help_text="Linked orders being resolved in the background (a restore of more than "
        "200); each is resolved with its callback due, as if resolved now.",
    )

    class Meta(OutageSerializer.Meta):
        fields = [*OutageSerializer.Meta.fields, "resolved_orders", "queued_orders"]
        read_only_fields = fields


# --- input --------------------------------------------------------------------------------------


class OutageFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OutageStatus.choices, required=False)
    unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="Org unit id: only outages affecting that unit (its area or above).",
    )


class OutageCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    cause = serializers.CharField(max_length=5000)
    areas = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.filter(is_active=True), many=True, allow_empty=False
    )
    business_line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=BusinessLine.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    started_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    expected_restore_at = serializers.DateTimeField()
    is_major = serializers.BooleanField(required=False, default=False)


class OutageUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    cause = serializers.CharField(max_length=5000, required=False)
    expected_restore_at = serializers.DateTimeField(required=False)
    is_major = serializers.BooleanField(required=False)


class LinkSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=32, help_text="Work-order id or number.")


class RestoreSerializer(serializers.Serializer):
    resolution = serializers.CharField(max_length=5000, help_text="Written on every order.")
    restored_at = serializers.DateTimeField(required=False, help_text="Default: now.")


class ReportSerializer(serializers.Serializer):
    cause = serializers.CharField(max_length=5000)
    lessons = serializers.CharField(max_length=5000)
    improvements = serializers.CharField(max_length=5000)
    prevention = serializers.CharField(max_length=5000)


# --- views --------------------------------------------------------------------------------------

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Mass outages affecting your scope, active first",
        parameters=[OutageFilterSerializer],
        responses={200: OutageSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One outage", responses={200: OutageSerializer, **_READ_ERRORS}),
    create=extend_schema(
        summary="Register a mass outage (areas must lie in your scope)",
        request=OutageCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={201: OutageSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Correct an active outage (title, cause, expected restore, major)",
        request=OutageUpdateSerializer,
        responses={200: OutageSerializer, **_WRITE_ERRORS},
    ),
)
@extend_schema(tags=["outages"])
class OutageViewSet(viewsets.GenericViewSet):
    """大面积故障. Outages whose areas lie outside your scope do not exist for you (404)."""

    queryset = Outage.objects.none()
    serializer_class = OutageSerializer
    permission_classes = [require_perms("outages.view_outage")]
    parser_classes = [JSONParser]
    filter_backends: list = []

    def _get(self, pk: str) -> Outage:
        return selectors.outage_get(viewer=self.request.user, pk=pk_or_404(pk))

    def _render(self, outage: Outage, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.outage_get(viewer=self.request.user, pk=outage.pk)
        return Response(OutageSerializer(fresh).data, status=code)

    def list(self, request: Request) -> Response:
        filters = validated(OutageFilterSerializer(data=request.query_params))
        outages = selectors.outage_list(
            viewer=request.user, filters={k: str(v) for k, v in filters.items()}
        )
        page = self.paginate_queryset(outages)
        return self.get_paginated_response(OutageSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(OutageSerializer(self._get(pk)).data)

    @idempotent
    def create(self, request: Request) -> Response:
        data = validated(OutageCreateSerializer(data=request.data))
        outage = services.outage_register(actor=request.user, **data)
        return self._render(outage, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        outage = self._get(pk)
        changes = validated(OutageUpdateSerializer(data=request.data, partial=True))
        outage = services.outage_update(actor=request.user, outage=outage, changes=changes)
        return self._render(outage)

    @extend_schema(
        summary="Orders linked to the outage (those you may see)",
        responses={200: LinkedOrderSerializer(many=True), **_READ_ERRORS},
    )
    @action(detail=True, methods=["get"], serializer_class=LinkedOrderSerializer)
    def orders(self, request: Request, pk: str) -> Response:
        orders = selectors.outage_orders(self._get(pk), viewer=request.user)
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(LinkedOrderSerializer(page, many=True).data)

    @extend_schema(
        summary="Link an open fault report of an affected area; the caller is texted",
        request=LinkSerializer,
        responses={200: LinkedOrderSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=LinkSerializer)
    def link(self, request: Request, pk: str) -> Response:
        from kefu.workorders.selectors import work_order_visible

        outage = self._get(pk)
        data = validated(LinkSerializer(data=request.data))
        order = work_order_visible(viewer=request.user, key=data["order"])
        if order is None:
            raise NotFound()
        link = services.outage_link_order(actor=request.user, outage=outage, order=order)
        fresh = selectors.outage_orders(outage).get(pk=link.work_order_id)
        return Response(LinkedOrderSerializer(fresh).data)

    @extend_schema(
        summary="Restored: resolve every linked open order (callbacks due)",
        request=RestoreSerializer,
        parameters=[IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={200: RestoreResultSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=RestoreSerializer)
    @idempotent
    def restore(self, request: Request, pk: str) -> Response:
        outage = self._get(pk)
        data = validated(RestoreSerializer(data=request.data))
        restored = services.outage_restore(actor=request.user, outage=outage, **data)
        fresh = selectors.outage_get(viewer=request.user, pk=outage.pk)
        fresh.resolved_orders = len(restored.resolved)
        fresh.queued_orders = restored.queued
        return Response(RestoreResultSerializer(fresh).data)

    @extend_schema(
        summary="Submit the fault-analysis report (required to close a major outage)",
        request=ReportSerializer,
        responses={200: OutageSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=ReportSerializer)
    def report(self, request: Request, pk: str) -> Response:
        outage = self._get(pk)
        data = validated(ReportSerializer(data=request.data))
        outage = services.outage_report_submit(actor=request.user, outage=outage, **data)
        return self._render(outage)

    @extend_schema(
        summary="Close a restored outage",
        request=None,
        responses={200: OutageSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def close(self, request: Request, pk: str) -> Response:
        outage = services.outage_close(actor=request.user, outage=self._get(pk))
        return self._render(outage)
