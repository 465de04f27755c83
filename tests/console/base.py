"""What the console tests share: the registered models of the four apps, their URLs, and a
query-count assertion that prints the SQL when it fails."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
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


def format_queries(context: CaptureQueriesContext) -> str:
    return "\n".join(
        f"{number}. {query['sql']}" for number, query in enumerate(context.captured_queries, 1)
    )


@contextmanager
def assert_num_queries(expected: int, label: str = "") -> Iterator[CaptureQueriesContext]:
    """Fail unless exactly ``expected`` queries run inside the block, printing them if not."""
    with CaptureQueriesContext(connection) as context:
        yield context
    executed = len(context.captured_queries)
    if executed != expected:
        pytest.fail(f"{label}: {executed} queries, {expected} expected:\n{format_queries(context)}")
