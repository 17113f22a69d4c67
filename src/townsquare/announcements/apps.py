from django.apps import AppConfig


class AnnouncementsConfig(AppConfig):
    name = "townsquare.announcements"
    default_auto_field = "django.db.models.BigAutoField"
