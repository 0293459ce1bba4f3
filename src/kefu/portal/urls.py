from django.urls import path

from kefu.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.code, name="code"),
    path("logout/", views.logout, name="logout"),
    path("new/", views.new_request, name="new"),
    path("orders/<str:number>/", views.order_page, name="order"),
    path("orders/<str:number>/rate/", views.rate, name="rate"),
]
