from django.urls import path

from kefu.rules import views

app_name = "rules"

urlpatterns = [
    path("", views.home, name="home"),
    path("dispatch/", views.dispatch_list, name="dispatch_list"),
    path("dispatch/new/", views.dispatch_create, name="dispatch_create"),
    path("dispatch/test/", views.dispatch_test, name="dispatch_test"),
    path("dispatch/<int:pk>/", views.dispatch_edit, name="dispatch_edit"),
    path("dispatch/<int:pk>/active/", views.dispatch_set_active, name="dispatch_set_active"),
    path("sla/", views.sla_list, name="sla_list"),
    path("sla/new/", views.sla_create, name="sla_create"),
    path("sla/<int:pk>/", views.sla_edit, name="sla_edit"),
    path("sla/<int:pk>/active/", views.sla_set_active, name="sla_set_active"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/preview/", views.template_preview_view, name="template_preview"),
    path("changes/", views.change_list, name="change_list"),
    path("complaints/", views.complaint_settings, name="complaint_settings"),
    path("<slug:kind>/", views.reference_list, name="reference_list"),
    path("<slug:kind>/new/", views.reference_create, name="reference_create"),
    path("<slug:kind>/<int:pk>/", views.reference_edit, name="reference_edit"),
    path("<slug:kind>/<int:pk>/active/", views.reference_set_active, name="reference_set_active"),
]
