"""The portal's Shipments pages in Chromium: a merchant of the Foshan furniture belt signs in,
opens Shipments, opens the cabinet broken on the line haul and reads which leg broke it and what
was done about it, on a phone (375 px, nothing wider than the screen) and on a desktop.

The ``page`` fixture fails these tests if a page logs a script or CSP error, loads a static asset
that does not answer 200, or sends a request off this machine. Hand-over photos live in the
test's in-memory storage and come from the portal's photo address, which checks the reader's
scope: the live server answers them as production does.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.attribution import attribution_text
from logistics.choices import Condition, CostBearer, IncidentKind, Resolution
from logistics.services.handovers import handover_record
from logistics.services.incidents import incident_report, incident_resolve
from tests.browser.conftest import log_in
from tests.logistics.world import chain_world, image_bytes, upload

PASSWORD = "pass-word-123"  # tests.belts.factories.UserFactory's
SHIPMENTS = reverse("logistics:shipments")
PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def broken_cabinet(transactional_db):
    """A Foshan furniture merchant's cabinet: intact at the pickup and at the line haul's start,
    damaged when the line haul handed it to the last mile (a photo of it); reported by the
    merchant, resolved by the serving staff (a new one sent, the carrier pays)."""
    chain = chain_world()
    belt = chain.served.belt
    belt.name, belt.name_zh = "Foshan furniture", "佛山家具"
    belt.save()
    shipment = chain.shipment
    for index in (0, 1):
        handover_record(
            actor=chain.reviewer, shipment=shipment, index=index, condition=Condition.INTACT
        )
    handover_record(
        actor=chain.reviewer,
        shipment=shipment,
        index=2,
        condition=Condition.DAMAGED,
        note="Door panel cracked",
        photos=[upload(image_bytes(size=(320, 240)), "crack.jpg")],
    )
    incident = incident_report(
        actor=chain.owner, shipment=shipment, kind=IncidentKind.DAMAGE, description="Cracked door"
    )
    incident_resolve(
        actor=chain.reviewer,
        incident=incident,
        resolution=Resolution.RESEND_NEW,
        cost=Decimal("3200.00"),
        bearer=CostBearer.PROVIDER,
    )
    incident.refresh_from_db()
    photo = shipment.checks.get(index=2).photos.get()
    with photo.image.open("rb") as stored:
        chain.extra["photo"] = (photo.get_absolute_url(), stored.read())
    chain.extra["incident"] = incident
    return chain


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_merchant_sees_which_leg_broke_the_cabinet_and_what_was_done(
    page, page_log, broken_cabinet, screenshot, viewport
):
    chain = broken_cabinet
    incident = chain.extra["incident"]
    page.set_viewport_size(viewport)
    log_in(page, chain.owner.username, PASSWORD)

    page.locator("nav.site-nav").get_by_role("link", name="Shipments").click()
    page.wait_for_url(f"**{SHIPMENTS}")
    assert no_horizontal_scroll(page)
    row = page.locator(".shipments-table tbody tr", has_text=chain.shipment.order_reference)
    assert "Incident resolved" in row.text_content()
    assert "Leg 3 of 4" in row.text_content()
    screenshot(page, f"shipments-{viewport['width']}")
    row.get_by_role("link", name=chain.shipment.order_reference).click()

    page.wait_for_url(f"**{reverse('logistics:shipment', args=[chain.shipment.pk])}")
    # The chain, top to bottom: five hand-overs and four legs; the third hand-over is damaged.
    steps = page.locator(".timeline > li")
    assert steps.count() == 9
    damaged = page.locator(".timeline__step--handover").nth(2)
    assert "timeline__step--bad" in damaged.get_attribute("class")
    assert "Damaged" in damaged.text_content()
    assert "Door panel cracked" in damaged.text_content()
    # Its photo loaded, as a thumbnail no wider than the screen.
    thumbnail = damaged.locator("img")
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    box = thumbnail.bounding_box()
    assert 0 < box["width"] <= 120
    # The incident: the leg that broke it, why, what was done and who paid.
    card = page.locator("article.incident")
    assert card.locator(".incident__responsible").text_content() == "Line haul by Carrier X"
    with translation.override("en"):
        reasoning = attribution_text(incident.attribution)
    assert card.locator(".incident__reasoning").text_content() == reasoning
    assert card.locator(".incident__resolution").text_content() == "Resend a new item, no return"
    assert "CNY 3,200.00" in card.text_content()
    assert card.locator(".incident__bearer").text_content() == (
        "The attributed provider (Carrier X)"
    )
    assert no_horizontal_scroll(page)
    if viewport is PHONE:
        # One step under the other: the timeline's steps share one left edge.
        lefts = {round(step.bounding_box()["x"]) for step in steps.all()}
        assert len(lefts) == 1
    assert screenshot(page, f"shipment-{viewport['width']}").stat().st_size > 0
    assert any(url.endswith("/static/css/portal.css") for url in page_log.static_ok)
    assert not page_log.external_requests


def test_the_shipment_reads_in_chinese_on_a_phone(page, broken_cabinet):
    chain = broken_cabinet
    page.set_viewport_size(PHONE)
    log_in(page, chain.owner.username, PASSWORD)
    page.goto(reverse("logistics:shipment", args=[chain.shipment.pk]))

    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()

    assert page.locator("html").get_attribute("lang") == "zh-hans"
    with translation.override("zh-hans"):
        reasoning = attribution_text(chain.extra["incident"].attribution)
    assert page.locator(".incident__reasoning").text_content() == reasoning
    assert re.search(r"[\u4e00-\u9fff]", page.locator(".incident__responsible").text_content())
    assert no_horizontal_scroll(page)
