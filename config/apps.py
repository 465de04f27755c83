from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The composing package: cross-app pages, the demo data command, housekeeping tasks."""

    name = "config"
    verbose_name = _("Belt Ops")
