"""REST API of work orders 工单 and their reference data (types, business lines, categories).

Thin edges: the input serializers (`kefu.workorders.serializers_input`) check the shape of
the input, `services` decide and write, `selectors` read inside the caller's data scope, the
output serializers (`kefu.workorders.serializers`) shape the answer. An order outside the
scope answers 404 exactly like one that does not exist. Caller numbers leave this API masked.

List rows are deliberately lean (WorkOrderSummarySerializer): one query with joins for a
page, no per-row permission or count queries, so a page stays fast over millions of orders.
The detail carries everything, including the actions the caller may take now.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kefu.core.api import (
    MAX_PK,
    Pagination,
    error_responses,
    require_perms,
    validated,
)
from kefu.core.errors import NotFound
from kefu.core.http import client_ip
from kefu.core.idempotency import (
    IDEMPOTENCY_ERRORS,
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_REPLAYED_HEADER,
    idempotent,
)
from kefu.core.parsers import JSONParser
from kefu.customers.models import Customer
from kefu.org.models import OrgUnit
from kefu.sla import selectors as sla_selectors
from kefu.sla.api import SlaClockSerializer
from kefu.workorders import actions, selectors, services
from kefu.workorders.arguments import action_arguments
from kefu.workorders.attachments import attachment_file, attachment_response
from kefu.workorders.contact import work_order_contact_reveal
from kefu.workorders.models import (
    BusinessLine,
    Category,
    WorkOrder,
    WorkOrderType,
)
from kefu.workorders.serializers import (
    UNIT_FIELDS,
    BusinessLineSerializer,
    CategorySerializer,
    ContactRevealSerializer,
    EventSerializer,
    WorkOrderDetailSerializer,
    WorkOrderSummarySerializer,
    WorkOrderTypeSerializer,
    timeline_data,
)
from kefu.workorders.serializers_input import (
    CategoryFilterSerializer,
    WorkOrderActionSerializer,
    WorkOrderCorrectionSerializer,
    WorkOrderCreateSerializer,
    WorkOrderFilterSerializer,
    as_filters,
    correction_changes,
    create_arguments,
)
from kefu.workorders.transitions import ACTIONS

_READ_ERRORS = error_responses(400, 401, 403, 404)
_WRITE_ERRORS = error_responses(400, 401, 403, 404, 409)


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
        filters = validated(CategoryFilterSerializer(data=request.query_params))
        rows = Category.objects.filter(is_active=True).select_related("parent")
        if "kind" in filters:
            rows = rows.filter(kind=filters["kind"])
        if "parent" in filters:
            rows = rows.filter(parent_id=filters["parent"])
        return rows


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
        *UNIT_FIELDS,
    ).prefetch_related("related")


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
        filters = validated(WorkOrderFilterSerializer(data=request.query_params))
        orders = summary_rows(
            selectors.work_order_list(
                viewer=request.user,
                queue=filters["queue"],
                filters=as_filters(filters),
                ordering=filters.get("ordering"),
            )
        )
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(WorkOrderSummarySerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._render(self._get(pk))

    def partial_update(self, request: Request, pk: str) -> Response:
        order = self._get(pk)
        data = dict(validated(WorkOrderCorrectionSerializer(data=request.data)))
        version = data.pop("version")
        order = services.work_order_correct(
            actor=request.user,
            order=order,
            changes=correction_changes(request.user, data),
            expected_version=version,
        )
        return self._render(order)

    @idempotent
    def create(self, request: Request) -> Response:
        data = validated(WorkOrderCreateSerializer(data=request.data))
        intake = services.work_order_take_in(
            actor=request.user, **create_arguments(request.user, data)
        )
        return self._render(
            intake.order,
            status_code=status.HTTP_201_CREATED,
            just_created=True,
            timeline=intake.events,
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
        data = dict(validated(WorkOrderActionSerializer(data=request.data)))
        version = data.pop("version", None)
        order = actions.work_order_act(
            actor=request.user,
            order=order,
            action=action_name,
            data=action_arguments(request.user, data),
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
