"""Org pages: the org tree and the staff list."""

from django.urls import path

from kefu.org import views

app_name = "org"

urlpatterns = [
    path("org/", views.org_tree, name="org_tree"),
    path("org/staff/", views.staff_list, name="staff_list"),
]
