import pytest
from rest_framework.test import APIClient

from tests.belts.factories import StaffUserFactory, SuperUserFactory, UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user_api_client(db) -> APIClient:
    client = APIClient()
    client.force_login(UserFactory())
    return client


@pytest.fixture
def staff_api_client(db) -> APIClient:
    client = APIClient()
    client.force_login(StaffUserFactory())
    return client


@pytest.fixture
def superuser_api_client(db) -> APIClient:
    client = APIClient()
    client.force_login(SuperUserFactory())
    return client
