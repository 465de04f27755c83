from decimal import Decimal

import factory
import pytest
from django.urls import reverse

from belts.choices import BeltTier
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
)

from .base import AUTH_QUERIES, LIST, ReadOnlyAPITests, error_fields


class OperationCenterServingBeltsFactory(OperationCenterFactory):
    """A center that serves two belts, so the list has belt ids to load."""

    @factory.post_generation
    def belts(self, create, extracted, **kwargs):
        if create:
            self.belts.add(*(extracted or IndustrialBeltFactory.create_batch(2)))


class TestCityAPI(ReadOnlyAPITests):
    url_name = "api:city"
    factory = CityFactory
    list_query_count = AUTH_QUERIES + LIST


class TestCategoryAPI(ReadOnlyAPITests):
    url_name = "api:category"
    factory = CategoryFactory
    list_query_count = AUTH_QUERIES + LIST


class TestIndustrialBeltAPI(ReadOnlyAPITests):
    url_name = "api:belt"
    factory = IndustrialBeltFactory
    list_query_count = AUTH_QUERIES + LIST


class TestOperationCenterAPI(ReadOnlyAPITests):
    url_name = "api:operation-center"
    factory = OperationCenterServingBeltsFactory
    list_query_count = AUTH_QUERIES + LIST + 1  # the belts served


class TestBeltYearStatAPI(ReadOnlyAPITests):
    url_name = "api:belt-year-stat"
    factory = BeltYearStatFactory
    list_query_count = AUTH_QUERIES + LIST


def ids(response) -> set[int]:
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


@pytest.mark.django_db
class TestBeltFilters:
    @pytest.fixture
    def belts(self):
        furniture = CategoryFactory(name="Furniture", slug="furniture")
        luggage = CategoryFactory(name="Luggage", slug="luggage")
        foshan = CityFactory(name="Foshan", province="Guangdong")
        baoding = CityFactory(name="Baoding", province="Hebei")
        return {
            "foshan_furniture": IndustrialBeltFactory(
                name="Foshan furniture", city=foshan, category=furniture
            ),
            "baigou_luggage": IndustrialBeltFactory(
                name="Baoding-Baigou luggage", name_zh="白沟箱包", city=baoding, category=luggage
            ),
            "baoding_furniture": IndustrialBeltFactory(
                name="Baoding furniture", city=baoding, category=furniture
            ),
        }

    def test_by_category_slug(self, user_api_client, belts):
        response = user_api_client.get(reverse("api:belt-list"), {"category": "furniture"})
        assert ids(response) == {belts["foshan_furniture"].pk, belts["baoding_furniture"].pk}

    def test_by_city_and_province(self, user_api_client, belts):
        foshan = belts["foshan_furniture"].city
        response = user_api_client.get(reverse("api:belt-list"), {"city": foshan.pk})
        assert ids(response) == {belts["foshan_furniture"].pk}
        response = user_api_client.get(reverse("api:belt-list"), {"province": "hebei"})
        assert ids(response) == {belts["baigou_luggage"].pk, belts["baoding_furniture"].pk}

    def test_filters_combine(self, user_api_client, belts):
        response = user_api_client.get(
            reverse("api:belt-list"), {"category": "furniture", "province": "Hebei"}
        )
        assert ids(response) == {belts["baoding_furniture"].pk}

    def test_search_by_name_in_either_language(self, user_api_client, belts):
        response = user_api_client.get(reverse("api:belt-list"), {"q": "baigou"})
        assert ids(response) == {belts["baigou_luggage"].pk}
        response = user_api_client.get(reverse("api:belt-list"), {"q": "白沟"})
        assert ids(response) == {belts["baigou_luggage"].pk}

    def test_a_city_id_must_be_an_integer(self, user_api_client, belts):
        response = user_api_client.get(reverse("api:belt-list"), {"city": "1.5"})
        assert response.status_code == 400

    def test_unknown_category_matches_nothing(self, user_api_client, belts):
        response = user_api_client.get(reverse("api:belt-list"), {"category": "wigs"})
        assert ids(response) == set()

    def test_belt_nests_city_and_category(self, user_api_client, belts):
        belt = belts["foshan_furniture"]
        response = user_api_client.get(reverse("api:belt-detail", kwargs={"pk": belt.pk}))
        assert response.data["city"]["name"] == "Foshan"
        assert response.data["category"]["slug"] == "furniture"


@pytest.mark.django_db
class TestOperationCenterFilters:
    def test_lists_the_belts_served_and_filters_by_belt(self, user_api_client):
        served = IndustrialBeltFactory.create_batch(2)
        center = OperationCenterFactory(belts=served)
        OperationCenterFactory(belts=[IndustrialBeltFactory()])

        response = user_api_client.get(reverse("api:operation-center-detail", args=[center.pk]))
        assert sorted(response.data["belts"]) == sorted(belt.pk for belt in served)

        response = user_api_client.get(reverse("api:operation-center-list"), {"belt": served[0].pk})
        assert ids(response) == {center.pk}


@pytest.mark.django_db
class TestBeltYearStatFilters:
    def test_by_year_tier_and_belt(self, user_api_client):
        belt = IndustrialBeltFactory()
        ten_billion_2024 = BeltYearStatFactory(
            belt=belt, year=2024, gmv=Decimal("12000000000"), tier=BeltTier.TEN_BILLION
        )
        growth_2025 = BeltYearStatFactory(belt=belt, year=2025, tier=BeltTier.GROWTH)
        other_2025 = BeltYearStatFactory(year=2025)
        url = reverse("api:belt-year-stat-list")

        assert ids(user_api_client.get(url, {"year": 2025})) == {growth_2025.pk, other_2025.pk}
        assert ids(user_api_client.get(url, {"tier": "ten_billion"})) == {ten_billion_2024.pk}
        assert ids(user_api_client.get(url, {"belt": belt.pk, "year": 2025})) == {growth_2025.pk}
        assert ids(user_api_client.get(url, {"belt_slug": belt.slug})) == {
            ten_billion_2024.pk,
            growth_2025.pk,
        }

    def test_unknown_tier_is_a_400(self, user_api_client):
        response = user_api_client.get(reverse("api:belt-year-stat-list"), {"tier": "gold"})
        assert response.status_code == 400
        assert error_fields(response) == {"tier"}
