"""API keys from the outside: ``Authorization: Api-Key <key>`` acts as the key's merchant's
operator or its center's reviewer, with exactly their scope; every failure is a 401 with
``WWW-Authenticate`` in the one error shape."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from merchants.api_keys import api_key_revoke
from merchants.models import ApiKey
from tests.belts.factories import OperationCenterFactory
from tests.merchants.factories import ApiKeyFactory, MerchantFactory
from tests.programs.factories import EligibilityFactory, ProgramFactory
from tests.utils.queries import assert_num_queries


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def eligibility_ids(client: APIClient) -> set[int]:
    response = client.get(reverse("api:eligibility-list"))
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


@pytest.fixture
def two_centers(db):
    """Two centers, each serving one belt with one merchant and its eligibility row."""
    sides = []
    for _ in range(2):
        merchant = MerchantFactory()
        center = OperationCenterFactory(belts=[merchant.belt])
        sides.append((center, merchant, EligibilityFactory(merchant=merchant)))
    return sides


@pytest.mark.django_db
class TestScopeOfAKey:
    def test_a_merchant_key_sees_its_merchant_only(self, two_centers):
        (_c, merchant, mine), (_d, other, _theirs) = two_centers
        client = key_client(ApiKeyFactory(merchant=merchant).raw_key)

        assert eligibility_ids(client) == {mine.pk}
        url = reverse("api:merchant-eligibility", kwargs={"merchant_id": other.pk})
        assert client.get(url).status_code == 404

    def test_a_center_key_sees_the_merchants_its_center_serves(self, two_centers):
        (center, _m, mine), (_d, other, _theirs) = two_centers
        client = key_client(ApiKeyFactory(center=center).raw_key)

        assert eligibility_ids(client) == {mine.pk}
        url = reverse("api:merchant-eligibility", kwargs={"merchant_id": other.pk})
        assert client.get(url).status_code == 404

    def test_a_center_key_is_a_reviewer_not_an_editor(self, two_centers):
        (center, _m, _e), _other = two_centers
        client = key_client(ApiKeyFactory(center=center).raw_key)
        response = client.post(reverse("api:rule-set-list"), {}, format="json")
        assert response.status_code == 403
        assert response.data["error"]["code"] == "permission_denied"

    def test_the_schema_is_open_to_key_holders(self, two_centers):
        (_c, merchant, _e), _other = two_centers
        client = key_client(ApiKeyFactory(merchant=merchant).raw_key)
        response = client.get(reverse("api:schema"), {"format": "json"})
        assert response.status_code == 200
        schemes = response.json()["components"]["securitySchemes"]
        assert schemes["ApiKey"] == {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": schemes["ApiKey"]["description"],
        }


@pytest.mark.django_db
class TestRefusals:
    def assert_401(self, response, code: str) -> None:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Api-Key realm="api"'
        assert response.data["error"]["code"] == code
        assert response.data["error"]["message"]

    def test_no_credentials(self, api_client):
        self.assert_401(api_client.get(reverse("api:eligibility-list")), "not_authenticated")

    @pytest.mark.parametrize(
        "header",
        ["Api-Key nonsense", "Api-Key abc.def", "Api-Key", "Api-Key a b", "api-key x.y"],
    )
    def test_a_wrong_or_malformed_key(self, db, header):
        ApiKeyFactory()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        self.assert_401(client.get(reverse("api:eligibility-list")), "authentication_failed")

    def test_a_key_with_the_right_prefix_and_a_wrong_secret(self, db):
        api_key = ApiKeyFactory()
        self.assert_401(
            key_client(f"{api_key.prefix}.{'x' * 32}").get(reverse("api:eligibility-list")),
            "authentication_failed",
        )

    def test_a_revoked_key(self, db):
        api_key = ApiKeyFactory()
        client = key_client(api_key.raw_key)
        assert client.get(reverse("api:eligibility-list")).status_code == 200

        api_key_revoke(api_key=api_key, actor=None)

        self.assert_401(client.get(reverse("api:eligibility-list")), "authentication_failed")

    def test_an_expired_key(self, db):
        api_key = ApiKeyFactory(expiry_date=timezone.now() + datetime.timedelta(days=1))
        ApiKey.objects.filter(pk=api_key.pk).update(
            expiry_date=timezone.now() - datetime.timedelta(seconds=1)
        )
        self.assert_401(
            key_client(api_key.raw_key).get(reverse("api:eligibility-list")),
            "authentication_failed",
        )

    def test_the_same_message_for_every_bad_key(self, db):
        revoked = ApiKeyFactory()
        api_key_revoke(api_key=revoked, actor=None)
        bodies = {
            str(key_client(raw).get(reverse("api:eligibility-list")).data)
            for raw in (revoked.raw_key, "nobody.none", f"{revoked.prefix}.wrong")
        }
        assert len(bodies) == 1

    def test_a_session_still_works_beside_keys(self, user_api_client):
        assert user_api_client.get(reverse("api:eligibility-list")).status_code == 200


@pytest.mark.django_db
class TestLastUse:
    def test_recorded_at_most_once_a_minute(self, db):
        api_key = ApiKeyFactory()
        ProgramFactory()
        client = key_client(api_key.raw_key)
        url = reverse("api:program-list")

        # The key and its user (one query), its last use, then the page's count and rows.
        # The page's rows come with the published rule sets, prefetched.
        with assert_num_queries(5, "first use"):
            assert client.get(url).status_code == 200
        api_key.refresh_from_db()
        first = api_key.last_used_at
        assert first is not None

        with assert_num_queries(4, "within the minute"):
            assert client.get(url).status_code == 200
        api_key.refresh_from_db()
        assert api_key.last_used_at == first


@pytest.mark.django_db
class TestThrottling:
    def test_a_key_over_its_rate_gets_429_with_retry_after(self, monkeypatch):
        monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})
        first, second = ApiKeyFactory(), ApiKeyFactory()
        url = reverse("api:program-list")
        client = key_client(first.raw_key)
        for _ in range(3):
            assert client.get(url).status_code == 200

        response = client.get(url)

        assert response.status_code == 429
        assert int(response.headers["Retry-After"]) > 0
        assert response.data["error"]["code"] == "throttled"
        # Counted per key: another key is not slowed by the first one.
        assert key_client(second.raw_key).get(url).status_code == 200
