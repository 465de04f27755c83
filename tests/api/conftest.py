import pytest
from rest_framework.test import APIClient

from tests.belts.factories import StaffUserFactory, SuperUserFactory, UserFactory
from tests.merchants.receiver import running_receiver


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


@pytest.fixture
def receiver():
    """A real HTTP receiver on 127.0.0.1 for webhook deliveries."""
    with running_receiver() as receiver:
        yield receiver
