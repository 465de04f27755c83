import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
)

from .test_scoping import reviewers_group

CONSOLE_APPS = ("belts", "merchants", "programs", "logistics")


@pytest.fixture
def superuser(db):
    return SuperUserFactory()


@pytest.fixture
def console_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def importer():
    """A staff member of one center (belt A) allowed to add and change merchants and metrics."""
    belt = IndustrialBeltFactory()
    user = StaffUserFactory(username="importer")
    user.groups.add(reviewers_group())
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "add_merchant",
                "change_merchant",
                "add_monthlymetric",
                "change_monthlymetric",
            ]
        )
    )
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=user)
    client = Client()
    client.force_login(user)
    return belt, client
