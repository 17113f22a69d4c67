from django.urls import path

from townsquare.analytics import views

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
]
