from django.urls import path

from townsquare.analytics import sentiment_views, views

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
    path("manage/analytics/sentiment/", sentiment_views.sentiment, name="sentiment"),
]
