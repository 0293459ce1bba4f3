"""All /api/v1/ routes, one router for every app."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from kefu.calendars.api import CalendarViewSet
from kefu.customers.api import AccessLogViewSet, CustomerViewSet
from kefu.org.api import OrgUnitViewSet, RoleViewSet, StaffViewSet, TokenObtainView

router = DefaultRouter()
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("staff", StaffViewSet, basename="staff")
router.register("roles", RoleViewSet, basename="role")
router.register("customers", CustomerViewSet, basename="customer")
router.register("access-log", AccessLogViewSet, basename="access-log")
router.register("calendars", CalendarViewSet, basename="calendar")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    *router.urls,
]
