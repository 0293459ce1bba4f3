from django.urls import path

from kefu.callbacks import views, views_plans

app_name = "callbacks"

urlpatterns = [
    path("cb/<str:token>/", views.answer, name="answer"),
    path("callbacks/plans/", views_plans.plan_list, name="plan_list"),
]
