"""REST API of complaint batch alerts 批量投诉预警 (`/api/v1/complaint-alerts/`).

Thin edges: serializers check the shape, kefu.complaints.services writes, the selectors
read inside the caller's data scope (an alert of another area answers 404).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.complaints import selectors, services
from kefu.complaints.models import ComplaintBatchAlert
from kefu.core.api import error_responses, pk_or_404, require_perms, validated
from kefu.core.parsers import JSONParser


class AlertSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.__str__", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    acknowledged_by = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintBatchAlert
        fields = [
            "id",
            "category",
            "category_name",
            "area",
            "area_name",
            "window_start",
            "window_end",
            "threshold",
            "count",
            "last_complaint_at",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "walkthrough_note",
        ]
        read_only_fields = fields

    def get_acknowledged_by(self, obj: ComplaintBatchAlert) -> str | None:
        user = obj.acknowledged_by
        return (user.get_full_name() or user.get_username()) if user else None


class AlertFilterSerializer(serializers.Serializer):
    open = serializers.BooleanField(required=False, help_text="Only alerts not acknowledged.")


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=services.NOTE_MAX,
        required=False,
        allow_blank=True,
        help_text="Process walk-through note.",
    )


_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Complaint batch alerts of your scope, newest first",
        parameters=[AlertFilterSerializer],
        responses={200: AlertSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One alert", responses={200: AlertSerializer, **_READ_ERRORS}),
)
@extend_schema(tags=["complaint alerts"])
class ComplaintAlertViewSet(viewsets.GenericViewSet):
    """批量投诉预警, for supervisors: N complaints of one category in one county."""

    queryset = ComplaintBatchAlert.objects.none()
    serializer_class = AlertSerializer
    permission_classes = [require_perms("workorders.supervise_workorder")]
    parser_classes = [JSONParser]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        filters = validated(AlertFilterSerializer(data=request.query_params))
        if "open" in filters:
            filters["open"] = "1" if filters["open"] else ""
        alerts = selectors.complaint_alert_list(viewer=request.user, filters=filters)
        page = self.paginate_queryset(alerts)
        return self.get_paginated_response(AlertSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        alert = selectors.complaint_alert_get(viewer=request.user, pk=pk_or_404(pk))
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        summary="Acknowledge the alert and record the process walk-through",
        request=AcknowledgeSerializer,
        responses={200: AlertSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=AcknowledgeSerializer)
    def acknowledge(self, request: Request, pk: str) -> Response:
        alert = selectors.complaint_alert_get(viewer=request.user, pk=pk_or_404(pk))
        data = validated(AcknowledgeSerializer(data=request.data))
        alert = services.complaint_alert_acknowledge(
            actor=request.user, alert=alert, note=data.get("note", "")
        )
        return Response(
            AlertSerializer(selectors.complaint_alert_get(viewer=request.user, pk=alert.pk)).data
        )
