from django.contrib.auth import views as auth_views
from django.urls import path

from kefu.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
]

# Login/logout live outside the namespace so settings.LOGIN_URL = "login" resolves.
# Django's LogoutView accepts POST only: the header's sign-out button is a form.
auth_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
