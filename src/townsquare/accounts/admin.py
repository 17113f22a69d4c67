from django.contrib import admin

from townsquare.accounts.models import ApiToken, GuidelinesAcceptance, Profile, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["handle", "display_name", "email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["handle", "display_name", "email"]
    # Roles change through the product's Roles page, which audits each change.
    readonly_fields = ["role", "password", "guidelines_version", "last_login", "date_joined"]


admin.site.register(Profile)
admin.site.register(GuidelinesAcceptance)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "hint"]
