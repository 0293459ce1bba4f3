"""REST API of the callback desk 回访台 (`/api/v1/callbacks/`) and its SMS review queue
(`/api/v1/sms-replies/`), for a softphone or a wallboard beside the web desk.

Thin edges: serializers check the shape, kefu.callbacks.outcomes and .inbound write, the
selectors read inside the caller's data scope (another unit's callback answers 404). The
phone is in clear only for a viewer holding customers.view_pii, as on the desk page.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.callbacks import inbound, outcomes, selectors
from kefu.callbacks.models import (
    CallbackAttempt,
    CallbackItem,
    CallbackTask,
    DissatisfactionReason,
    InboundSms,
    Level,
)
from kefu.callbacks.satisfaction import COMMENT_MAX
from kefu.core.api import error_responses, pk_or_404, require_perms, validated
from kefu.core.errors import ValidationFailed
from kefu.core.masking import mask_phone
from kefu.core.parsers import JSONParser

PERMS = require_perms("callbacks.handle_callback")


class _PhoneMixin:
    def get_phone(self, obj) -> str:
        request = self.context.get("request")
        if request is not None and request.user.has_perm("customers.view_pii"):
            return obj.phone
        return mask_phone(obj.phone)


class ItemSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.number", read_only=True, allow_null=True)
    order_title = serializers.CharField(source="order.title", read_only=True, allow_null=True)
    reason = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CallbackItem
        fields = ["id", "order", "order_title", "status", "level", "reason", "comment"]
        fields += ["answered_at", "on_time"]
        read_only_fields = fields


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallbackAttempt
        fields = ["at", "mode", "outcome", "note"]
        read_only_fields = fields


class TaskSerializer(_PhoneMixin, serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    phone = serializers.SerializerMethodField(help_text="Masked unless you hold view_pii.")
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = CallbackTask
        fields = ["id", "kind", "status", "mode", "mode_reason", "follow_up", "unit"]
        fields += ["unit_name", "customer", "contact_name", "phone", "due_at", "deadline_at"]
        fields += ["clock_state", "attempts", "next_attempt_at", "version", "items"]
        read_only_fields = fields


class TaskDetailSerializer(TaskSerializer):
    script = serializers.SerializerMethodField(help_text="回访提纲, the script outline.")
    log = AttemptSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "script", "log"]
        read_only_fields = fields

    def get_script(self, obj: CallbackTask) -> str:
        return selectors.script_for(obj)


class QueueFilterSerializer(serializers.Serializer):
    show = serializers.ChoiceField(choices=selectors.QUEUE_FILTERS, required=False)


class AnswerSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    level = serializers.ChoiceField(choices=Level.choices)
    reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=DissatisfactionReason.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="A dissatisfaction reason's code (required for 不满意 unless a comment).",
    )
    comment = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True)


class RecordSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[str(o) for o in outcomes.CALL_OUTCOMES])
    answers = AnswerSerializer(many=True, required=False)
    note = serializers.CharField(max_length=outcomes.NOTE_MAX, required=False, allow_blank=True)
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read; a stale one gets 409."
    )


def _answers(rows: list[dict]) -> dict[int, outcomes.Answer]:
    answers: dict[int, outcomes.Answer] = {}
    for index, row in enumerate(rows):
        if row["item"] in answers:
            raise ValidationFailed.for_fields({f"answers[{index}].item": ["repeated"]})
        answers[row["item"]] = outcomes.Answer(
            level=row["level"], reason=row.get("reason"), comment=row.get("comment", "")
        )
    return answers


_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Open callbacks of your scope, earliest due first",
        parameters=[QueueFilterSerializer],
        responses={200: TaskSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One callback with its script and attempts",
        responses={200: TaskDetailSerializer, **_READ_ERRORS},
    ),
)
@extend_schema(tags=["callbacks"])
class CallbackTaskViewSet(viewsets.GenericViewSet):
    """回访台: the callbacks a 回访员 works, and one call's outcome."""

    queryset = CallbackTask.objects.none()
    serializer_class = TaskSerializer
    permission_classes = [PERMS]
    parser_classes = [JSONParser]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        show = validated(QueueFilterSerializer(data=request.query_params)).get("show", "all")
        page = self.paginate_queryset(selectors.callback_queue(request.user, show=show))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        task = selectors.callback_task_get(request.user, pk_or_404(pk))
        return Response(TaskDetailSerializer(task, context={"request": request}).data)

    @extend_schema(
        summary="Record one call: answered (an answer per open order) or why not",
        request=RecordSerializer,
        responses={200: TaskDetailSerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=RecordSerializer)
    def record(self, request: Request, pk: str) -> Response:
        task = selectors.callback_task_get(request.user, pk_or_404(pk))
        data = validated(RecordSerializer(data=request.data))
        task = outcomes.callback_record(
            actor=request.user,
            task=task,
            outcome=data["outcome"],
            answers=_answers(data.get("answers", [])),
            note=data.get("note", ""),
            expected_version=data.get("version"),
        )
        task = selectors.callback_task_get(request.user, task.pk)
        return Response(TaskDetailSerializer(task, context={"request": request}).data)


class ReplySerializer(_PhoneMixin, serializers.ModelSerializer):
    phone = serializers.SerializerMethodField(help_text="Masked unless you hold view_pii.")

    class Meta:
        model = InboundSms
        fields = ["id", "phone", "text", "received_at", "status", "level", "task"]
        read_only_fields = fields


class ReplyFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=selectors.REVIEW_FILTERS, required=False)


class ReviewSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        allow_blank=True,
        help_text="The answer the reply means; empty: only mark it read.",
    )
    note = serializers.CharField(max_length=COMMENT_MAX, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="SMS replies waiting for a person, oldest first",
        parameters=[ReplyFilterSerializer],
        responses={200: ReplySerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One reply", responses={200: ReplySerializer, **_READ_ERRORS}),
)
@extend_schema(tags=["callbacks"])
class SmsReplyViewSet(viewsets.GenericViewSet):
    """待人工识别: replies the parser could not read, or from a number with no callback."""

    queryset = InboundSms.objects.none()
    serializer_class = ReplySerializer
    permission_classes = [PERMS]
    parser_classes = [JSONParser]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        status = validated(ReplyFilterSerializer(data=request.query_params)).get("status", "")
        page = self.paginate_queryset(selectors.sms_review_queue(request.user, status=status))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        reply = selectors.sms_reply_get(request.user, pk_or_404(pk))
        return Response(self.get_serializer(reply).data)

    @extend_schema(
        summary="Read by a person: record the answer it means, or mark it read",
        request=ReviewSerializer,
        responses={200: ReplySerializer, **_WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def review(self, request: Request, pk: str) -> Response:
        reply = selectors.sms_reply_get(request.user, pk_or_404(pk))
        data = validated(ReviewSerializer(data=request.data))
        reply = inbound.inbound_review(
            actor=request.user, row=reply, level=data.get("level", ""), note=data.get("note", "")
        )
        return Response(ReplySerializer(reply, context={"request": request}).data)
