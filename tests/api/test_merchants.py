"""Merchants and their monthly figures over the API: scoped by the one merchant scope, cursor-paged
and never counted, filtered; one merchant's facts as of a bounded day."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from belts.choices import BeltTier
from merchants.choices import BrandStage, MerchantStatus, MerchantType
from merchants.models import MonthlyMetric
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
)
from tests.utils.months import add_trailing_gmv, months_back
from tests.utils.queries import assert_num_queries

from .base import (
    AUTH_QUERIES,
    CURSOR_LIST,
    REFUSED,
    CursorListObjectsTests,
    ReadOnlyCursorAPITests,
    list_ids,
)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    """Two belts, each served by a center of its own with a reviewer; a merchant in each with an
    owner, and a month of figures each."""

    class World:
        pass

    w = World()
    w.belt, w.other_belt = IndustrialBeltFactory(), IndustrialBeltFactory()
    w.merchant = MerchantFactory(belt=w.belt)
    w.other = MerchantFactory(belt=w.other_belt)
    w.owner = MerchantMembershipFactory(merchant=w.merchant).user
    w.other_owner = MerchantMembershipFactory(merchant=w.other).user
    w.reviewer = OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[w.belt])
    ).user
    w.other_reviewer = OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[w.other_belt])
    ).user
    w.metric = MonthlyMetricFactory(merchant=w.merchant, month=months_back(1))
    w.other_metric = MonthlyMetricFactory(merchant=w.other, month=months_back(1))
    return w


# Merchants -------------------------------------------------------------------------------------
class TestMerchantAPI(ReadOnlyCursorAPITests):
    url_name = "api:merchant"
    factory = MerchantFactory
    list_query_count = AUTH_QUERIES + CURSOR_LIST  # belt and category joined

    @pytest.fixture
    def reader_client(self, superuser_api_client):
        return superuser_api_client

    def test_a_signed_in_user_reads_unless_staff_only(self, user_api_client) -> None:
        # Anyone signed in may list, but sees only the merchants in their scope: none here.
        merchant = self.factory()
        listed = user_api_client.get(self.list_url())
        assert listed.status_code == 200
        assert listed.data["results"] == []
        assert user_api_client.get(self.detail_url(merchant.pk)).status_code == 404

    def test_a_merchant_reads_as_documented(self, reader_client) -> None:
        merchant = self.factory(returned_on=datetime.date(2024, 5, 1))
        data = reader_client.get(self.detail_url(merchant.pk)).data
        assert data["belt"] == {
            "id": merchant.belt_id,
            "name": merchant.belt.name,
            "slug": merchant.belt.slug,
        }
        assert data["category"]["slug"] == merchant.category.slug
        assert (data["merchant_type"], data["brand_stage"], data["status"]) == (
            "source_factory",
            "me_too",
            "active",
        )
        assert (data["opened_on"], data["returned_on"]) == ("2020-03-01", "2024-05-01")


@pytest.mark.django_db
class TestMerchantScope:
    def urls(self, merchant):
        return [
            reverse("api:merchant-detail", args=[merchant.pk]),
            reverse("api:merchant-facts", args=[merchant.pk]),
        ]

    @pytest.mark.parametrize(
        ("user", "own", "foreign"),
        [
            ("owner", "merchant", "other"),
            ("reviewer", "merchant", "other"),
            ("other_owner", "other", "merchant"),
            ("other_reviewer", "other", "merchant"),
        ],
    )
    def test_each_sees_their_own_only(self, world, user, own, foreign):
        client = client_for(getattr(world, user))
        assert list_ids(client, reverse("api:merchant-list")) == [getattr(world, own).pk]
        for url in self.urls(getattr(world, own)):
            assert client.get(url).status_code == 200, url
        for url in self.urls(getattr(world, foreign)):
            assert client.get(url).status_code == 404, url

    def test_another_merchant_is_a_404_like_a_missing_one(self, world):
        client = client_for(world.owner)
        foreign = client.get(reverse("api:merchant-detail", args=[world.other.pk]))
        missing = client.get(reverse("api:merchant-detail", args=[2_000_000_000]))
        assert foreign.status_code == missing.status_code == 404
        assert foreign.data == missing.data

    def test_anonymous_is_refused(self, world, api_client):
        for url in [reverse("api:merchant-list"), *self.urls(world.merchant)]:
            assert api_client.get(url).status_code in REFUSED, url


@pytest.mark.django_db
class TestMerchantFilters:
    def test_each_filter_filters(self, superuser_api_client):
        belt = IndustrialBeltFactory()
        rugs = CategoryFactory(slug="rugs")
        plain = MerchantFactory(shop_name="Plain Shop", legal_name="Plain Co.")
        oak = MerchantFactory(
            belt=belt,
            category=rugs,
            shop_name="Oakworks Flagship",
            legal_name="Foshan Oak Furniture Co.",
            merchant_type=MerchantType.BRAND,
            brand_stage=BrandStage.ME_ONLY,
            status=MerchantStatus.DORMANT,
            is_smb=False,
        )
        url = reverse("api:merchant-list")

        def ids(**params):
            return list_ids(superuser_api_client, url, params)

        assert ids(belt=belt.pk) == [oak.pk]
        assert ids(category="rugs") == [oak.pk]
        assert ids(merchant_type="brand") == [oak.pk]
        assert ids(brand_stage="me_only") == [oak.pk]
        assert ids(status="dormant") == [oak.pk]
        assert ids(is_smb="false") == [oak.pk]
        assert ids(is_smb="true") == [plain.pk]
        assert ids(search="oakworks") == [oak.pk]  # the shop name, any case
        assert ids(search="FURNITURE") == [oak.pk]  # the legal name
        assert ids(search="  ") == [plain.pk, oak.pk]
        assert ids(ordering="-id") == [oak.pk, plain.pk]
        assert ids(ordering="shop_name") == [plain.pk, oak.pk]  # not orderable: by id
        assert ids(belt=belt.pk, status="active") == []

    @pytest.mark.parametrize(
        "params",
        [
            {"merchant_type": "wizard"},
            {"status": "gone"},
            {"belt": "1.5"},
            {"search": "x" * 101},
            {"cursor": "not-a-cursor"},
        ],
    )
    def test_bad_filters_are_refused(self, superuser_api_client, params):
        MerchantFactory()
        response = superuser_api_client.get(reverse("api:merchant-list"), params)
        assert response.status_code in {400, 404}, response.data


@pytest.mark.django_db
class TestMerchantFacts:
    def test_the_facts_the_rules_see(self, superuser_api_client):
        merchant = MerchantFactory()
        add_trailing_gmv(merchant, "100000.00", months=24)
        last_year = timezone.localdate().year - 1
        BeltYearStatFactory(belt=merchant.belt, year=last_year, tier=BeltTier.GROWTH)
        url = reverse("api:merchant-facts", args=[merchant.pk])

        with assert_num_queries(AUTH_QUERIES + 4, "facts"):  # scope, the facts, tiers, slugs
            response = superuser_api_client.get(url)

        assert response.status_code == 200
        data = response.data
        assert data["merchant_id"] == merchant.pk
        assert data["as_of"] == timezone.localdate().isoformat()
        assert data["gmv_12m"] == "1200000.00"
        assert data["gmv_prior_12m"] == "1200000.00"
        assert data["yoy_growth"] == "0.0000"
        assert data["live_share"] == "0.0000"
        assert data["belt_tier"] == "growth"
        assert data["category"] == merchant.category.slug
        assert data["months_with_data"] == 12
        assert data["months_since_return"] is None
        assert data["store_age_months"] > 60

    def test_as_of_moves_the_window(self, superuser_api_client):
        merchant = MerchantFactory()
        MonthlyMetric.objects.create(
            merchant=merchant, month=datetime.date(2024, 6, 1), gmv=Decimal("500")
        )
        url = reverse("api:merchant-facts", args=[merchant.pk])
        in_window = superuser_api_client.get(url, {"as_of": "2025-01-15"}).data
        before = superuser_api_client.get(url, {"as_of": "2024-06-30"}).data
        assert (in_window["as_of"], in_window["gmv_12m"]) == ("2025-01-15", "500.00")
        assert before["gmv_12m"] == "0.00"

    @pytest.mark.parametrize(
        "as_of",
        [
            lambda: (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            lambda: "1999-12-31",
            lambda: "yesterday",
        ],
    )
    def test_as_of_is_bounded(self, superuser_api_client, as_of):
        merchant = MerchantFactory()
        url = reverse("api:merchant-facts", args=[merchant.pk])
        response = superuser_api_client.get(url, {"as_of": as_of()})
        assert response.status_code == 400


# Metrics ---------------------------------------------------------------------------------------
class TestMetricListAPI(CursorListObjectsTests):
    url_name = "api:metric"
    factory = MonthlyMetricFactory
    list_query_count = AUTH_QUERIES + CURSOR_LIST

    @pytest.fixture
    def reader_client(self, superuser_api_client):
        return superuser_api_client

    def test_anonymous_is_refused(self, api_client):
        assert api_client.get(self.list_url()).status_code in REFUSED

    def test_a_row_reads_as_documented(self, reader_client):
        metric = self.factory()
        (row,) = reader_client.get(self.list_url()).data["results"]
        assert row == {
            "id": metric.pk,
            "merchant": metric.merchant_id,
            "month": "2025-01-01",
            "gmv": "150000.00",
            "orders": 800,
            "live_gmv": "30000.00",
            "live_sessions": 12,
            "followers": 5000,
            "refund_rate": "0.0350",
            "new_listings": 6,
            "updated_at": row["updated_at"],
        }

    def test_a_page_holds_at_most_500(self, reader_client):
        merchant = MerchantFactory()
        MonthlyMetric.objects.bulk_create(
            MonthlyMetric(merchant=merchant, month=months_back(back)) for back in range(501)
        )
        response = reader_client.get(self.list_url(), {"page_size": 1000})
        assert len(response.data["results"]) == 500
        assert response.data["next"]


@pytest.mark.django_db
class TestMetricScopeAndFilters:
    @pytest.mark.parametrize(
        ("user", "own"),
        [
            ("owner", "metric"),
            ("reviewer", "metric"),
            ("other_owner", "other_metric"),
            ("other_reviewer", "other_metric"),
        ],
    )
    def test_each_sees_their_merchants_figures_only(self, world, user, own):
        client = client_for(getattr(world, user))
        assert list_ids(client, reverse("api:metric-list")) == [getattr(world, own).pk]

    def test_filters(self, superuser_api_client):
        merchant = MerchantFactory()
        months = [datetime.date(2025, month, 1) for month in (1, 2, 3, 4)]
        metrics = [MonthlyMetricFactory(merchant=merchant, month=month) for month in months]
        MonthlyMetricFactory(month=datetime.date(2025, 2, 1))  # another merchant
        url = reverse("api:metric-list")

        def ids(**params):
            return list_ids(superuser_api_client, url, params)

        assert ids(merchant=merchant.pk) == [metric.pk for metric in metrics]
        assert ids(merchant=merchant.pk, month_after="2025-02-01", month_before="2025-03-01") == [
            metrics[1].pk,
            metrics[2].pk,
        ]
        assert ids(merchant=merchant.pk, month_after="2025-04-01") == [metrics[3].pk]
        assert ids(merchant=2_000_000_000) == []

    @pytest.mark.parametrize(
        "params", [{"month_after": "2025-02-15"}, {"month_before": "soon"}, {"merchant": "x"}]
    )
    def test_bad_filters_are_refused(self, superuser_api_client, params):
        response = superuser_api_client.get(reverse("api:metric-list"), params)
        assert response.status_code == 400


@pytest.mark.django_db
def test_superusers_see_every_merchant(world):
    client = client_for(SuperUserFactory())
    assert set(list_ids(client, reverse("api:merchant-list"))) == {
        world.merchant.pk,
        world.other.pk,
    }
