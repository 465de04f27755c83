"""``belts/<id>/``: the belt with its page's figures, scoped by config.atlas.access the same way
for a session and for a key; the lists and ``belts/geo/`` are unchanged."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.atlas.world import build_atlas_world
from tests.merchants.factories import ApiKeyFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_atlas_world()


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def detail(client: APIClient, belt_id: int) -> dict:
    response = client.get(reverse("api:belt-detail", args=[belt_id]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_detail_keeps_the_belts_fields_and_adds_its_figures(world):
    body = detail(session(world.staff), world.luggage.pk)
    assert {"id", "name", "name_zh", "slug", "city", "category", "description"} <= set(body)
    figures = body["figures"]
    assert figures["access"] == "full"
    assert [(y["year"], y["gmv"], y["yoy_growth"], y["tier"]) for y in figures["years"]] == [
        (2023, "300000000.00", None, "standard"),
        (2024, "360000000.00", "0.2000", "growth"),
        (2025, "456000000.00", "0.2667", "growth"),
    ]
    reason = figures["tier_reason"]
    assert (reason["growth_rank"], reason["ranked_of"]) == (3, 5)
    assert (reason["candidate_rank"], reason["candidates"]) == (2, 3)
    assert "26.7%" in reason["sentence"]
    assert [(c["year"], c["from_tier"], c["to_tier"]) for c in figures["tier_history"]] == [
        (2024, "standard", "growth")
    ]
    assert [c["name"] for c in figures["operation_centers"]] == ["North China center"]
    assert figures["composition"]["total"] == 4
    assert figures["composition"]["stage_totals"] == {"me_too": 1, "me_better": 2, "me_only": 1}
    assert [(p["name"], p["eligible"], p["enrolled"]) for p in figures["programs"]] == [
        ("Source Power", 2, 1),
        ("Star Origin", 0, 0),
    ]
    logistics = figures["logistics"]
    assert (logistics["shipments"], logistics["damaged"], logistics["damage_rate"]) == (
        3,
        1,
        "0.3333",
    )
    assert [(p["name"], p["legs"]) for p in logistics["providers"]] == [
        ("Linehaul Co", 3),
        ("Install Co", 1),
    ]
    assert figures["factory_count"] == 3
    assert sorted(f["name"] for f in figures["factories"]) == ["Own Factory", "Peer Factory"]


def test_a_merchants_key_gets_the_member_view(world):
    body = detail(
        key_client(ApiKeyFactory(merchant=world.merchants["own"]).raw_key), world.luggage.pk
    )
    figures = body["figures"]
    assert figures["access"] == "member"
    assert figures["composition"]["total"] == 4
    named = sorted((f["name"] or "", f["merchant_id"] or 0) for f in figures["factories"])
    assert named == [("", 0), ("Own Factory", world.merchants["own"].pk)]


def test_a_key_of_another_center_gets_the_reference_figures_only(world):
    center = world.furniture.operation_centers.get()
    figures = detail(key_client(ApiKeyFactory(center=center).raw_key), world.luggage.pk)["figures"]
    assert figures["access"] == "public"
    assert figures["years"]
    assert figures["tier_reason"]
    for key in ("composition", "programs", "logistics", "factory_count"):
        assert figures[key] is None, key
    assert figures["factories"] == []


def test_a_key_of_the_serving_center_sees_everything(world):
    center = world.luggage.operation_centers.get()
    figures = detail(key_client(ApiKeyFactory(center=center).raw_key), world.luggage.pk)["figures"]
    assert figures["access"] == "full"
    assert figures["factory_count"] == 3


@pytest.mark.parametrize("belt_id", ["0", "999999", "abc"])
def test_an_unknown_belt_is_a_404_in_the_error_shape(world, belt_id):
    client = session(world.staff)
    response = client.get(f"/api/v1/belts/{belt_id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_is_refused(world, api_client):
    assert api_client.get(reverse("api:belt-detail", args=[world.luggage.pk])).status_code in (
        401,
        403,
    )


def test_the_list_and_geo_are_unchanged(world):
    client = session(world.other_staff)
    listed = client.get(reverse("api:belt-list")).json()["results"]
    assert "figures" not in listed[0]
    assert len(listed) == 5
    geo = client.get(reverse("api:belt-geo"))
    assert geo.status_code == 200
    assert len(geo.json()["features"]) == 5


@pytest.mark.parametrize(
    ("reader", "queries"),
    # the session (2) and the figures: superuser 12, staff 13, member 14, anyone else 8.
    [("superuser", 14), ("staff", 15), ("owner", 16), ("other_owner", 10)],
)
def test_query_counts_are_pinned(world, reader, queries):
    client = session(getattr(world, reader))
    with assert_num_queries(queries, reader):
        detail(client, world.luggage.pk)
