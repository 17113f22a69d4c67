from django.contrib import admin

from townsquare.core.models import ActivityEvent, Community, GuidelinesVersion, PageView


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records are written by action functions only; here they can be read, not changed."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "verb", "target_label", "channel", "source"]
    list_filter = ["verb", "channel", "source"]
    search_fields = ["verb", "target_label", "actor__handle"]
    list_select_related = ["actor"]


@admin.register(PageView)
class PageViewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "path", "user", "source", "referrer_host", "status"]
    list_filter = ["source"]
    list_select_related = ["user"]


@admin.register(GuidelinesVersion)
class GuidelinesVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "published_at", "published_by", "change_summary"]


@admin.register(Community)
class CommunityAdmin(ReadOnlyAdmin):
    """Changed in the product's Manage pages, which record each change."""
