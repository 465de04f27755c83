"""One reusable base for the API's endpoints (NetBox style).

A concrete test declares what differs: the route name, the factory that makes an object, who may
read it, the number of queries its list takes and, for a writable endpoint, the data to send.
The mixins check the rest: who may read, list and retrieve, that the query count does not grow
with the number of objects, that a read-only endpoint refuses writes, and that writes need the
model permission they imply.

    class TestThingAPI(ReadOnlyAPITests): ...                        # read-only
    class TestThingAPI(ReadOnlyCursorAPITests): ...                  # read-only, cursor pages
    class TestThingAPI(GetObjectTests, ListObjectsTests,
                       CreateObjectTests, UpdateObjectTests, DeleteObjectTests): ...

The big tables' lists (merchants, metrics, the inbox) are cursor-paged and never counted: their
tests (``CursorListObjectsTests``) follow ``next`` instead of reading a count, and pin the query
count for small and large pages.
"""

from typing import Any

import factory
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework import status
from rest_framework.test import APIClient

from tests.belts.factories import StaffUserFactory
from tests.utils.queries import assert_num_queries

# Every authenticated request loads its session and its user before the view runs.
AUTH_QUERIES = 2
# A paginated list: its count, then its page.
LIST = 2
# A cursor-paged list: its page only (one row more than the page, to know there is a next).
CURSOR_LIST = 1

# Without credentials every route is a 401 (with WWW-Authenticate: Api-Key), never a 403.
REFUSED = {status.HTTP_401_UNAUTHORIZED}


def error_fields(response) -> set[str | None]:
    """The fields named by an error answer's ``details`` (the API's one error shape)."""
    return {detail["field"] for detail in response.data["error"]["details"]}


def client_with_permissions(model, *verbs: str) -> APIClient:
    """A staff user's client holding ``<verb>_<model>`` for each verb."""
    user = StaffUserFactory()
    opts = model._meta
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label=opts.app_label,
            codename__in=[f"{verb}_{opts.model_name}" for verb in verbs],
        )
    )
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.django_db
class APITests:
    """What every endpoint test declares."""

    url_name: str  # the router's basename, in the ``api`` namespace, e.g. "api:belt"
    factory: type[factory.django.DjangoModelFactory]
    # Reading needs a staff user (True), or any signed-in user (False).
    staff_only = False

    def list_url(self) -> str:
        return reverse(f"{self.url_name}-list")

    def detail_url(self, pk: int) -> str:
        return reverse(f"{self.url_name}-detail", kwargs={"pk": pk})

    @pytest.fixture
    def reader_client(self, request) -> APIClient:
        """A client allowed to read: staff for a staff-only endpoint, else any user."""
        return request.getfixturevalue("staff_api_client" if self.staff_only else "user_api_client")

    @property
    def model(self):
        return self.factory._meta.model


class GetObjectTests(APITests):
    def test_anonymous_is_refused(self, api_client: APIClient) -> None:
        obj = self.factory()
        for url in (self.list_url(), self.detail_url(obj.pk)):
            assert api_client.get(url).status_code in REFUSED, url

    def test_a_signed_in_user_reads_unless_staff_only(self, user_api_client: APIClient) -> None:
        obj = self.factory()
        expected = status.HTTP_403_FORBIDDEN if self.staff_only else status.HTTP_200_OK
        for url in (self.list_url(), self.detail_url(obj.pk)):
            assert user_api_client.get(url).status_code == expected, url

    def test_retrieve(self, reader_client: APIClient) -> None:
        obj = self.factory()
        response = reader_client.get(self.detail_url(obj.pk))
        assert response.status_code == status.HTTP_200_OK
        assert response.data["id"] == obj.pk

    def test_retrieve_missing_is_404(self, reader_client: APIClient) -> None:
        response = reader_client.get(self.detail_url(2_000_000_000))
        assert response.status_code == status.HTTP_404_NOT_FOUND


class ListObjectsTests(APITests):
    list_query_count: int  # AUTH_QUERIES + LIST + one per prefetched relation

    few = 3
    many = 20

    def test_list(self, reader_client: APIClient) -> None:
        objects = self.factory.create_batch(self.few)
        response = reader_client.get(self.list_url())
        assert response.status_code == status.HTTP_200_OK
        assert response.data["count"] == self.few
        assert {row["id"] for row in response.data["results"]} == {obj.pk for obj in objects}

    def test_list_query_count_is_fixed(self, reader_client: APIClient) -> None:
        self.factory.create_batch(self.few)
        with assert_num_queries(self.list_query_count, f"{self.few} objects"):
            response = reader_client.get(self.list_url())
        assert response.data["count"] == self.few

        self.factory.create_batch(self.many - self.few)
        with assert_num_queries(self.list_query_count, f"{self.many} objects"):
            response = reader_client.get(self.list_url())
        assert response.data["count"] == self.many


