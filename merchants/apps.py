from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = _("Merchants")

    def ready(self) -> None:
        # It imports models, so not before the registry is ready.
        from . import webhooks  # noqa: PLC0415

        webhooks.register_notification_renderers()
