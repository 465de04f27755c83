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

    def ready(self) -> None:
        super().ready()  # discovers every app's admin module
        # The API key package registers its own model, whose table stays unused (merchants.ApiKey
        # builds on its abstract base): the console lists the merchants' keys only.
        from django.contrib import admin  # noqa: PLC0415 - the site exists once discovered
        from rest_framework_api_key.models import APIKey  # noqa: PLC0415 - needs the app registry

        if admin.site.is_registered(APIKey):
            admin.site.unregister(APIKey)