class ReadOnlyAPITests(GetObjectTests, ListObjectsTests):
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, reader_client: APIClient, method: str) -> None:
        obj = self.factory()
        url = self.list_url() if method == "post" else self.detail_url(obj.pk)
        response = getattr(reader_client, method)(url, {}, format="json")
        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert self.model.objects.filter(pk=obj.pk).exists()


def list_ids(client: APIClient, url: str, params: dict | None = None) -> list[int]:
    """The ids of every row of a cursor-paged list, following ``next`` page after page."""
    ids: list[int] = []
    response = client.get(url, params or {})
    while True:
        assert response.status_code == status.HTTP_200_OK, response.data
        assert "count" not in response.data
        ids += [row["id"] for row in response.data["results"]]
        if not response.data["next"]:
            return ids
        response = client.get(response.data["next"])


class CursorListObjectsTests(APITests):
    """A cursor-paged list: every row once across the pages, one query per page whatever its
    size, ``page_size`` bounded."""

    list_query_count: int  # AUTH_QUERIES + CURSOR_LIST + one per prefetched relation

    few = 3
    many = 12

    def create_objects(self, count: int) -> list:
        return self.factory.create_batch(count)

    def test_list(self, reader_client: APIClient) -> None:
        objects = self.create_objects(self.few)
        ids = list_ids(reader_client, self.list_url())
        assert sorted(ids) == sorted(obj.pk for obj in objects)

    def test_pages_hold_every_row_once(self, reader_client: APIClient) -> None:
        objects = self.create_objects(self.many)
        ids = list_ids(reader_client, self.list_url(), {"page_size": 5})
        assert len(ids) == len(set(ids)) == self.many
        assert set(ids) == {obj.pk for obj in objects}

    def test_list_query_count_is_fixed(self, reader_client: APIClient) -> None:
        self.create_objects(self.many)
        for size in (2, self.many):
            with assert_num_queries(self.list_query_count, f"a page of {size}"):
                response = reader_client.get(self.list_url(), {"page_size": size})
            assert len(response.data["results"]) == size
        first = reader_client.get(self.list_url(), {"page_size": 2})
        with assert_num_queries(self.list_query_count, "the next page"):
            response = reader_client.get(first.data["next"])
        assert len(response.data["results"]) == 2

    def test_a_huge_page_size_is_cut_not_refused(self, reader_client: APIClient) -> None:
        self.create_objects(self.few)
        response = reader_client.get(self.list_url(), {"page_size": 10**9})
        assert response.status_code == status.HTTP_200_OK
        assert len(response.data["results"]) == self.few


class ReadOnlyCursorAPITests(GetObjectTests, CursorListObjectsTests):
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, reader_client: APIClient, method: str) -> None:
        obj = self.factory()
        url = self.list_url() if method == "post" else self.detail_url(obj.pk)
        response = getattr(reader_client, method)(url, {}, format="json")
        assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
        assert self.model.objects.filter(pk=obj.pk).exists()


class CreateObjectTests(APITests):
    def create_data(self) -> dict[str, Any]:
        raise NotImplementedError

    def test_create_needs_the_add_permission(self, staff_api_client: APIClient) -> None:
        before = self.model.objects.count()
        response = staff_api_client.post(self.list_url(), self.create_data(), format="json")
        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert self.model.objects.count() == before

    def test_create(self) -> None:
        data = self.create_data()
        response = client_with_permissions(self.model, "add").post(
            self.list_url(), data, format="json"
        )
        assert response.status_code == status.HTTP_201_CREATED, response.data
        obj = self.model.objects.get(pk=response.data["id"])
        self.check_created(obj, data)

    def check_created(self, obj, data: dict[str, Any]) -> None:
        """What the new object must hold; the concrete test says."""


class UpdateObjectTests(APITests):
    def update_data(self) -> dict[str, Any]:
        raise NotImplementedError

    def test_update_needs_the_change_permission(self, staff_api_client: APIClient) -> None:
        obj = self.factory()
        response = staff_api_client.patch(
            self.detail_url(obj.pk), self.update_data(), format="json"
        )
        assert response.status_code == status.HTTP_403_FORBIDDEN

    @pytest.mark.parametrize("method", ["put", "patch"])
    def test_update(self, method: str) -> None:
        obj = self.factory()
        data = self.update_data()
        response = getattr(client_with_permissions(self.model, "change"), method)(
            self.detail_url(obj.pk), data, format="json"
        )
        assert response.status_code == status.HTTP_200_OK, response.data
        obj.refresh_from_db()
        self.check_updated(obj, data)

    def check_updated(self, obj, data: dict[str, Any]) -> None:
        for name, value in data.items():
            assert getattr(obj, name) == value, name


class DeleteObjectTests(APITests):
    def test_delete_needs_the_delete_permission(self, staff_api_client: APIClient) -> None:
        obj = self.factory()
        response = staff_api_client.delete(self.detail_url(obj.pk))
        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert self.model.objects.filter(pk=obj.pk).exists()

    def test_delete(self) -> None:
        obj = self.factory()
        response = client_with_permissions(self.model, "delete").delete(self.detail_url(obj.pk))
        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not self.model.objects.filter(pk=obj.pk).exists()
