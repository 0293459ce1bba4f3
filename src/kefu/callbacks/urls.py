from django.urls import path

from kefu.callbacks import views

app_name = "callbacks"

urlpatterns = [
    path("cb/<str:token>/", views.answer, name="answer"),
]
