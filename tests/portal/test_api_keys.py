"""The owner's API keys page in the portal: create (the key shown once), list, revoke after a
confirmation; operators and other merchants' users manage nothing."""

import pytest
from django.urls import reverse

from merchants.api_keys import api_key_authenticate
from merchants.choices import MembershipRole
from merchants.models import ApiKey
from tests.merchants.factories import ApiKeyFactory, MerchantMembershipFactory

pytestmark = pytest.mark.django_db


def keys_url(merchant) -> str:
    return f"{reverse('merchants:api-keys')}?merchant={merchant.pk}"


def test_the_owner_creates_a_key_shown_once_that_works(owner_client, merchant):
    response = owner_client.post(
        reverse("merchants:api-keys"), {"merchant": merchant.pk, "name": "ERP sync"}
    )

    assert response.status_code == 200
    raw_key = response.context["new_key"]
    assert raw_key in response.content.decode()
    api_key = api_key_authenticate(raw_key)
    assert (api_key.merchant, api_key.name) == (merchant, "ERP sync")
    # The next visit lists the key by its prefix and never shows it again.
    page = owner_client.get(keys_url(merchant)).content.decode()
    assert "ERP sync" in page
    assert api_key.prefix in page
    assert raw_key not in page


def test_a_bad_name_is_a_form_error_and_creates_nothing(owner_client, merchant):
    response = owner_client.post(
        reverse("merchants:api-keys"), {"merchant": merchant.pk, "name": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    response = owner_client.post(
        reverse("merchants:api-keys"),
        {"merchant": merchant.pk, "name": "x", "expires_on": "2000-01-01"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["expires_on"]
    assert not ApiKey.objects.exists()


def test_revoking_asks_first_then_revokes(owner_client, merchant):
    api_key = ApiKeyFactory(merchant=merchant)
    url = reverse("merchants:api-key-revoke", args=[api_key.prefix]) + f"?merchant={merchant.pk}"

    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    api_key.refresh_from_db()
    assert not api_key.revoked

    response = owner_client.post(url, {"merchant": merchant.pk})
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked
    assert api_key_authenticate(api_key.raw_key) is None


def test_an_operator_is_told_only_the_owner_manages_keys(client, merchant):
    operator = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user
    client.force_login(operator)
    response = client.get(reverse("merchants:api-keys"))
    assert response.status_code == 200
    assert response.context["not_owner"]
    response = client.post(reverse("merchants:api-keys"), {"merchant": merchant.pk, "name": "x"})
    assert not ApiKey.objects.exists()


def test_another_merchants_keys_are_a_404(owner_client, merchant):
    theirs = MerchantMembershipFactory(role=MembershipRole.OWNER).merchant
    their_key = ApiKeyFactory(merchant=theirs)

    assert owner_client.get(keys_url(theirs)).status_code == 404
    created = owner_client.post(reverse("merchants:api-keys"), {"merchant": theirs.pk, "name": "x"})
    assert created.status_code == 404
    url = reverse("merchants:api-key-revoke", args=[their_key.prefix])
    assert owner_client.post(f"{url}?merchant={merchant.pk}").status_code == 404
    assert owner_client.post(f"{url}?merchant={theirs.pk}").status_code == 404
    their_key.refresh_from_db()
    assert not their_key.revoked
    assert ApiKey.objects.filter(merchant=theirs).count() == 1


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(reverse("merchants:api-keys"))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]
