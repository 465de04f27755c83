from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Support programs")

    def ready(self) -> None:
        from . import receivers  # connects the signal receivers

        receivers.register_notification_renderers()
