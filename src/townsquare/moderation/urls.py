from django.urls import path

from townsquare.moderation.views import audit, overview

app_name = "moderation"

urlpatterns = [
    path("moderation/audit/", audit.audit_log_page, name="audit_log"),
    path("moderation/audit/export.csv", audit.audit_log_csv, name="audit_log_csv"),
    path("moderation/overview/", overview.overview_page, name="overview"),
]
