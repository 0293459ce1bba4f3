from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kefu.web.urls import auth_urlpatterns

# Unknown /api/… paths answer JSON in the API's error shape; others the 404 page.
handler404 = "kefu.core.api.page_not_found"

urlpatterns = [
    path("api/v1/", include("kefu.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    *auth_urlpatterns,
    path("notifications/", include("kefu.notify.urls")),
    path("outages/", include("kefu.outages.urls")),
    path("rules/", include("kefu.rules.urls")),
    path("complaints/", include("kefu.complaints.urls")),
    path("portal/", include("kefu.portal.urls")),
    path("", include("kefu.callbacks.urls")),
    path("", include("kefu.surveys.urls")),
    path("", include("kefu.workorders.urls")),
    path("", include("kefu.customers.urls")),
    path("", include("kefu.org.urls")),
    path("", include("kefu.web.urls")),
]
