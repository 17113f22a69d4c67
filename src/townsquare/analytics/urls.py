from django.urls import path

from townsquare.analytics import revenue_views, views

app_name = "analytics"

urlpatterns = [
    path("manage/analytics/", views.dashboard, name="dashboard"),
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
]
