from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "townsquare.surveys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from townsquare.surveys import signals

        signals.connect()
