"""Every input of the programs API is bounded: filters refuse what no row could match (an id
that is not a whole number from 1 to 2^63 - 1, a program code longer than any, a search longer
than a person types) with a 400, before anything reaches the database."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.base import error_fields
from tests.belts.factories import SuperUserFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory

LISTS = ["api:enrollment-list", "api:eligibility-list"]


@pytest.fixture
def client(db) -> APIClient:
    client = APIClient()
    client.force_login(SuperUserFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("route", LISTS)
@pytest.mark.parametrize(
    "value", ["0", "-3", "1.5", "1e3", "NaN", "Infinity", "99999999999999999999999"]
)
def test_an_id_filter_takes_whole_numbers_in_range(client, route, value):
    response = client.get(reverse(route), {"merchant": value})
    assert response.status_code == 400
    assert error_fields(response) == {"merchant"}


@pytest.mark.django_db
def test_an_id_filter_still_filters(client):
    enrollment = EnrollmentFactory()
    EnrollmentFactory()
    url = reverse("api:enrollment-list")
    rows = client.get(url, {"merchant": enrollment.merchant_id, "cohort": enrollment.cohort_id})
    assert [row["id"] for row in rows.data["results"]] == [enrollment.pk]
    assert client.get(url, {"cohort": 2**63 - 1}).data["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("route", [*LISTS, "api:rule-set-list"])
def test_a_program_code_is_at_most_as_long_as_any(client, route):
    ProgramFactory(code="c" * 50)
    assert client.get(reverse(route), {"program": "c" * 50}).status_code == 200
    response = client.get(reverse(route), {"program": "c" * 51})
    assert response.status_code == 400
    assert error_fields(response) == {"program"}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "longest"), [("q", 100), ("code", 50)])
def test_the_program_list_bounds_its_search(client, name, longest):
    url = reverse("api:program-list")
    assert client.get(url, {name: "x" * longest}).status_code == 200
    response = client.get(url, {name: "x" * (longest + 1)})
    assert response.status_code == 400
    assert error_fields(response) == {name}
    assert client.get(url, {name: "a\x00b"}).status_code == 400
