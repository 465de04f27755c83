from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The composing package: cross-app pages, the demo data command, housekeeping tasks."""

    name = "config"
    verbose_name = _("Belt Ops")
    default = True  # this package's own config (ConsoleAdminConfig is named in INSTALLED_APPS)


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """Django's admin with ``ConsoleSite`` as its default site (listed in INSTALLED_APPS in the
    place of "django.contrib.admin")."""

    default_site = "config.console.ConsoleSite"
    # AdminConfig is the default config of django.contrib.admin, not of this package.
    default = False
