from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.contrib.admin import apps as admin_apps
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate
from django.utils.translation import gettext_lazy as _


def migrations_lock_timeout(*, using: str = "default", **kwargs: Any) -> None:
    """Before ``migrate`` changes a table on PostgreSQL, cap how long it waits for that table's
    lock (``MIGRATION_LOCK_TIMEOUT``): a migration queued behind a long transaction would hold
    every request queued behind it. It fails instead, with "canceling statement due to lock
    timeout"; run it again once the transaction is gone (docs/deploy.md)."""
    connection = connections[using]
    seconds = settings.MIGRATION_LOCK_TIMEOUT
    if connection.vendor == "postgresql" and seconds:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{seconds}s"])


def migrations_lock_timeout_reset(*, using: str = "default", **kwargs: Any) -> None:
    """After ``migrate``, the connection's own lock timeout again (tests and shells go on)."""
    connection = connections[using]
    if connection.vendor == "postgresql" and settings.MIGRATION_LOCK_TIMEOUT:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


class ConfigConfig(AppConfig):
    """The composing package: cross-app pages, the demo data command, housekeeping tasks."""

    name = "config"
    verbose_name = _("Belt Ops")
    default = True  # this package's own config (ConsoleAdminConfig is named in INSTALLED_APPS)

    def ready(self) -> None:
        # Sent for every app with models, before and after the whole plan: set once, reset once
        # (dispatch_uid), whichever app comes first or last.
        pre_migrate.connect(migrations_lock_timeout, dispatch_uid="migrations_lock_timeout")
        post_migrate.connect(
            migrations_lock_timeout_reset, dispatch_uid="migrations_lock_timeout_reset"
        )


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
