"""REST API of the org tree, staff and roles (read only), and the token login.

Org units and staff come from the org selectors, so both are narrowed to the caller's data
scope; anything outside it answers 404 exactly like an id that does not exist.
"""

from __future__ import annotations

import time

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from kefu.core.api import (
    MAX_PK,
    LabelField,
    error_responses,
    pk_or_404,
    require_perms,
    validated,
)
from kefu.core.errors import NotFound
from kefu.core.http import client_ip
from kefu.core.parsers import JSONParser
from kefu.core.throttling import ClientAddressMixin
from kefu.org import selectors
from kefu.org.models import DataScope, OrgLevel, OrgUnit, Role, RoleAssignment, StaffProfile
from kefu.web.throttle import login_failed, login_locked, login_succeeded

_READ_ERRORS = error_responses(400, 401, 403, 404)


# --- org units --------------------------------------------------------------------------


class OrgUnitSerializer(serializers.ModelSerializer):
    level_display = LabelField(OrgLevel.choices, source="level")
    parent_name = serializers.SerializerMethodField()

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "code",
            "level",
            "level_display",
            "parent",
            "parent_name",
            "path",
            "depth",
            "is_active",
        ]
        read_only_fields = fields

    def get_parent_name(self, obj: OrgUnit) -> str | None:
        return obj.parent.name if obj.parent_id else None


class AncestorSerializer(serializers.ModelSerializer):
    level_display = LabelField(OrgLevel.choices, source="level")

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "level", "level_display"]


class OrgUnitDetailSerializer(OrgUnitSerializer):
    ancestors = serializers.SerializerMethodField(
        help_text="From the root down to the parent, read off the materialised path."
    )

    class Meta(OrgUnitSerializer.Meta):
        fields = [*OrgUnitSerializer.Meta.fields, "ancestors"]
        read_only_fields = fields

    @extend_schema_field(AncestorSerializer(many=True))
    def get_ancestors(self, obj: OrgUnit) -> list:
        ids = [int(segment) for segment in obj.path.split("/") if segment][:-1]
        units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
        return AncestorSerializer([units[i] for i in ids if i in units], many=True).data


class OrgUnitFilterSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=OrgLevel.choices, required=False)
    parent = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PK, help_text="Parent unit id."
    )


