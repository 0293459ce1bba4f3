"""All /api/v1/ routes, one router for every app."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
