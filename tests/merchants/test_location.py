"""A merchant's location: optional, both coordinates or neither, within range; kept by the
database too; shown read-only by the merchants API."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.models import Merchant
from tests.belts.factories import SuperUserFactory
from tests.merchants.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def test_a_merchant_needs_no_location():
    merchant = MerchantFactory()
    merchant.full_clean()
    assert not merchant.has_location
    assert merchant.district == ""


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [("38.9", None, "longitude"), (None, "115.5", "latitude"), ("90.5", "115.5", "latitude")],
)
def test_half_a_location_or_one_out_of_range_is_refused_by_name(latitude, longitude, field):
    merchant = MerchantFactory.build(
        belt=MerchantFactory().belt,
        latitude=Decimal(latitude) if latitude else None,
        longitude=Decimal(longitude) if longitude else None,
    )
    merchant.category = merchant.belt.category
    with pytest.raises(ValidationError) as refused:
        merchant.full_clean()
    assert field in refused.value.message_dict


def test_the_database_refuses_half_a_location():
    merchant = MerchantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.filter(pk=merchant.pk).update(latitude=Decimal("38.9"))


def test_the_merchants_api_shows_the_location():
    merchant = MerchantFactory(
        latitude=Decimal("38.9"), longitude=Decimal("115.5"), district="Baigou"
    )
    client = APIClient()
    client.force_login(SuperUserFactory())
    body = client.get(reverse("api:merchant-detail", args=[merchant.pk])).json()
    assert (body["district"], body["latitude"], body["longitude"]) == (
        "Baigou",
        "38.900000",
        "115.500000",
    )
