from django.urls import path

from kefu.workorders import views, views_attachments, views_contact, views_order

app_name = "workorders"

urlpatterns = [
    path("workbench/", views.workbench, name="workbench"),
    path("workorders/", views.workorder_list, name="workorder_list"),
    path("workorders/bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("workorders/handlers/", views.handler_options, name="handler_options"),
    path("workorders/<str:number>/", views_order.workorder_detail, name="workorder_detail"),
    path(
        "workorders/<str:number>/reveal-contact/",
        views_contact.workorder_reveal_contact,
        name="workorder_reveal_contact",
    ),
    path(
        "workorders/<str:number>/attachments/<int:attachment_id>/",
        views_attachments.workorder_attachment,
        name="workorder_attachment",
    ),
    path(
        "workorders/<str:number>/act/<slug:action>/",
        views_order.workorder_act,
        name="workorder_act",
    ),
]
