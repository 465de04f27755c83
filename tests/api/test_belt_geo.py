"""``GET belts/geo/``: every belt as a GeoJSON FeatureCollection, for any signed-in caller,
filtered by year, category and tier; bad filters are 400s in the API's one error shape."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from belts.api import views as belt_views
from belts.choices import BeltTier
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
)
from tests.merchants.factories import ApiKeyFactory, MerchantFactory
from tests.utils.queries import assert_num_queries

from .base import AUTH_QUERIES, error_fields

pytestmark = pytest.mark.django_db

URL = "/api/v1/belts/geo/"
# The years with figures (the filter's year select and check).
YEARS = 1
# The belts with their city, category and the year's figures, in one query.
ROWS = 1
# Checking a category slug.
CATEGORY = 1


@pytest.fixture
def world():
    """Baigou luggage, a growth belt in 2025; Foshan furniture, ten-billion; Ganzhou furniture,
    with figures in 2024 only."""
    luggage = CategoryFactory(name="Luggage", name_zh="箱包", slug="luggage")
    furniture = CategoryFactory(name="Furniture", name_zh="家具", slug="furniture")
    baoding = CityFactory(
        name="Baoding",
        name_zh="保定",
        province="Hebei",
        province_zh="河北",
        latitude=Decimal("38.873891"),
        longitude=Decimal("115.464806"),
    )
    baigou = IndustrialBeltFactory(
        name="Baoding-Baigou luggage",
        name_zh="白沟箱包",
        slug="baigou-luggage",
        city=baoding,
        category=luggage,
    )
    foshan = IndustrialBeltFactory(
        name="Foshan furniture", city=CityFactory(name="Foshan"), category=furniture
    )
    ganzhou = IndustrialBeltFactory(
        name="Ganzhou furniture", city=CityFactory(name="Ganzhou"), category=furniture
    )
    BeltYearStatFactory(
        belt=baigou,
        year=2025,
        gmv=Decimal("4600000000.00"),
        merchant_count=412,
        yoy_growth=Decimal("0.2500"),
        tier=BeltTier.GROWTH,
    )
    BeltYearStatFactory(belt=baigou, year=2024, gmv=Decimal("3680000000.00"), yoy_growth=None)
    BeltYearStatFactory(
        belt=foshan, year=2025, gmv=Decimal("52000000000.00"), tier=BeltTier.TEN_BILLION
    )
    BeltYearStatFactory(belt=ganzhou, year=2024, gmv=Decimal("1200000000.00"))
    return {"baigou": baigou, "foshan": foshan, "ganzhou": ganzhou}


def feature_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [feature["id"] for feature in response.json()["features"]]


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


class TestTheCollection:
    def test_url_is_the_routers(self):
        assert reverse("api:belt-geo") == URL

    def test_a_feature_collection_of_every_belt(self, user_api_client, world):
        response = user_api_client.get(URL)
        assert response.status_code == 200
        body = json.loads(response.content)
        assert body["type"] == "FeatureCollection"
        assert body["year"] == 2025
        assert [feature["id"] for feature in body["features"]] == [
            world["foshan"].pk,
            world["baigou"].pk,
            world["ganzhou"].pk,
        ]

    def test_a_feature(self, user_api_client, world):
        body = json.loads(user_api_client.get(URL).content)
        baigou = body["features"][1]
        assert baigou == {
            "type": "Feature",
            "id": world["baigou"].pk,
            "geometry": {"type": "Point", "coordinates": [115.464806, 38.873891]},
            "properties": {
                "name": "Baoding-Baigou luggage",
                "name_zh": "白沟箱包",
                "display_name": "Baoding-Baigou luggage",
                "slug": "baigou-luggage",
                "city": "Baoding",
                "province": "Hebei",
                "category": "luggage",
                "category_name": "Luggage",
                "year": 2025,
                "gmv": "4600000000.00",
                "merchant_count": 412,
                "yoy_growth": "0.2500",
                "tier": "growth",
                "tier_label": "Growth belt",
            },
        }
        # Numbers, not strings: [longitude, latitude].
        for value in baigou["geometry"]["coordinates"]:
            assert isinstance(value, float)

    def test_a_belt_without_figures_that_year(self, user_api_client, world):
        body = json.loads(user_api_client.get(URL).content)
        ganzhou = body["features"][-1]["properties"]
        assert ganzhou["year"] == 2025
        assert ganzhou["gmv"] is None
        assert ganzhou["merchant_count"] is None
        assert ganzhou["yoy_growth"] is None
        assert ganzhou["tier"] == "standard"

    def test_no_belts_no_figures(self, user_api_client):
        body = json.loads(user_api_client.get(URL).content)
        assert body == {"type": "FeatureCollection", "year": None, "features": []}

    def test_chinese_names_with_accept_language(self, user_api_client, world):
        response = user_api_client.get(URL, {"category": "luggage"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        properties = json.loads(response.content)["features"][0]["properties"]
        assert properties["display_name"] == "白沟箱包"
        assert properties["city"] == "保定"
        assert properties["province"] == "河北"
        assert properties["category_name"] == "箱包"
        assert properties["tier_label"] != "Growth belt"
        assert properties["name"] == "Baoding-Baigou luggage"  # the raw names stay


class TestContentType:
    def test_geo_json_by_default(self, user_api_client, world):
        response = user_api_client.get(URL)
        assert response["Content-Type"] == "application/geo+json"

    def test_json_when_asked(self, user_api_client, world):
        geo = user_api_client.get(URL, HTTP_ACCEPT="application/geo+json")
        assert geo["Content-Type"] == "application/geo+json"
        plain = user_api_client.get(URL, HTTP_ACCEPT="application/json")
        assert plain["Content-Type"] == "application/json"
        assert plain.content == geo.content

    def test_errors_are_plain_json(self, api_client, user_api_client, world):
        assert user_api_client.get(URL, {"tier": "gold"})["Content-Type"] == "application/json"
        assert api_client.get(URL)["Content-Type"] == "application/json"


class TestFilters:
    def test_year(self, user_api_client, world):
        response = user_api_client.get(URL, {"year": 2024})
        assert json.loads(response.content)["year"] == 2024
        assert feature_ids(response) == [
            world["baigou"].pk,
            world["ganzhou"].pk,
            world["foshan"].pk,
        ]
        assert response.json()["features"][0]["properties"]["gmv"] == "3680000000.00"

    def test_category(self, user_api_client, world):
        response = user_api_client.get(URL, {"category": "furniture"})
        assert feature_ids(response) == [world["foshan"].pk, world["ganzhou"].pk]

    def test_tier(self, user_api_client, world):
        assert feature_ids(user_api_client.get(URL, {"tier": "growth"})) == [world["baigou"].pk]
        assert feature_ids(user_api_client.get(URL, {"tier": "standard"})) == [world["ganzhou"].pk]
        assert feature_ids(user_api_client.get(URL, {"year": 2024, "tier": "ten_billion"})) == []

    def test_empty_values_are_no_filter(self, user_api_client, world):
        response = user_api_client.get(URL, {"year": "", "category": "", "tier": ""})
        assert len(feature_ids(response)) == 3

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"year": 2023}, "year"),
            ({"year": "2025.0"}, "year"),
            ({"year": "9" * 30}, "year"),
            ({"category": "wigs"}, "category"),
            ({"category": "x" * 500}, "category"),
            ({"category": "wi\x00gs"}, "category"),
            ({"tier": "gold"}, "tier"),
        ],
    )
    def test_a_bad_filter_is_a_400_naming_it(self, user_api_client, world, params, field):
        response = user_api_client.get(URL, params)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["field"] == field
        assert error_fields(response) == {field}
        assert error["message"].startswith(f"{field}: ")

    def test_every_bad_filter_is_listed(self, user_api_client, world):
        response = user_api_client.get(URL, {"year": 1999, "category": "wigs", "tier": "gold"})
        assert response.status_code == 400
        assert error_fields(response) == {"year", "category", "tier"}

    def test_more_belts_than_the_bound_is_refused(self, user_api_client, world, monkeypatch):
        monkeypatch.setattr(belt_views, "GEO_MAX_FEATURES", 2)
        response = user_api_client.get(URL)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_many_belts"
        assert feature_ids(user_api_client.get(URL, {"category": "furniture"})) == [
            world["foshan"].pk,
            world["ganzhou"].pk,
        ]


class TestWhoMayRead:
    def test_anonymous_is_a_401(self, api_client, world):
        response = api_client.get(URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Api-Key")
        assert response.json()["error"]["code"] == "not_authenticated"

    def test_a_merchant_key_sees_every_belt(self, world):
        # The key's merchant is of Baigou; the map still shows every belt.
        merchant = MerchantFactory(belt=world["baigou"])
        client = key_client(ApiKeyFactory(merchant=merchant).raw_key)
        assert sorted(feature_ids(client.get(URL))) == sorted(b.pk for b in world.values())

    def test_a_center_key_sees_every_belt(self, world):
        center = OperationCenterFactory(belts=[world["foshan"]])
        client = key_client(ApiKeyFactory(center=center).raw_key)
        assert sorted(feature_ids(client.get(URL))) == sorted(b.pk for b in world.values())

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_writes_are_refused(self, user_api_client, world, method):
        response = getattr(user_api_client, method)(URL, {}, format="json")
        assert response.status_code == 405


class TestQueryCount:
    @staticmethod
    def make(count: int) -> None:
        for stat in BeltYearStatFactory.create_batch(count, year=2025):
            BeltYearStatFactory(belt=stat.belt, year=2024)
        IndustrialBeltFactory.create_batch(count)  # no figures

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            # The filter's years give the newest year: the selector need not look for it.
            ({}, AUTH_QUERIES + YEARS + ROWS),
            ({"year": 2024, "tier": "growth"}, AUTH_QUERIES + YEARS + ROWS),
            ({"category": "furniture"}, AUTH_QUERIES + YEARS + CATEGORY + ROWS),
        ],
    )
    def test_fixed_whatever_the_number_of_belts(self, user_api_client, params, expected):
        CategoryFactory(slug="furniture")
        self.make(3)
        with assert_num_queries(expected, "6 belts"):
            response = user_api_client.get(URL, params)
        assert response.status_code == 200
        self.make(27)
        with assert_num_queries(expected, "60 belts"):
            response = user_api_client.get(URL, params)
        assert response.status_code == 200
        if not params:
            assert len(response.json()["features"]) == 60
