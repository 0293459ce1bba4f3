"""REST API of the customer archive (客户档案) and the access log (查阅登记).

Thin edges: the serializers (`kefu.customers.serializers`) check the shape of the input and
shape the output, the services decide and write, the selectors read inside the caller's
data scope. Phone and ID numbers leave this API masked; only `reveal` returns them in
clear, and the service logs that.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kefu.core.api import (
    error_responses,
    flatten_errors,
    pk_or_404,
    require_perms,
)
from kefu.core.errors import ValidationFailed
from kefu.core.http import client_ip
from kefu.core.idempotency import (
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    idempotent,
)
from kefu.core.parsers import JSONParser
from kefu.core.throttling import ScreenPopRateThrottle
from kefu.customers import selectors, services, services_pii
from kefu.customers.models import (
    AccessLog,
    Customer,
)
from kefu.customers.serializers import (
    AccessLogFilterSerializer,
    AccessLogSerializer,
    ChangeRegisterSerializer,
    ChangeRequestSerializer,
    CustomerCreateSerializer,
    CustomerFilterSerializer,
    CustomerSerializer,
    CustomerSummarySerializer,
    CustomerUpdateSerializer,
    HistorySerializer,
    IdentitySerializer,
    RevealResultSerializer,
    RevealSerializer,
    TierOverrideSerializer,
)
from kefu.customers.validation import FIELD_LABELS

_FIELD_HEAD = re.compile(r"^[^.\[]*")


def _parse(serializer: serializers.Serializer) -> dict[str, Any]:
    """Validated data, or ValidationFailed naming each field by its user-facing label.

    Services name fields by their translated label (FIELD_LABELS); shape errors caught here
    use the same labels so an API client sees one vocabulary whichever layer objected.
    """
    if not serializer.is_valid():
        errors = flatten_errors(serializer.errors)
        raise ValidationFailed.for_fields(
            {_label(field): messages for field, messages in errors.items()}
        )
    return serializer.validated_data


def _label(field: str) -> str:
    """Field name as the user reads it: phone → 电话, tags[2] → 标签[2]; others unchanged."""
    head = _FIELD_HEAD.match(field).group(0)
    return str(FIELD_LABELS.get(head, head)) + field[len(head) :]


def _mapping(data: Any) -> dict[str, Any]:
    return data if isinstance(data, dict) else {}


def _as_filters(data: dict[str, Any]) -> dict[str, str]:
    """Selectors take filters as strings, as they arrive from a query string or a form."""
    return {key: str(value) for key, value in data.items()}


# --- views ------------------------------------------------------------------------------

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


@extend_schema_view(
    list=extend_schema(
        summary="Search customers (list rows; products, contacts and tags in the detail)",
        parameters=[CustomerFilterSerializer],
        responses={200: CustomerSummarySerializer(many=True), **_READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One customer", responses={200: CustomerSerializer, **_READ_ERRORS}
    ),
    create=extend_schema(
        summary="Create a customer",
        request=CustomerCreateSerializer,
        parameters=[IDEMPOTENCY_HEADER, IDEMPOTENT_REPLAYED_HEADER],
        responses={201: CustomerSerializer, **_WRITE_ERRORS, **IDEMPOTENCY_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change non-sensitive fields",
        request=CustomerUpdateSerializer,
        responses={200: CustomerSerializer, **_WRITE_ERRORS},
    ),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(viewsets.GenericViewSet):
    """客户档案. Customers outside your data scope do not exist for you (404)."""

    queryset = Customer.objects.none()  # for the schema; rows come from the selectors
    serializer_class = CustomerSerializer
    permission_classes = [require_perms("customers.view_customer")]
    parser_classes = [JSONParser]
    filter_backends: list = []

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "list" and selectors.is_number_lookup(self.request.query_params):
            throttles.append(ScreenPopRateThrottle())
        return throttles

    def _get(self, pk: str) -> Customer:
        return selectors.customer_get(viewer=self.request.user, pk=pk_or_404(pk))

    def _render(self, customer: Customer, *, status_code: int = status.HTTP_200_OK) -> Response:
        # Re-read through the selector so products, tags and contacts come prefetched.
        fresh = selectors.customer_get(viewer=self.request.user, pk=customer.pk)
        return Response(CustomerSerializer(fresh).data, status=status_code)

    def list(self, request: Request) -> Response:
        filters = _parse(CustomerFilterSerializer(data=request.query_params))
        customers = selectors.customer_list(
            viewer=request.user, filters=_as_filters(filters)
        ).select_related("manager")
        page = self.paginate_queryset(customers)
        return self.get_paginated_response(CustomerSummarySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(CustomerSerializer(self._get(pk)).data)

    @idempotent
    def create(self, request: Request) -> Response:
        data = dict(_parse(CustomerCreateSerializer(data=request.data)))
        org_unit = data.pop("org_unit")
        products = [dict(p) for p in data.pop("products", [])]
        tags = data.pop("tags", [])
        customer = services.customer_create(
            actor=request.user, data=data, org_unit=org_unit, products=products, tags=tags
        )
        return self._render(customer, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        customer = self._get(pk)
        data = dict(_parse(CustomerUpdateSerializer(data=request.data, partial=True)))
        version = data.pop("version", None)
        customer = services.customer_update(
            actor=request.user, customer=customer, data=data, expected_version=version
        )
        return self._render(customer)

    @extend_schema(
        summary="The customer's change history",
        responses={200: HistorySerializer(many=True), **_READ_ERRORS},
    )
    @action(detail=True, methods=["get"], serializer_class=HistorySerializer)
    def history(self, request: Request, pk: str) -> Response:
        entries = selectors.customer_history(viewer=request.user, pk=pk_or_404(pk))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(HistorySerializer(page, many=True).data)

    @extend_schema(
        summary="Show phone or ID number in clear (logged in the access log)",
        request=RevealSerializer,
        responses={200: RevealResultSerializer, **_READ_ERRORS},
    )
    @action(detail=True, methods=["post"], serializer_class=RevealSerializer)
    def reveal(self, request: Request, pk: str) -> Response:
        customer = self._get(pk)
        data = _parse(RevealSerializer(data=request.data))
        clear = services_pii.customer_reveal(
            actor=request.user,
            customer=customer,
            fields=tuple(data["fields"]),
            reason=data.get("reason", ""),
            ip=client_ip(request) or None,
            product_id=data.get("product"),
        )
        return Response(RevealResultSerializer(clear).data)

    @extend_schema(
        summary="Register a sensitive change after an identity check (变更登记)",
        request=ChangeRegisterSerializer,
        # 429 too_many_identity_checks: repeated failed identity checks on this customer
        responses={201: ChangeRequestSerializer, **_WRITE_ERRORS, **error_responses(429)},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="change-register",
        serializer_class=ChangeRegisterSerializer,
    )
    def change_register(self, request: Request, pk: str) -> Response:
        customer = self._get(pk)
        ip = client_ip(request) or None
        body = ChangeRegisterSerializer(data=request.data)
        if not body.is_valid():
            # The identity check is made (and logged) whatever else the request got wrong:
            # a 400 about the rest must not tell, unlogged, whether the identity matched.
            stated = IdentitySerializer(data=_mapping(request.data).get("identity"))
            if stated.is_valid() and any(stated.validated_data.values()):
                services_pii.customer_identity_check(
                    actor=request.user,
                    customer=customer,
                    identity=dict(stated.validated_data),
                    ip=ip,
                )
        data = _parse(body)
        entry = services_pii.customer_change_register(
            actor=request.user,
            customer=customer,
            changes=dict(data["changes"]),
            identity=dict(data["identity"]),
            reason=data["reason"],
            channel=data.get("channel", ""),
            ip=ip,
        )
        return Response(ChangeRequestSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Set or clear a manual service tier (reason required)",
        request=TierOverrideSerializer,
        responses={200: CustomerSerializer, **_WRITE_ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="tier-override",
        serializer_class=TierOverrideSerializer,
    )
    def tier_override(self, request: Request, pk: str) -> Response:
        customer = self._get(pk)
        data = _parse(TierOverrideSerializer(data=request.data))
        customer = services.customer_tier_override(
            actor=request.user,
            customer=customer,
            tier=data["tier"],
            reason=data.get("reason", ""),
        )
        return self._render(customer)


@extend_schema_view(
    list=extend_schema(
        summary="Access log (查阅登记) of unmasked views and exports",
        parameters=[AccessLogFilterSerializer],
        responses={200: AccessLogSerializer(many=True), **_READ_ERRORS},
    )
)
@extend_schema(tags=["access log"])
class AccessLogViewSet(viewsets.GenericViewSet):
    """查阅登记: supervisors browse who saw or exported personal data, within their scope."""

    queryset = AccessLog.objects.none()
    serializer_class = AccessLogSerializer
    permission_classes = [require_perms("customers.view_accesslog")]
    filter_backends: list = []

    def list(self, request: Request) -> Response:
        filters = _parse(AccessLogFilterSerializer(data=request.query_params))
        entries = selectors.access_log_list(viewer=request.user, filters=_as_filters(filters))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AccessLogSerializer(page, many=True).data)
