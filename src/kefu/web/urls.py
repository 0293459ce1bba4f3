from django.contrib.auth import views as auth_views
from django.urls import path

from kefu.customers import views as customer_views
from kefu.customers import views_io as customer_io_views
from kefu.org import views as org_views
from kefu.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", customer_views.customer_list, name="customer_list"),
    path("customers/new/", customer_views.customer_create, name="customer_create"),
    path(
        "customers/new/same-phone/",
        customer_views.customer_same_phone,
        name="customer_same_phone",
    ),
    path("customers/<int:pk>/", customer_views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/reveal/", customer_views.customer_reveal, name="customer_reveal"),
    path("customers/<int:pk>/edit/", customer_views.customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/tier/",
        customer_views.customer_tier_override,
        name="customer_tier_override",
    ),
    path(
        "customers/<int:pk>/change-register/",
        customer_views.customer_change_register,
        name="customer_change_register",
    ),
    path("customers/import/", customer_io_views.customer_import, name="customer_import"),
    path(
        "customers/import/template/",
        customer_io_views.customer_import_template,
        name="customer_import_template",
    ),
    path(
        "customers/import/<int:pk>/",
        customer_io_views.customer_import_job,
        name="customer_import_job",
    ),
    path(
        "customers/import/<int:pk>/rejects/",
        customer_io_views.customer_import_rejects,
        name="customer_import_rejects",
    ),
    path("customers/export/", customer_io_views.customer_export, name="customer_export"),
    path("access-log/", customer_views.access_log, name="access_log"),
    path("org/", org_views.org_tree, name="org_tree"),
    path("org/staff/", org_views.staff_list, name="staff_list"),
]

# Login/logout live outside the namespace so settings.LOGIN_URL = "login" resolves.
# Django's LogoutView accepts POST only: the header's sign-out button is a form.
auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
