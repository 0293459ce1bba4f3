"""REST API of rule configuration: dispatch rules with the rule tester, writes to the
work-order reference data, and the audit log of rule changes.

Thin edges: serializers check shape, kefu.rules.services decide and write, selectors
read inside the caller's scope. A dispatch rule outside the caller's reach is a 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.complaints.models import ComplaintSettings
from kefu.core.api import MAX_PK, LabelField, error_responses, pk_or_404, validated
from kefu.core.errors import NotFound, ValidationFailed
from kefu.core.parsers import JSONParser
from kefu.customers.models import ServiceTier
from kefu.notify.models import NotificationTemplate
from kefu.org.models import OrgUnit
from kefu.rules import selectors, services
from kefu.rules.explain import CRITERIA_LABELS, explain_for
from kefu.rules.models import ChangeAction, RuleChange
from kefu.sla.models import SlaPolicy
from kefu.workorders.api import (
    BusinessLineViewSet,
    CategoryViewSet,
    WorkOrderTypeViewSet,
)
from kefu.workorders.models import (
    Assignment,
    BusinessLine,
    Category,
    CategoryKind,
    DispatchRule,
    WorkOrderType,
)
from kefu.workorders.serializers import BusinessLineSerializer, WorkOrderTypeSerializer

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404)


def _pk(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_PK, **kwargs)


def _resolve(data: dict[str, Any], field: str, rows) -> None:
    """Replace an id in `data` by its row (None stays None), or name the field at fault."""
    if field not in data or data[field] is None:
        return
    row = rows.filter(pk=data[field]).first()
    if row is None:
        raise ValidationFailed.for_fields({field: [_("Choose a valid option.")]})
    data[field] = row


def _require_any(*perms: str):
    class HasAny(permissions.BasePermission):
        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_perm(p) for p in perms))

    return HasAny


# --- dispatch rules ---


class DispatchRuleSerializer(serializers.ModelSerializer):
    order_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    order_type_name = serializers.CharField(source="order_type.name", default=None)
    business_line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    business_line_name = serializers.CharField(source="business_line.name", default=None)
    area_name = serializers.CharField(source="area.name", default=None)
    target_unit_name = serializers.CharField(source="target_unit.name")
    tiers = serializers.ListField(child=serializers.CharField())
    assignment_display = LabelField(Assignment.choices, source="assignment")

    class Meta:
        model = DispatchRule
        fields = [
            "id",
            "name",
            "priority",
            "order_type",
            "order_type_name",
            "business_line",
            "business_line_name",
            "area",
            "area_name",
            "tiers",
            "target_unit",
            "target_unit_name",
            "assignment",
            "assignment_display",
            "skill",
            "is_active",
        ]
        read_only_fields = fields


class DispatchRuleInputSerializer(serializers.Serializer):
    """Shape only; the service checks the units against the caller's reach."""

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
    area = _pk(
        allow_null=True,
        required=False,
        help_text="Org unit id: orders from this unit and below; null: every area.",
    )
    tiers = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceTier.choices),
        required=False,
        max_length=20,
        help_text="Customer tiers; empty: every tier.",
    )
    target_unit = _pk(help_text="Org unit id of the handling unit.")
    assignment = serializers.ChoiceField(choices=Assignment.choices, required=False)
    skill = serializers.CharField(max_length=40, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


class MatchInputSerializer(serializers.Serializer):
    order_type = serializers.SlugRelatedField(
        slug_field="code", queryset=WorkOrderType.objects.all(), help_text="Work-order type code."
    )
    business_line = serializers.SlugRelatedField(
        slug_field="code",
        queryset=BusinessLine.objects.all(),
        allow_null=True,
        required=False,
        help_text="Business-line code.",
    )
    area = _pk(help_text="Org unit id of the customer's area.")
    customer_tier = serializers.ChoiceField(
        choices=ServiceTier.choices, allow_blank=True, required=False
    )


class CandidateSerializer(serializers.Serializer):
    rule = DispatchRuleSerializer()
    matches = serializers.BooleanField(help_text="Every criterion of the rule fits.")
    wins = serializers.BooleanField(help_text="The rule the router picks (first match).")
    failed = serializers.ListField(
        child=serializers.ChoiceField(choices=list(CRITERIA_LABELS)),
        help_text="The criteria the order fails.",
    )
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why, in words.")


class MatchSerializer(serializers.Serializer):
    winner = DispatchRuleSerializer(allow_null=True, help_text="null: the dispatch queue.")
    routed_outside_scope = serializers.BooleanField(
        help_text="A rule outside your data scope wins (its details are not shown)."
    )
    candidates = CandidateSerializer(many=True)


def _rule_input(request: Request, *, partial: bool) -> dict[str, Any]:
    data = validated(DispatchRuleInputSerializer(data=request.data, partial=partial))
    for field in ("area", "target_unit"):
        _resolve(data, field, OrgUnit.objects.all())
    return data


@extend_schema_view(
    list=extend_schema(
        summary="Dispatch rules in your data scope, in matching order",
        responses={200: DispatchRuleSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One dispatch rule", responses={200: DispatchRuleSerializer, **_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create a dispatch rule (area and target inside your data scope)",
        request=DispatchRuleInputSerializer,
        responses={201: DispatchRuleSerializer, **_WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a dispatch rule (is_active=false deactivates it)",
        request=DispatchRuleInputSerializer,
        responses={200: DispatchRuleSerializer, **_WRITE_ERRORS},
    ),
    match=extend_schema(
        summary="Which rule would match this order? (哪条规则会命中)",
        request=MatchInputSerializer,
        responses={200: MatchSerializer, **_READ_ERRORS},
    ),
)
@extend_schema(tags=["rules"])
class DispatchRuleViewSet(viewsets.GenericViewSet):
    """派单规则. Holders of rules.manage_dispatch_rules, within their data scope."""

    queryset = DispatchRule.objects.none()  # for the schema; rows come from the selectors
    serializer_class = DispatchRuleSerializer
    parser_classes = [JSONParser]
    filter_backends: list = []

    def get_permissions(self):
        return [_require_any(services.MANAGE_DISPATCH_RULES)()]

    def _get(self, pk: str) -> DispatchRule:
        rule = selectors.dispatch_rule_visible(self.request.user, pk_or_404(pk))
        if rule is None:
            raise NotFound()
        return rule

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.dispatch_rules_visible(request.user))
        return self.get_paginated_response(DispatchRuleSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(DispatchRuleSerializer(self._get(pk)).data)

    def create(self, request: Request) -> Response:
        data = _rule_input(request, partial=False)
        rule = services.dispatch_rule_create(actor=request.user, data=data)
        return Response(DispatchRuleSerializer(self._get(rule.pk)).data, status=201)

    def partial_update(self, request: Request, pk: str) -> Response:
        rule = self._get(pk)
        data = _rule_input(request, partial=True)
        rule = services.dispatch_rule_update(actor=request.user, rule=rule, data=data)
        return Response(DispatchRuleSerializer(self._get(rule.pk)).data)

    @action(detail=False, methods=["post"])
    def match(self, request: Request) -> Response:
        data = validated(MatchInputSerializer(data=request.data))
        _resolve(data, "area", OrgUnit.objects.all())
        result = explain_for(
            request.user,
            order_type=data["order_type"],
            business_line=data.get("business_line"),
            area=data["area"],
            customer_tier=data.get("customer_tier", ""),
        )
        body = {
            "winner": result.winner,
            "routed_outside_scope": result.routed_outside_scope,
            "candidates": [
                {
                    "rule": c.rule,
                    "matches": not c.failed,
                    "wins": c.wins,
                    "failed": list(c.failed),
                    "reasons": [str(r) for r in c.reasons],
                }
                for c in result.candidates
            ],
        }
        return Response(MatchSerializer(body).data)


# --- reference data: the read-only viewsets of kefu.workorders.api, with writes ---


class WorkOrderTypeFullSerializer(WorkOrderTypeSerializer):
    """The public fields, and what only editors see: active, sort."""

    class Meta(WorkOrderTypeSerializer.Meta):
        fields = [*WorkOrderTypeSerializer.Meta.fields, "is_active", "sort"]
        read_only_fields = fields


class WorkOrderTypeInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32, help_text="Fixed once created.")
    name = serializers.CharField(max_length=50)
    is_complaint = serializers.BooleanField(required=False)
    is_fault = serializers.BooleanField(required=False)
    is_internal = serializers.BooleanField(required=False)
    needs_callback = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    sort = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class BusinessLineFullSerializer(BusinessLineSerializer):
    class Meta(BusinessLineSerializer.Meta):
        fields = [*BusinessLineSerializer.Meta.fields, "is_active", "sort"]
        read_only_fields = fields


class BusinessLineInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=32, help_text="Fixed once created.")
    name = serializers.CharField(max_length=50)
    is_active = serializers.BooleanField(required=False)
    sort = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class CategoryFullSerializer(serializers.ModelSerializer):
    kind_display = LabelField(CategoryKind.choices, source="kind")
    full_name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "kind", "kind_display", "code", "name", "parent", "full_name", "is_active"]
        read_only_fields = fields


class CategoryInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CategoryKind.choices, help_text="Fixed once created.")
    code = serializers.SlugField(max_length=40, help_text="Fixed once created.")
    name = serializers.CharField(max_length=60)
    parent = _pk(allow_null=True, required=False, help_text="Parent category id; null: a root.")
    is_active = serializers.BooleanField(required=False)


class _ReferenceWrites:
    """create / retrieve / partial_update for a reference viewset (list stays as it was)."""

    model: type
    full_serializer: type[serializers.Serializer]
    input_serializer: type[serializers.Serializer]
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request is not None and self.request.method not in permissions.SAFE_METHODS:
            return [_require_any(services.MANAGE_REFERENCE_DATA)()]
        return super().get_permissions()

    def _get(self, pk: str):
        row = selectors.reference_row(self.model, pk_or_404(pk))
        if row is None:
            raise NotFound()
        return row

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        data = validated(self.input_serializer(data=request.data, partial=partial))
        if self.model is Category:
            _resolve(data, "parent", Category.objects.all())
        return data

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(self.full_serializer(self._get(pk)).data)

    def create(self, request: Request) -> Response:
        data = self._input(request, partial=False)
        row = services.reference_create(actor=request.user, model=self.model, data=data)
        return Response(self.full_serializer(row).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        row = self._get(pk)
        data = self._input(request, partial=True)
        row = services.reference_update(actor=request.user, obj=row, data=data)
        return Response(self.full_serializer(row).data)


def _reference_schema(name: str, full, inp):
    return extend_schema_view(
        retrieve=extend_schema(
            summary=f"One {name} (active or not)", responses={200: full, **_READ_ERRORS}
        ),
        create=extend_schema(
            summary=f"Create a {name} (rules.manage_reference_data)",
            request=inp,
            responses={201: full, **_WRITE_ERRORS},
        ),
        partial_update=extend_schema(
            summary=f"Change a {name} (is_active=false deactivates it)",
            request=inp,
            responses={200: full, **_WRITE_ERRORS},
        ),
    )


@_reference_schema("work-order type", WorkOrderTypeFullSerializer, WorkOrderTypeInputSerializer)
class WorkOrderTypeWriteViewSet(_ReferenceWrites, WorkOrderTypeViewSet):
    model = WorkOrderType
    full_serializer = WorkOrderTypeFullSerializer
    input_serializer = WorkOrderTypeInputSerializer


@_reference_schema("business line", BusinessLineFullSerializer, BusinessLineInputSerializer)
class BusinessLineWriteViewSet(_ReferenceWrites, BusinessLineViewSet):
    model = BusinessLine
    full_serializer = BusinessLineFullSerializer
    input_serializer = BusinessLineInputSerializer


@_reference_schema("category", CategoryFullSerializer, CategoryInputSerializer)
class CategoryWriteViewSet(_ReferenceWrites, CategoryViewSet):
    model = Category
    full_serializer = CategoryFullSerializer
    input_serializer = CategoryInputSerializer


# --- the audit log ---


class RuleChangeSerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(source="content_type.model")
    action_display = LabelField(ChangeAction.choices, source="action")
    actor_name = serializers.SerializerMethodField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)

    class Meta:
        model = RuleChange
        fields = [
            "id",
            "at",
            "object_type",
            "object_id",
            "object_repr",
            "action",
            "action_display",
            "actor",
            "actor_name",
            "before",
            "after",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj: RuleChange) -> str | None:
        if obj.actor is None:
            return None
        return obj.actor.get_full_name() or obj.actor.get_username()


