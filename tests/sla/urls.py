"""The SLA API routed as src/kefu/api_urls.py will route it ("sla-policies"), for the tests
until the lead registers it there."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from kefu.sla.api import SlaPolicyViewSet

router = DefaultRouter()
router.register("sla-policies", SlaPolicyViewSet, basename="sla-policy")

urlpatterns = [path("api/v1/", include(router.urls))]