@extend_schema_view(
    list=extend_schema(
        summary="Org units in your data scope, in tree order",
        parameters=[OrgUnitFilterSerializer],
        responses={200: OrgUnitSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One org unit", responses={200: OrgUnitDetailSerializer, **_READ_ERRORS}
    ),
)
@extend_schema(tags=["org units"])
class OrgUnitViewSet(viewsets.GenericViewSet):
    """Org tree (集团/省/市/县/部门/班组)."""

    queryset = OrgUnit.objects.none()
    serializer_class = OrgUnitSerializer
    permission_classes = [require_perms("org.view_orgunit")]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        filters = validated(OrgUnitFilterSerializer(data=request.query_params))
        units = selectors.org_units_visible(request.user).select_related("parent")
        if "level" in filters:
            units = units.filter(level=filters["level"])
        if "parent" in filters:
            units = units.filter(parent_id=filters["parent"])
        page = self.paginate_queryset(units)
        return self.get_paginated_response(OrgUnitSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        unit = (
            selectors.org_units_visible(request.user)
            .select_related("parent")
            .filter(pk=pk_or_404(pk))
            .first()
        )
        if unit is None:
            raise NotFound()
        return Response(OrgUnitDetailSerializer(unit).data)


# --- staff ------------------------------------------------------------------------------


class StaffRoleSerializer(serializers.ModelSerializer):
    """One role a staff member holds, where it is anchored and how far it reaches."""

    role = serializers.CharField(source="role.code", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    scope_display = LabelField(DataScope.choices, source="scope")

    class Meta:
        model = RoleAssignment
        fields = ["role", "role_name", "org_unit", "org_unit_name", "scope", "scope_display"]


class StaffSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    is_active = serializers.BooleanField(source="user.is_active", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    vendor_name = serializers.SerializerMethodField()
    skills = serializers.ListField(child=serializers.CharField(), read_only=True)
    roles = StaffRoleSerializer(source="user.role_assignments", many=True, read_only=True)

    class Meta:
        model = StaffProfile
        fields = [
            "id",
            "user_id",
            "username",
            "display_name",
            "employee_no",
            "org_unit",
            "org_unit_name",
            "vendor_name",
            "skills",
            "on_leave",
            "is_active",
            "roles",
        ]
        read_only_fields = fields

    def get_vendor_name(self, obj: StaffProfile) -> str | None:
        return obj.vendor.name if obj.vendor_id else None


class StaffFilterSerializer(serializers.Serializer):
    org_unit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="Org unit id; includes its whole subtree.",
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="Name or employee-number prefix, or username.",
    )


@extend_schema_view(
    list=extend_schema(
        summary="Staff in your data scope",
        parameters=[StaffFilterSerializer],
        responses={200: StaffSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One staff member", responses={200: StaffSerializer, **_READ_ERRORS}
    ),
)
@extend_schema(tags=["staff"])
class StaffViewSet(viewsets.GenericViewSet):
    """Staff (员工) with their org unit, employee number, roles and data scopes."""

    queryset = StaffProfile.objects.none()
    serializer_class = StaffSerializer
    permission_classes = [require_perms("org.view_staffprofile")]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        filters = validated(StaffFilterSerializer(data=request.query_params))
        staff = selectors.staff_list(
            viewer=request.user, filters={k: str(v) for k, v in filters.items()}
        )
        page = self.paginate_queryset(staff)
        return self.get_paginated_response(StaffSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        member = selectors.staff_list(viewer=request.user).filter(pk=pk_or_404(pk)).first()
        if member is None:
            raise NotFound()
        return Response(StaffSerializer(member).data)


# --- roles ------------------------------------------------------------------------------


class RoleSerializer(serializers.ModelSerializer):
    default_scope_display = LabelField(DataScope.choices, source="default_scope")
    permissions = serializers.SerializerMethodField(help_text='Codes like "customers.view_pii".')

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "description",
            "default_scope",
            "default_scope_display",
            "permissions",
        ]
        read_only_fields = fields

    def get_permissions(self, obj: Role) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in obj.permissions.all())


@extend_schema_view(
    list=extend_schema(
        summary="Roles and their permission sets",
        responses={200: RoleSerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(summary="One role", responses={200: RoleSerializer, **_READ_ERRORS}),
)
@extend_schema(tags=["roles"])
class RoleViewSet(viewsets.GenericViewSet):
    """Roles (坐席, 派单员, 主管 …): permission sets; the data scope is set per assignment."""

    queryset = Role.objects.none()
    serializer_class = RoleSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def _roles(self):
        # Roles are configuration, not scoped data: every staff member may read them.
        return Role.objects.prefetch_related("permissions__content_type").order_by("id")

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self._roles())
        return self.get_paginated_response(RoleSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        role = self._roles().filter(pk=pk_or_404(pk)).first()
        if role is None:
            raise NotFound()
        return Response(RoleSerializer(role).data)


# --- token login ------------------------------------------------------------------------


class TokenThrottle(ClientAddressMixin, ScopedRateThrottle):
    """Scope `auth_token`: password guessing is throttled per client address."""

    default_rate = "10/min"

    def get_rate(self) -> str:
        return self.THROTTLE_RATES.get(self.scope) or self.default_rate


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')
    username = serializers.CharField()


@extend_schema(tags=["auth"])
class TokenObtainView(APIView):
    """Exchange username and password for an API token (the same token on every call).

    Two brakes: a scoped rate per client address, and the sign-in page's lock-out of a
    username from an address after repeated failures (KEFU_LOGIN_MAX_FAILURES).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenThrottle]
    throttle_scope = "auth_token"
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Obtain an API token",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        # Same lock-out as the sign-in page, so the API is no side door for password guessing.
        data = request.data if isinstance(request.data, dict) else {}
        username, ip = str(data.get("username", "")), client_ip(request)
        locked = login_locked(username=username, ip=ip)
        if locked:
            raise exceptions.Throttled(wait=locked.retry_after(time.time()))
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid() and username and data.get("password"):
            login_failed(username=username, ip=ip)
        user = validated(serializer)["user"]
        login_succeeded(username=username, ip=ip)
        with transaction.atomic():
            token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key, "username": user.get_username()}).data)
