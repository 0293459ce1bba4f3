from django.urls import path

from kefu.callbacks import stats_views, views

app_name = "callbacks"

urlpatterns = [
    path("cb/<str:token>/", views.answer, name="answer"),
    path("callbacks/stats/", stats_views.stats_page, name="stats"),
]
