"""Customer pages: the archive (search, 新建客户, the 360 page and its forms), import and
export, and the access log (查阅登记)."""

from django.urls import path

from kefu.customers import views, views_io

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/new/same-phone/", views.customer_same_phone, name="customer_same_phone"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/reveal/", views.customer_reveal, name="customer_reveal"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/tier/", views.customer_tier_override, name="customer_tier_override"),
    path(
        "customers/<int:pk>/change-register/",
        views.customer_change_register,
        name="customer_change_register",
    ),
    path("customers/import/", views_io.customer_import, name="customer_import"),
    path(
        "customers/import/template/",
        views_io.customer_import_template,
        name="customer_import_template",
    ),
    path("customers/import/<int:pk>/", views_io.customer_import_job, name="customer_import_job"),
    path(
        "customers/import/<int:pk>/rejects/",
        views_io.customer_import_rejects,
        name="customer_import_rejects",
    ),
    path("customers/export/", views_io.customer_export, name="customer_export"),
    path("access-log/", views.access_log, name="access_log"),
]
