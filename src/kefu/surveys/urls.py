from django.urls import path

from kefu.surveys import views

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", views.answer, name="answer"),
    path("surveys/", views.survey_list, name="list"),
    path("surveys/new/", views.survey_edit, name="new"),
    path("surveys/calls/", views.call_list, name="calls"),
    path("surveys/calls/<int:pk>/", views.call_page, name="call"),
    path("surveys/<int:pk>/", views.survey_page, name="survey"),
    path("surveys/<int:pk>/edit/", views.survey_edit, name="edit"),
    path("surveys/campaigns/<int:pk>/", views.campaign_page, name="campaign"),
    path("surveys/campaigns/<int:pk>/export/", views.campaign_export, name="export"),
    path("surveys/campaigns/<int:pk>/<str:action>/", views.campaign_action, name="action"),
]
