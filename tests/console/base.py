"""What the console tests share: the registered models of the four apps and their URLs (the
query-count assertion is tests/utils/queries.py, shared with the other tests)."""

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

CONSOLE_APPS = ("belts", "merchants", "programs", "logistics")


def console_models() -> list[type[models.Model]]:
    """The models of the four apps registered in the console, in a stable order."""
    return sorted(
        (
            model
            for label in CONSOLE_APPS
            for model in apps.get_app_config(label).get_models()
            if admin.site.is_registered(model)
        ),
        key=lambda model: model._meta.label,
    )


def model_id(model: type[models.Model]) -> str:
    return model._meta.label


def admin_url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
