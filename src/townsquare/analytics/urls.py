from django.urls import path

from townsquare.analytics import satisfaction_views, views
from townsquare.analytics import sentiment_views, views

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
    path(
        "manage/analytics/satisfaction/",
        satisfaction_views.satisfaction_page,
        name="satisfaction",
    ),
    path("manage/analytics/sentiment/", sentiment_views.sentiment, name="sentiment"),
]
