from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "townsquare.core"
    label = "core"
    verbose_name = _("Community")

    def ready(self) -> None:
        from townsquare.core import buffers, signals

        signals.connect()
        buffers.connect()