OBJECT_TYPES: dict[str, type] = {
    "dispatchrule": DispatchRule,
    "workordertype": WorkOrderType,
    "businessline": BusinessLine,
    "category": Category,
    "slapolicy": SlaPolicy,
    "notificationtemplate": NotificationTemplate,
    "complaintsettings": ComplaintSettings,
}


class RuleChangeFilterSerializer(serializers.Serializer):
    object_type = serializers.ChoiceField(choices=list(OBJECT_TYPES), required=False)
    object_id = _pk(required=False, help_text="With object_type: the changes of one object.")


@extend_schema_view(
    list=extend_schema(
        summary="Changes to rules and reference data, newest first (规则变更记录)",
        parameters=[RuleChangeFilterSerializer],
        responses={200: RuleChangeSerializer(many=True), **_READ_ERRORS},
    )
)
@extend_schema(tags=["rules"])
class RuleChangeViewSet(viewsets.GenericViewSet):
    queryset = RuleChange.objects.none()
    serializer_class = RuleChangeSerializer
    filter_backends: list = []

    def get_permissions(self):
        return [_require_any(*selectors.CHANGE_READ_PERMS)()]

    def list(self, request: Request) -> Response:
        filters = validated(RuleChangeFilterSerializer(data=request.query_params))
        model = OBJECT_TYPES.get(filters.get("object_type", ""))
        if "object_id" in filters and model is None:
            raise ValidationFailed.for_fields({"object_type": [_("Required with object_id.")]})
        one_rule = model is DispatchRule and "object_id" in filters
        if one_rule and selectors.dispatch_rule_visible(request.user, filters["object_id"]) is None:
            raise NotFound()
        rows = selectors.rule_changes_visible(
            request.user, model=model, object_id=filters.get("object_id")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RuleChangeSerializer(page, many=True).data)


