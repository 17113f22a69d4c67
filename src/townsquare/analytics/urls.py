from django.urls import path

from townsquare.analytics import (
    events_views,
    people_views,
    revenue_views,
    satisfaction_views,
    sentiment_views,
    views,
    views_support,
)

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
    path(
        "manage/analytics/satisfaction/",
        satisfaction_views.satisfaction_page,
        name="satisfaction",
    ),
    path("manage/analytics/events/", events_views.events_page, name="events"),
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
    path("manage/analytics/revenue/", revenue_views.revenue_page, name="revenue"),
    path("manage/analytics/revenue/import/", revenue_views.crm_import, name="crm_import"),
    path(
        "manage/analytics/revenue/import/<int:import_id>/",
        revenue_views.crm_import_report,
        name="crm_import_report",
    ),
    path(
        "manage/analytics/revenue/import/<int:import_id>/run/",
        revenue_views.crm_import_run,
        name="crm_import_run",
    ),
    path("manage/analytics/revenue/unmatched/", revenue_views.crm_unmatched, name="crm_unmatched"),
    path(
        "manage/analytics/revenue/unmatched/<int:account_id>/link/",
        revenue_views.crm_link,
        name="crm_link",
    ),
    path(
        "manage/analytics/revenue/unmatched/rematch/",
        revenue_views.crm_rematch,
        name="crm_rematch",
    ),
    path("manage/analytics/support/", views_support.support_page, name="support"),
    path("manage/analytics/settings/", views_support.settings_page, name="settings"),
]
