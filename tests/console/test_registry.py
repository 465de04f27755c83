"""One reusable set of checks over every console page of the four apps (NetBox style): a model
only has to be registered and have a factory in ``FACTORY_FOR_MODEL``."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tests.utils.queries import format_queries

from .base import CONSOLE_APPS, admin_url, console_models, model_id
from .factories_extra import FACTORY_FOR_MODEL, add_children

MODELS = console_models()
FEW = 3
MANY = 30

# Queries one changelist page runs, pinned, written as: 2 to load the session and the user + one
# per filter that lists related rows or distinct values (named in the comment) + the count (2 on
# small tables, which also show the unfiltered total) + 1 for the page + 2 for a date hierarchy
# (its range, then its years, months or days). Changing one is a decision: update it knowingly.
CHANGELIST_QUERIES = {
    "belts.BeltTierChange": 2 + 1 + 2 + 1 + 2,  # years
    "belts.BeltYearStat": 2 + 3 + 1 + 1,  # years, categories, provinces
    "belts.Category": 2 + 0 + 2 + 1,
    "belts.City": 2 + 1 + 2 + 1,  # provinces
    "belts.IndustrialBelt": 2 + 4 + 2 + 1,  # categories, provinces, cities, centers
    "belts.OperationCenter": 2 + 1 + 2 + 1,  # provinces
    "belts.OperationCenterMembership": 2 + 1 + 2 + 1,  # centers
    "belts.TierPolicy": 2 + 0 + 2 + 1,
    "logistics.ConditionCheck": 2 + 1 + 1,
    "logistics.ConditionCheckPhoto": 2 + 1 + 1,
    "logistics.ProviderMembership": 2 + 1 + 1 + 1,
    "logistics.SlaBreach": 2 + 1 + 1 + 1,  # providers
    "logistics.Incident": 2 + 1 + 1 + 1 + 2,  # providers
    "logistics.Leg": 2 + 1 + 1 + 1,  # providers
    "logistics.ServiceProvider": 2 + 0 + 2 + 1,
    "logistics.Shipment": 2 + 2 + 1 + 1,  # belts, provinces
    "merchants.ApiKey": 2 + 0 + 1 + 1,
    "merchants.Merchant": 2 + 3 + 1 + 1,  # belts, categories, centers
    "merchants.MerchantMembership": 2 + 0 + 1 + 1,
    "merchants.MonthlyMetric": 2 + 2 + 1 + 1,  # belts, categories (months: none)
    "merchants.Notification": 2 + 0 + 1 + 1,
    "merchants.NotificationPreference": 2 + 0 + 2 + 1,
    "merchants.Storefront": 2 + 1 + 1 + 1,  # belts
    "merchants.WebhookEndpoint": 2 + 0 + 2 + 1,
    "programs.Cohort": 2 + 2 + 2 + 1 + 2,  # programs, categories
    "programs.Eligibility": 2 + 2 + 1 + 1,  # programs, belts
    "programs.Enrollment": 2 + 3 + 1 + 1,  # programs, cohorts, belts
    "programs.EnrollmentEvent": 2 + 0 + 1 + 1,
    "programs.Program": 2 + 0 + 2 + 1,
    "programs.RecomputeRun": 2 + 0 + 1 + 1,
    "programs.ReviewQueueItem": 2 + 4 + 1 + 1,  # programs, cohorts, belts, centers
    "programs.RuleSet": 2 + 1 + 2 + 1,  # programs
}


def _model_admin(model):
    return admin.site.get_model_admin(model)


def _request_as(user):
    request = RequestFactory().get("/console/")
    request.user = user
    return request


def test_every_model_of_the_four_apps_is_registered():
    models = {model for label in CONSOLE_APPS for model in apps.get_app_config(label).get_models()}
    missing = sorted(model._meta.label for model in models - set(MODELS))
    assert not missing, f"not registered in the console: {missing}"


def test_every_registered_model_has_a_factory():
    missing = sorted(model._meta.label for model in MODELS if model not in FACTORY_FOR_MODEL)
    assert not missing, f"add a factory to FACTORY_FOR_MODEL for: {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=model_id)
class TestConsolePages:
    def test_changelist(self, console_client, model):
        FACTORY_FOR_MODEL[model].create_batch(FEW)
        response = console_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200
        assert response.context["cl"].result_count == FEW

    def test_changelist_query_count_does_not_grow_with_rows(self, console_client, model):
        factory = FACTORY_FOR_MODEL[model]
        url = admin_url(model, "changelist")
        console_client.get(url)  # warm up caches that only the first request fills

        factory.create_batch(FEW)
        with CaptureQueriesContext(connection) as few:
            response = console_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == FEW

        factory.create_batch(MANY - FEW)
        with CaptureQueriesContext(connection) as many:
            response = console_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == MANY

        assert len(few) == len(many), (
            f"{len(few)} queries with {FEW} rows, {len(many)} with {MANY}.\n"
            f"With {FEW}:\n{format_queries(few)}\n\nWith {MANY}:\n{format_queries(many)}"
        )
        expected = CHANGELIST_QUERIES.get(model._meta.label)
        assert len(many) == expected, (
            f"{model._meta.label}: {len(many)} queries, {expected} pinned in "
            f"CHANGELIST_QUERIES:\n{format_queries(many)}"
        )

    def test_add_page(self, console_client, superuser, model):
        response = console_client.get(admin_url(model, "add"))
        if _model_admin(model).has_add_permission(_request_as(superuser)):
            assert response.status_code == 200
        else:
            assert response.status_code == 403

    def test_change_page(self, console_client, model):
        obj = FACTORY_FOR_MODEL[model]()
        add_children(obj)
        response = console_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200
        assert response.context["original"] == obj

    def test_delete_page(self, console_client, superuser, model):
        obj = FACTORY_FOR_MODEL[model]()
        response = console_client.get(admin_url(model, "delete", obj.pk))
        if _model_admin(model).has_delete_permission(_request_as(superuser), obj):
            assert response.status_code == 200
        else:
            assert response.status_code == 403

    def test_history_page(self, console_client, model):
        obj = FACTORY_FOR_MODEL[model]()
        response = console_client.get(admin_url(model, "history", obj.pk))
        assert response.status_code == 200


def _autocomplete_fields():
    """Every (model, field) pair the console edits with an autocomplete widget, inlines included."""
    pairs = set()
    for model in MODELS:
        model_admin = _model_admin(model)
        for field_name in model_admin.autocomplete_fields:
            pairs.add((model, field_name))
        for inline in model_admin.inlines:
            for field_name in inline.autocomplete_fields:
                pairs.add((inline.model, field_name))
    return sorted(pairs, key=lambda pair: (pair[0]._meta.label, pair[1]))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"),
    _autocomplete_fields(),
    ids=lambda value: value if isinstance(value, str) else model_id(value),
)
def test_autocomplete_answers(console_client, model, field_name):
    target = model._meta.get_field(field_name).related_model
    if target in FACTORY_FOR_MODEL:
        FACTORY_FOR_MODEL[target].create_batch(2)
    response = console_client.get(
        "/console/autocomplete/",
        {
            "app_label": model._meta.app_label,
            "model_name": model._meta.model_name,
            "field_name": field_name,
            "term": "a",
        },
    )
    assert response.status_code == 200, response.content
    assert "results" in response.json()
