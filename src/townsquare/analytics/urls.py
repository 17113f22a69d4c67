from django.urls import path

from townsquare.analytics import satisfaction_views, views
from townsquare.analytics import sentiment_views, views
from townsquare.analytics import people_views, views

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
    path(
        "manage/analytics/satisfaction/",
        satisfaction_views.satisfaction_page,
        name="satisfaction",
    ),
    path("manage/analytics/sentiment/", sentiment_views.sentiment, name="sentiment"),
    path("manage/analytics/people/", people_views.people_page, name="people"),
    path("manage/analytics/goals/", people_views.goal_list, name="goals"),
    path("manage/analytics/goals/new/", people_views.goal_edit, name="goal_create"),
    path("manage/analytics/goals/<int:goal_id>/", people_views.goal_edit, name="goal_edit"),
    path(
        "manage/analytics/goals/<int:goal_id>/delete/",
        people_views.goal_delete,
        name="goal_delete",
    ),
]
