"""All /api/v1/ routes, one router for every app."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from kefu.calendars.api import CalendarViewSet
from kefu.callbacks.api import IvrResultView, SmsInboundView
from kefu.callbacks.api_desk import CallbackTaskViewSet, SmsReplyViewSet
from kefu.complaints.api import ComplaintAlertViewSet
from kefu.core.api import format_suffix_refused
from kefu.customers.api import AccessLogViewSet, CustomerViewSet
from kefu.intake.api import ScreenPopNoSlashView, ScreenPopView
from kefu.org.api import OrgUnitViewSet, RoleViewSet, StaffViewSet, TokenObtainView
from kefu.outages.api import OutageViewSet
from kefu.rules.api import (
    BusinessLineWriteViewSet,
    CategoryWriteViewSet,
    ComplaintSettingsView,
    DispatchRuleViewSet,
    RuleChangeViewSet,
    WorkOrderTypeWriteViewSet,
)
from kefu.sla.api import SlaPolicyViewSet
from kefu.workorders.api import WorkOrderViewSet

# No format-suffix routes (customers.json): the format comes from the Accept header, and a
# suffix is refused below with a 400 rather than passed to views that do not take it.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("staff", StaffViewSet, basename="staff")
router.register("roles", RoleViewSet, basename="role")
router.register("customers", CustomerViewSet, basename="customer")
router.register("access-log", AccessLogViewSet, basename="access-log")
router.register("calendars", CalendarViewSet, basename="calendar")
router.register("work-orders", WorkOrderViewSet, basename="work-order")
# Reference data: kefu.workorders.api's read-only lists plus the writes of kefu.rules.api.
router.register("work-order-types", WorkOrderTypeWriteViewSet, basename="work-order-type")
router.register("business-lines", BusinessLineWriteViewSet, basename="business-line")
router.register("categories", CategoryWriteViewSet, basename="category")
router.register("outages", OutageViewSet, basename="outage")
router.register("complaint-alerts", ComplaintAlertViewSet, basename="complaint-alert")
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")
router.register("dispatch-rules", DispatchRuleViewSet, basename="dispatch-rule")
router.register("rule-changes", RuleChangeViewSet, basename="rule-change")
router.register("callbacks", CallbackTaskViewSet, basename="callback")
router.register("sms-replies", SmsReplyViewSet, basename="sms-reply")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("cti/screen-pop/", ScreenPopView.as_view(), name="cti-screen-pop"),
    path("cti/screen-pop", ScreenPopNoSlashView.as_view()),
    path(
        "complaint-settings/",
        ComplaintSettingsView.as_view(),
        name="complaint-settings",
    ),
    path("sms/inbound", SmsInboundView.as_view(), name="sms-inbound"),
    path("ivr/results", IvrResultView.as_view(), name="ivr-results"),
    *router.urls,
    re_path(r"^.*\.(?:json|api|html|xml|yaml|csv|txt)/?$", format_suffix_refused),
]
