"""``AnyOf``: the rows ``IN`` finds, with the values as one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.lookups import AnyOf
from merchants.models import Merchant, MerchantMembership
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory

pytestmark = pytest.mark.django_db


def test_it_finds_what_in_finds_on_a_key_and_on_a_foreign_key():
    merchants = MerchantFactory.create_batch(4)
    for merchant in merchants[:3]:
        MerchantMembershipFactory(merchant=merchant)
    wanted = [merchants[0].pk, merchants[2].pk, merchants[3].pk, merchants[0].pk, None]

    found = set(Merchant.objects.filter(AnyOf(F("id"), wanted)).values_list("pk", flat=True))
    assert found == set(Merchant.objects.filter(id__in=wanted).values_list("pk", flat=True))
    assert found == {merchants[0].pk, merchants[2].pk, merchants[3].pk}
    members = MerchantMembership.objects.filter(AnyOf(F("merchant_id"), wanted))
    assert {m.merchant_id for m in members} == {merchants[0].pk, merchants[2].pk}
    # Negated, and with nothing to match.
    assert set(Merchant.objects.exclude(AnyOf(F("id"), wanted)).values_list("pk", flat=True)) == {
        merchants[1].pk
    }
    assert not Merchant.objects.filter(AnyOf(F("id"), [])).exists()
    assert not Merchant.objects.filter(AnyOf(F("id"), [None])).exists()


def test_the_values_are_one_parameter_on_postgresql_and_an_in_list_elsewhere():
    merchants = MerchantFactory.create_batch(3)
    ids = [merchant.pk for merchant in merchants]
    with CaptureQueriesContext(connection) as queries:
        assert Merchant.objects.filter(AnyOf(F("id"), ids)).count() == 3
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert "IN (" not in sql
    else:
        assert "IN (" in sql
