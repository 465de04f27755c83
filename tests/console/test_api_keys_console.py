"""API keys in the console: a center's staff see the keys of their centers and of the merchants
their centers serve; creating one shows it once; revoking is the one change a key takes."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from belts.choices import CenterRole
from merchants.api_keys import api_key_authenticate
from merchants.models import ApiKey
from tests.belts.factories import OperationCenterFactory, OperationCenterMembershipFactory
from tests.merchants.factories import ApiKeyFactory, MerchantFactory

from .base import admin_url
from .test_scoping import reviewers_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    merchant, other = MerchantFactory(), MerchantFactory()
    center = OperationCenterFactory(belts=[merchant.belt])
    other_center = OperationCenterFactory(belts=[other.belt])
    manager = OperationCenterMembershipFactory(center=center, role=CenterRole.MANAGER).user
    manager.groups.add(reviewers_group())
    manager.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_apikey", "change_apikey", "view_apikey"])
    )
    client = Client()
    client.force_login(manager)
    return {
        "client": client,
        "merchant": merchant,
        "center": center,
        "mine": {ApiKeyFactory(merchant=merchant), ApiKeyFactory(center=center)},
        "theirs": {ApiKeyFactory(merchant=other), ApiKeyFactory(center=other_center)},
    }


def test_the_list_holds_only_the_keys_of_ones_scope(world):
    response = world["client"].get(admin_url(ApiKey, "changelist"))
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == world["mine"]


def test_another_centers_key_is_a_404(world):
    for api_key in world["theirs"]:
        assert world["client"].get(admin_url(ApiKey, "change", api_key.pk)).status_code == 404


def test_creating_a_merchants_key_shows_it_once(world):
    response = world["client"].post(
        admin_url(ApiKey, "add"),
        {"merchant": world["merchant"].pk, "name": "Data warehouse", "center": ""},
        follow=True,
    )
    assert response.status_code == 200
    (message,) = [str(m) for m in response.context["messages"] if "shown only once" in str(m)]
    raw_key = message.rsplit(" ", 1)[-1]
    api_key = api_key_authenticate(raw_key)
    assert (api_key.merchant, api_key.name) == (world["merchant"], "Data warehouse")


def test_a_key_for_a_merchant_out_of_scope_is_refused(world):
    before = ApiKey.objects.count()
    other = next(iter(k for k in world["theirs"] if k.merchant_id)).merchant
    response = world["client"].post(
        admin_url(ApiKey, "add"), {"merchant": other.pk, "name": "x", "center": ""}
    )
    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors
    assert ApiKey.objects.count() == before


def test_revoking_from_the_list(world):
    mine = next(iter(k for k in world["mine"] if k.merchant_id))
    response = world["client"].post(
        admin_url(ApiKey, "changelist"),
        {"action": "revoke_keys", "_selected_action": [mine.pk]},
        follow=True,
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.revoked


def test_the_merchants_page_lists_its_keys(world):
    response = world["client"].get(
        admin_url(world["merchant"].__class__, "change", world["merchant"].pk)
    )
    assert response.status_code == 200
    mine = next(iter(k for k in world["mine"] if k.merchant_id))
    assert mine.prefix in response.content.decode()
