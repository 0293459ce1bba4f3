from django.urls import path

from kefu.callbacks import stats_views, views, views_desk, views_plans

app_name = "callbacks"

urlpatterns = [
    path("cb/<str:token>/", views.answer, name="answer"),
    path("callbacks/", views_desk.desk, name="desk"),
    path("callbacks/<int:pk>/", views_desk.task_page, name="task"),
    path("callbacks/replies/", views_desk.replies, name="replies"),
    path("callbacks/plans/", views_plans.plan_list, name="plan_list"),
    path("callbacks/stats/", stats_views.stats_page, name="stats"),
]
