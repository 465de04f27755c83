"""One reusable base for the API's endpoints (NetBox style).

A concrete test declares what differs: the route name, the factory that makes an object and the
number of queries its list takes. The base checks the rest: who may read, list and retrieve, that
the query count does not grow with the number of objects, and that a read-only endpoint refuses
writes.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework import status
from rest_framework.test import APIClient

# Every authenticated request loads its session and its user before the view runs.
AUTH_QUERIES = 2


@contextmanager
def assert_num_queries(expected: int, label: str = "") -> Iterator[CaptureQueriesContext]:
    """Fail unless exactly ``expected`` queries run inside the block, printing them if not."""
    with CaptureQueriesContext(connection) as context:
        yield context
    executed = len(context.captured_queries)
    if executed != expected:
        sql = "\n".join(
            f"{number}. {query['sql']}"
            for number, query in enumerate(context.captured_queries, start=1)
        )
        pytest.fail(f"{label}: {executed} queries executed, {expected} expected:\n{sql}")


@pytest.mark.django_db
class ReadOnlyAPITests:
    """Tests every read-only endpoint shares. Subclasses set the three attributes below."""

    url_name: str  # the router's basename, in the ``api`` namespace, e.g. "api:belt"
    factory: type[factory.django.DjangoModelFactory]
    list_query_count: int  # AUTH_QUERIES + count + page + one per prefetched relation

    few = 3
    many = 20

    def list_url(self) -> str:
        return reverse(f"{self.url_name}-list")

    def detail_url(self, pk: int) -> str:
        return reverse(f"{self.url_name}-detail", kwargs={"pk": pk})

    def test_anonymous_is_refused(self, api_client: APIClient) -> None:
        obj = self.factory()
        for url in (self.list_url(), self.detail_url(obj.pk)):
            response = api_client.get(url)
            assert response.status_code in {
                status.HTTP_401_UNAUTHORIZED,
                status.HTTP_403_FORBIDDEN,
            }, url

    def test_list(self, user_api_client: APIClient) -> None:
        objects = self.factory.create_batch(self.few)
        response = user_api_client.get(self.list_url())
        assert response.status_code == status.HTTP_200_OK
        assert response.data["count"] == self.few
        assert {row["id"] for row in response.data["results"]} == {obj.pk for obj in objects}

    def test_retrieve(self, user_api_client: APIClient) -> None:
        obj = self.factory()
        response = user_api_client.get(self.detail_url(obj.pk))
        assert response.status_code == status.HTTP_200_OK
        assert response.data["id"] == obj.pk

    def test_retrieve_missing_is_404(self, user_api_client: APIClient) -> None:
        response = user_api_client.get(self.detail_url(2_000_000_000))
        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_list_query_count_is_fixed(self, user_api_client: APIClient) -> None:
        self.factory.create_batch(self.few)
        with assert_num_queries(self.list_query_count, f"{self.few} objects"):
            response = user_api_client.get(self.list_url())
        assert response.data["count"] == self.few

        self.factory.create_batch(self.many - self.few)
        with assert_num_queries(self.list_query_count, f"{self.many} objects"):
            response = user_api_client.get(self.list_url())
        assert response.data["count"] == self.many

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, user_api_client: APIClient, method: str) -> None:
        obj = self.factory()
        url = self.list_url() if method == "post" else self.detail_url(obj.pk)
        response = getattr(user_api_client, method)(url, {}, format="json")
        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert self.factory._meta.model.objects.filter(pk=obj.pk).exists()
