"""REST API of callbacks: the SMS gateway's inbound replies (`/api/v1/sms/inbound`).

The gateway is no user: it authenticates by signing the raw body (see
kefu.callbacks.inbound), so the view reads `request.body` before any parser does.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.callbacks import inbound, ivr
from kefu.core.api import error_responses


class InboundSmsSerializer(serializers.Serializer):
    from_ = serializers.CharField(help_text="The sender's phone number.")
    text = serializers.CharField(allow_blank=True, max_length=inbound.TEXT_MAX)
    message_id = serializers.CharField(
        max_length=100, help_text="The gateway's id; repeats count once."
    )
    received_at = serializers.DateTimeField(help_text="ISO 8601 with offset.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class InboundResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="matched, review, unmatched or reviewed")
    duplicate = serializers.BooleanField()


class SmsInboundView(APIView):
    """上行短信: a customer's SMS reply, delivered and signed by the gateway."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["sms"],
        summary="Inbound SMS from the gateway (signed)",
        request=InboundSmsSerializer,
        parameters=[
            OpenApiParameter(
                inbound.SIGNATURE_HEADER,
                location=OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the raw body, keyed with "
                "KEFU_SMS_INBOUND_SECRET>",
            )
        ],
        responses={
            200: InboundResultSerializer,
            201: InboundResultSerializer,
            **error_responses(400, 401),
        },
    )
    def post(self, request: Request) -> Response:
        row, new = inbound.sms_inbound(
            body=request.body, header=request.headers.get(inbound.SIGNATURE_HEADER)
        )
        return Response(
            {"id": row.pk, "status": row.status, "duplicate": not new},
            status=201 if new else 200,
        )


class IvrResultSerializer(serializers.Serializer):
    callback = serializers.IntegerField(help_text="The callback id Kefu sent.")
    call_id = serializers.CharField(
        max_length=100, help_text="The gateway's id; repeats count once."
    )
    outcome = serializers.ChoiceField(
        choices=["answered", "no_answer", "busy", "wrong_number", "refused"]
    )
    digit = serializers.CharField(required=False, allow_blank=True, help_text="1, 2 or 3")
    at = serializers.DateTimeField(help_text="ISO 8601 with offset.")


class IvrResultView(APIView):
    """语音回访结果: the voice gateway's result of one automatic call, signed with the secret of
    its webhook endpoint."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        tags=["sms"],
        summary="Automatic voice callback result from the IVR gateway (signed)",
        request=IvrResultSerializer,
        responses={
            200: InboundResultSerializer,
            201: InboundResultSerializer,
            **error_responses(400, 401),
        },
    )
    def post(self, request: Request) -> Response:
        attempt, new = ivr.ivr_result(
            body=request.body, header=request.headers.get(inbound.SIGNATURE_HEADER)
        )
        return Response(
            {"id": attempt.pk, "status": attempt.outcome, "duplicate": not new},
            status=201 if new else 200,
        )
