import pytest
from django.test import Client

from tests.belts.factories import SuperUserFactory

CONSOLE_APPS = ("belts", "merchants", "programs", "logistics")


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def console_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client
