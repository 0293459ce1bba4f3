"""CTI screen-pop 来电弹屏: who is calling, what is open for them, what is broken near them.

The telephony system (CTI) calls `GET /api/v1/cti/screen-pop/?caller=<number>` as the
agent's phone rings, with the agent's token, and opens `workbench_url` for the agent. Every
read goes through the selectors, so an agent sees only customers and orders of their own
data scope: a caller outside it pops up as an unknown caller. Phones leave masked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kefu.core.api import error_responses, flatten_errors, require_perms
from kefu.core.cn_validation import InvalidValue, normalize_phone
from kefu.core.errors import ValidationFailed
from kefu.core.throttling import ScreenPopRateThrottle
from kefu.customers.selectors import customer_list
from kefu.customers.serializers import CustomerSummarySerializer
from kefu.outages.models import Outage
from kefu.outages.selectors import active_outages_for_unit
from kefu.workorders.api import summary_rows
from kefu.workorders.selectors import work_orders_visible
from kefu.workorders.serializers import WorkOrderSummarySerializer
from kefu.workorders.transitions import OPEN

WORKBENCH_PATH = "/workbench/"
MAX_CUSTOMERS = 10  # one phone shared by a family or a company's lines
MAX_OPEN = 20
MAX_RECENT = 10


class ScreenPopQuerySerializer(serializers.Serializer):
    caller = serializers.CharField(
        max_length=30,
        help_text="The calling number: mobile, or landline with area code (+86, spaces and "
        "dashes are ignored).",
    )


class OutageSummarySerializer(serializers.ModelSerializer):
    """An outage as the agent tells the caller: what, since when, fixed by when."""

    business_line_name = serializers.SerializerMethodField()
    area_names = serializers.SerializerMethodField()

    class Meta:
        model = Outage
        fields = [
            "id",
            "title",
            "business_line",
            "business_line_name",
            "area_names",
            "cause",
            "started_at",
            "expected_restore_at",
            "is_major",
        ]
        read_only_fields = fields

    def get_business_line_name(self, obj: Outage) -> str | None:
        return obj.business_line.name if obj.business_line_id else None

    def get_area_names(self, obj: Outage) -> list[str]:
        return [unit.name for unit in obj.areas.all()]


class ScreenPopSerializer(serializers.Serializer):
    caller = serializers.CharField(help_text="The number as normalised (what the CTI sent).")
    customer = CustomerSummarySerializer(
        allow_null=True, help_text="The matching customer (the newest when several); null: unknown."
    )
    customers = CustomerSummarySerializer(
        many=True, help_text=f"Every customer in your scope with this number (≤ {MAX_CUSTOMERS})."
    )
    open_orders = WorkOrderSummarySerializer(
        many=True, help_text=f"Open work orders of these customers, newest first (≤ {MAX_OPEN})."
    )
    recent_orders = WorkOrderSummarySerializer(
        many=True, help_text=f"Their latest finished or cancelled orders (≤ {MAX_RECENT})."
    )
    outages = OutageSummarySerializer(
        many=True, help_text="Active mass outages affecting these customers' areas, newest first."
    )
    workbench_url = serializers.CharField(help_text="The page the CTI opens for the agent.")


def _caller(request: Request) -> str:
    query = ScreenPopQuerySerializer(data=request.query_params)
    if not query.is_valid():
        raise ValidationFailed.for_fields(flatten_errors(query.errors))
    try:
        return normalize_phone(query.validated_data["caller"])
    except InvalidValue:
        raise ValidationFailed.for_fields({"caller": [_("Not a valid phone number.")]}) from None


def screen_pop(viewer, caller: str) -> dict[str, Any]:
    """What the pop shows for `caller` (a normalised number), within `viewer`'s scope."""
    customers = list(
        customer_list(viewer=viewer, filters={"phone": caller}).select_related("manager")[
            :MAX_CUSTOMERS
        ]
    )
    ids = [c.pk for c in customers]
    open_orders: list = []
    recent: list = []
    if ids:
        orders = summary_rows(work_orders_visible(viewer).filter(customer_id__in=ids)).order_by(
            "-id"
        )
        open_orders = list(orders.filter(status__in=list(OPEN))[:MAX_OPEN])
        recent = list(orders.exclude(status__in=list(OPEN))[:MAX_RECENT])
    outages: dict[int, Outage] = {}
    for unit in {c.org_unit_id: c.org_unit for c in customers}.values():
        for outage in active_outages_for_unit(unit):
            outages.setdefault(outage.pk, outage)
    return {
        "caller": caller,
        "customer": customers[0] if customers else None,
        "customers": customers,
        "open_orders": open_orders,
        "recent_orders": recent,
        "outages": sorted(outages.values(), key=lambda o: o.started_at, reverse=True),
        "workbench_url": f"{WORKBENCH_PATH}?{urlencode({'caller': caller})}",
    }


class ScreenPopView(APIView):
    """来电弹屏. An unknown caller (or one outside your scope) is 200 with customer null."""

    permission_classes = [require_perms("customers.view_customer")]

    def get_throttles(self):
        return [*super().get_throttles(), ScreenPopRateThrottle()]

    @extend_schema(
        operation_id="cti_screen_pop",
        summary="Screen-pop for an incoming call (来电弹屏)",
        tags=["cti"],
        parameters=[ScreenPopQuerySerializer],
        responses={200: ScreenPopSerializer, **error_responses(400, 401, 403)},
    )
    def get(self, request: Request) -> Response:
        return Response(ScreenPopSerializer(screen_pop(request.user, _caller(request))).data)


@extend_schema_view(get=extend_schema(exclude=True))
class ScreenPopNoSlashView(ScreenPopView):
    """The same at `cti/screen-pop` without the slash: CTI systems are configured with a
    URL template and some do not follow redirects (APPEND_SLASH would answer 301)."""
