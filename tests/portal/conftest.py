import pytest

from merchants.choices import MembershipRole
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory


@pytest.fixture
def owner(db):
    """A merchant's owner."""
    membership = MerchantMembershipFactory(
        user=UserFactory(username="owner"),
        merchant=MerchantFactory(shop_name="Baigou Travel Goods"),
        role=MembershipRole.OWNER,
    )
    return membership.user


@pytest.fixture
def merchant(owner):
    return owner.merchant_memberships.get().merchant


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