# --- complaint intelligence 投诉研判 ---


class ComplaintSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintSettings
        fields = list(services.COMPLAINT_SETTINGS_FIELDS)


class ComplaintSettingsInputSerializer(serializers.Serializer):
    repeat_window_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, help_text="0: no repeat complaints."
    )
    batch_threshold = serializers.IntegerField(
        min_value=0, max_value=10_000, required=False, help_text="0: no batch alerts."
    )
    batch_window_hours = serializers.IntegerField(min_value=1, max_value=24 * 31, required=False)


@extend_schema(tags=["rules"])
class ComplaintSettingsView(APIView):
    """投诉研判参数: the repeat-complaint window and the batch-alert threshold and window."""

    parser_classes = [JSONParser]

    def get_permissions(self):
        return [_require_any(services.MANAGE_REFERENCE_DATA)()]

    @extend_schema(
        summary="The complaint-intelligence settings",
        responses={200: ComplaintSettingsSerializer, **_READ_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(ComplaintSettingsSerializer(ComplaintSettings.current()).data)

    @extend_schema(
        summary="Change the complaint-intelligence settings (audited)",
        request=ComplaintSettingsInputSerializer,
        responses={200: ComplaintSettingsSerializer, **_WRITE_ERRORS},
    )
    def patch(self, request: Request) -> Response:
        data = validated(ComplaintSettingsInputSerializer(data=request.data))
        saved = services.complaint_settings_update(actor=request.user, data=data)
        return Response(ComplaintSettingsSerializer(saved).data)
