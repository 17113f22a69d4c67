from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "townsquare.onboarding"
    default_auto_field = "django.db.models.BigAutoField"
