"""The belt atlas's pages in the console and the portal: the map's markers and the table are the
belts of the database, the filters work and keep bad input visible, a belt's page shows what
the reader may see, and the query counts do not grow with the number of belts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from belts.choices import BeltTier
from belts.models import BeltYearStat
from tests.atlas.world import build_atlas_world
from tests.belts.factories import BeltYearStatFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

MARKER = re.compile(r'<circle class="atlas-marker atlas-marker--(\w+)[^"]*"[^>]*data-belt="(\d+)"')
ROW = re.compile(r'<tr data-belt="(\d+)" data-tier="(\w+)"')


@pytest.fixture
def world():
    return build_atlas_world()


def markers(html: str) -> dict[int, str]:
    return {int(belt): tier for tier, belt in MARKER.findall(html)}


def rows(html: str) -> dict[int, str]:
    return {int(belt): tier for belt, tier in ROW.findall(html)}


def expected_tiers(year: int = 2025) -> dict[int, str]:
    return dict(BeltYearStat.objects.filter(year=year).values_list("belt_id", "tier"))


def test_the_console_map_and_its_table_are_the_belts_of_the_database(client, world):
    client.force_login(world.other_staff)
    response = client.get(reverse("admin:atlas"))
    assert response.status_code == 200
    html = response.content.decode()
    assert markers(html) == expected_tiers() == rows(html)
    assert len(expected_tiers()) == 5
    # Each marker links to its belt's page; the table's rows too.
    luggage = reverse("admin:atlas-belt", args=["baigou-luggage"])
    assert html.count(f'href="{luggage}"') == 2
    assert 'id="atlas-summary"' in html
    with translation.override("en"):
        assert "1 ten-billion belt, 2 growth belts, 2 standard belts" in html


def test_the_category_filter_keeps_its_belts(client, world):
    client.force_login(world.staff)
    html = client.get(reverse("admin:atlas"), {"category": "luggage"}).content.decode()
    assert markers(html) == {world.luggage.pk: BeltTier.GROWTH} == rows(html)


def test_the_tier_and_year_filters(client, world):
    client.force_login(world.staff)
    html = client.get(reverse("admin:atlas"), {"tier": "growth"}).content.decode()
    assert set(markers(html)) == {world.luggage.pk, world.belts["lamps"].pk}
    html = client.get(reverse("admin:atlas"), {"year": "2024"}).content.decode()
    # 2024 has the luggage belt's figures only; every other belt is shown as standard.
    assert markers(html)[world.luggage.pk] == BeltTier.GROWTH
    assert set(markers(html).values()) == {BeltTier.GROWTH, BeltTier.STANDARD}


@pytest.mark.parametrize("params", [{"category": "no-such"}, {"year": "1999"}, {"tier": "gold"}])
def test_a_bad_filter_shows_its_error_and_every_belt(client, world, params):
    client.force_login(world.staff)
    response = client.get(reverse("admin:atlas"), params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "atlas-filters__error" in html
    assert markers(html) == expected_tiers()


def test_the_console_atlas_is_in_the_menu_and_on_the_home_page(client, world):
    # Any staff member has the menu entry, with or without a permission on belts.
    client.force_login(world.staff)
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse("admin:atlas")}"' in html
    # The home page's belt tiers link the atlas and each belt's page.
    client.force_login(world.superuser)
    html = client.get(reverse("admin:index")).content.decode()
    assert 'id="dashboard-atlas-link"' in html
    assert f'href="{reverse("admin:atlas-belt", args=["baigou-luggage"])}"' in html
    # And a small map of every belt, each marker a link to its page.
    home_map = html.split('id="dashboard-atlas-map"')[1].split("</svg>")[0]
    assert markers('<svg id="x"' + home_map) == expected_tiers()
    assert f'<a href="{reverse("admin:atlas-belt", args=["baigou-luggage"])}">' in home_map


def test_the_console_atlas_is_staff_only(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("admin:atlas"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_the_portal_map_highlights_the_merchants_belt(client, world):
    client.force_login(world.owner)
    response = client.get(reverse("portal:atlas"))
    assert response.status_code == 200
    html = response.content.decode()
    assert markers(html) == expected_tiers() == rows(html)
    highlighted = re.findall(r'atlas-marker--highlighted"[^>]*data-belt="(\d+)"', html)
    assert highlighted == [str(world.luggage.pk)]
    assert f'<tr data-belt="{world.luggage.pk}" data-tier="growth" class="atlas-row--own">' in html
    assert 'id="atlas-own-title"' in html


def test_the_portal_needs_a_login(client, world):
    response = client.get(reverse("portal:atlas"))
    assert response.status_code == 302
    assert reverse("portal:login") in response["Location"]


def test_the_map_pages_cost_the_same_for_few_and_many_belts(client, world):
    client.force_login(world.staff)
    client.get(reverse("admin:atlas"))  # warm the caches a first page fills
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:atlas"))
    for _ in range(12):
        BeltYearStatFactory(year=2025)
    with assert_num_queries(len(few.captured_queries), "12 more belts"):
        html = client.get(reverse("admin:atlas")).content.decode()
    assert len(markers(html)) == 17


# A belt's page ---------------------------------------------------------------------------------
def belt_page(client, user, *, portal: bool = False, slug: str = "baigou-luggage") -> str:
    client.force_login(user)
    name = "portal:atlas-belt" if portal else "admin:atlas-belt"
    with translation.override("en"):
        response = client.get(reverse(name, args=[slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_belt_page_says_why_it_is_a_growth_belt(client, world):
    html = belt_page(client, world.staff)
    why = re.search(r'<p class="belt-why" id="belt-why">(.*?)</p>', html, re.S).group(1)
    assert "26.7%" in why
    assert "growth belts" in why
    assert 'id="belt-years"' in html
    assert 'id="belt-tier-history"' in html
    assert "North China center" in html
    for year in (2023, 2024, 2025):
        assert f'<tr data-year="{year}">' in html
    assert 'id="belt-chart-data"' in html


def test_the_staff_serving_the_belt_see_its_merchants(client, world):
    html = belt_page(client, world.staff)
    for section in ("belt-composition", "belt-programs", "belt-damage", "belt-providers"):
        assert f'id="{section}"' in html, section
    assert "1 of 3 shipments arrived damaged (33.3%)" in html
    assert "Own Factory" in html
    assert "Peer Factory" in html
    change = reverse("admin:merchants_merchant_change", args=[world.merchants["peer"].pk])
    assert f'href="{change}"' in html
    assert 'id="factory-map"' in html
    assert "?belt__id__exact=" in html


def test_a_member_sees_the_page_trimmed(client, world):
    html = belt_page(client, world.owner, portal=True)
    assert 'id="belt-composition"' in html
    assert 'id="belt-programs"' in html
    assert "Own Factory" in html
    assert "Peer Factory" not in html
    assert "Far Factory" not in html
    assert "A source factory of the belt" in html
    assert "/console/" not in html.split('id="belt-factories"')[1].split("</ul>")[0]


@pytest.mark.parametrize("reader", ["other_staff", "other_owner"])
def test_others_see_the_reference_figures_only(client, world, reader):
    html = belt_page(client, getattr(world, reader), portal=reader == "other_owner")
    assert 'id="belt-why"' in html
    assert 'id="belt-years"' in html
    for section in ("belt-composition", "belt-programs", "belt-damage", "belt-factories"):
        assert f'id="{section}"' not in html, section
    assert "Own Factory" not in html
    assert "Peer Factory" not in html


@pytest.mark.parametrize("name", ["admin:atlas-belt", "portal:atlas-belt"])
def test_an_unknown_belt_is_a_404(client, world, name):
    client.force_login(world.superuser if name.startswith("admin") else world.owner)
    assert client.get(reverse(name, args=["no-such-belt"])).status_code == 404
