from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _analyze_after_migrate(using: str, **kwargs: object) -> None:
    from townsquare.core.maintenance import analyze_database

    analyze_database(using)


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"
    verbose_name = _("Community")

    def ready(self) -> None:
        from townsquare.core import buffers, signals

        signals.connect()
        post_migrate.connect(_analyze_after_migrate, sender=self)
        buffers.connect()
