from django.urls import path

from kefu.outages import views

app_name = "outages"

urlpatterns = [
    path("", views.outage_list, name="outage_list"),
    path("new/", views.outage_create, name="outage_create"),
    path("active/", views.active_for_unit, name="active_for_unit"),
    path("<int:pk>/", views.outage_detail, name="outage_detail"),
    path("<int:pk>/link/", views.outage_link, name="outage_link"),
    path("<int:pk>/edit/", views.outage_edit, name="outage_edit"),
    path("<int:pk>/restore/", views.outage_restore, name="outage_restore"),
    path("<int:pk>/report/", views.outage_report, name="outage_report"),
    path("<int:pk>/close/", views.outage_close, name="outage_close"),
]
