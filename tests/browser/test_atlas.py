"""The belt atlas in Chromium, as a newcomer uses it: a staff member who has never heard of Baigou
opens the atlas from the console's home, finds the luggage belt by its category, sees that it is
a growth belt and opens its page to see why; a merchant finds its own belt highlighted in the
portal. The map is drawn by the server (SVG): its markers are compared with the database, and the
table beside it must hold the same belts and tiers.

The ``page`` fixture fails a test whose pages log a console error or CSP violation, load a static
asset that does not answer 200, or send a request off this machine (no tile server, no CDN).
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from belts.choices import BeltTier
from belts.models import BeltYearStat, IndustrialBelt
from tests.browser.conftest import MERCHANT_LOGIN, STAFF_LOGIN, log_in

ATLAS = reverse("admin:atlas")
BAIGOU = "baoding-baigou-luggage"


@pytest.fixture
def atlas_world(demo):
    """The small demo with figures that make Baigou the growth belt it is in the source: the 20
    merchants alone sell too little for any belt to reach a tier."""
    year = BeltYearStat.objects.order_by("-year").values_list("year", flat=True).first()
    BeltYearStat.objects.filter(belt__slug=BAIGOU, year=year).update(
        gmv=Decimal("2122398654.41"), yoy_growth=Decimal("0.2673"), tier=BeltTier.GROWTH
    )
    return year


def latest_tiers() -> dict[str, str]:
    """Each belt's tier in the newest year, by belt id (as the map's data attributes read)."""
    year = BeltYearStat.objects.order_by("-year").values_list("year", flat=True).first()
    tiers = {
        str(pk): BeltTier.STANDARD.value
        for pk in IndustrialBelt.objects.values_list("pk", flat=True)
    }
    tiers.update(
        (str(belt_id), tier)
        for belt_id, tier in BeltYearStat.objects.filter(year=year).values_list("belt_id", "tier")
    )
    return tiers


def marker_tiers(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#atlas-map [data-belt]')]
            .map((node) => [node.dataset.belt, node.dataset.tier]))"""
    )


def row_tiers(page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries(
            [...document.querySelectorAll('#atlas-table tbody tr[data-belt]')]
            .map((row) => [row.dataset.belt, row.dataset.tier]))"""
    )


def overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_newcomer_finds_the_luggage_belt_and_sees_why_it_is_a_growth_belt(
    page, atlas_world, screenshot
):
    log_in(page, *STAFF_LOGIN, path=reverse("admin:login"))
    with page.expect_navigation():
        page.locator("#dashboard-atlas-link").click()
    assert page.url.endswith(ATLAS)

    # Every belt is a marker of its tier, and the table beside the map holds the same belts.
    expected = latest_tiers()
    assert len(expected) == IndustrialBelt.objects.count() > 20
    assert marker_tiers(page) == expected
    assert row_tiers(page) == expected
    assert page.locator("#atlas-map circle.atlas-marker").count() == len(expected)
    screenshot(page, "atlas-console")

    # Find the luggage belt by its category.
    belt = IndustrialBelt.objects.select_related("category").get(slug=BAIGOU)
    page.select_option("#atlas-filters select[name=category]", label=str(belt.category))
    with page.expect_navigation():
        page.locator("#atlas-filters button[type=submit]").click()
    assert marker_tiers(page) == {str(belt.pk): BeltTier.GROWTH}
    assert row_tiers(page) == {str(belt.pk): BeltTier.GROWTH}
    row = page.locator(f'#atlas-table tr[data-belt="{belt.pk}"]')
    assert "Baoding-Baigou luggage" in row.text_content()
    assert "Growth belt" in row.text_content()

    # Its marker opens its page, which says why it is a growth belt.
    with page.expect_navigation():
        page.locator(f'#atlas-map a:has([data-belt="{belt.pk}"])').click()
    assert page.url.endswith(reverse("admin:atlas-belt", args=[BAIGOU]))
    why = page.locator("#belt-why").text_content()
    assert "growth belt" in why.lower()
    assert "26.7%" in why
    page.wait_for_function(
        "() => window.Chart"
        " && window.Chart.getChart(document.querySelector('canvas[data-belt-chart]'))"
    )
    assert (
        page.locator("#belt-years tbody tr").count()
        == BeltYearStat.objects.filter(belt=belt).count()
    )
    screenshot(page, "atlas-belt-console")


@pytest.mark.parametrize("width", [375, 1280])
def test_the_atlas_holds_on_a_phone_and_a_desktop(page, atlas_world, screenshot, width):
    log_in(page, *STAFF_LOGIN, path=reverse("admin:login"))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(ATLAS)

    box = page.locator("#atlas-map").bounding_box()
    assert 0 < box["width"] <= width
    assert overflow(page) == 0
    # Small enough to read, large enough to tap: the map keeps its shape.
    assert box["height"] > box["width"] * 0.5
    screenshot(page, f"atlas-{width}")


def test_the_merchant_finds_its_belt_highlighted_in_the_portal(page, demo, screenshot):
    log_in(page, *MERCHANT_LOGIN)
    page.set_viewport_size({"width": 375, "height": 900})
    with page.expect_navigation():
        page.get_by_role("link", name="Belt atlas").first.click()

    own = str(demo.merchant.belt_id)
    assert page.locator("tr.atlas-row--own").get_attribute("data-belt") == own
    assert page.locator(f'#atlas-map .atlas-marker--highlighted[data-belt="{own}"]').count() == 1
    assert marker_tiers(page) == row_tiers(page) == latest_tiers()
    assert overflow(page) == 0
    screenshot(page, "atlas-portal")

    with page.expect_navigation():
        page.locator("#atlas-own-title ~ p a").click()
    assert page.get_by_role("heading", level=1).text_content() == str(demo.merchant.belt)
    # Its own factory's peers are unnamed; the page is the trimmed one, with its merchants' mix.
    assert page.locator("#belt-composition").count() == 1
    assert overflow(page) == 0
