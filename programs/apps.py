from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Support programs")

    def ready(self) -> None:
        # Connects the signal receivers; they import models, so not before the registry is ready.
        from . import receivers  # noqa: PLC0415

        receivers.register_notification_renderers()
