from django.contrib import admin

from townsquare.core.admin import ReadOnlyAdmin
from townsquare.moderation.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read only: the audit log is written by the actions and never changed."""

    list_display = ["created_at", "actor_label", "action", "target_label", "reason"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "target_label", "reason"]
