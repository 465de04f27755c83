"""The merchant's home in Chromium, on a phone (375 px) and a desktop (1280 px), in English and
Simplified Chinese: the chart draws, nothing scrolls sideways, and the metrics and eligibility
pages hold on a phone too.

The ``page`` fixture fails a test whose pages log a console error or CSP violation, load a static
asset that does not answer 200, or send a request off this machine.
"""

import pytest
from django.urls import reverse

from tests.browser.conftest import MERCHANT_LOGIN, log_in

HOME = reverse("portal:home")
METRICS = reverse("merchants:metrics")
ELIGIBILITY = reverse("programs:eligibility")
WIDTHS = (375, 1280)
LANGUAGE_BUTTONS = {"en": "English", "zh-hans": "简体中文"}


def overflow(page) -> int:
    """How far the page is wider than the window: 0 when nothing scrolls sideways."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def chart_drawn(page, selector: str) -> bool:
    """Chart.js has drawn on the canvas (it registers every chart it makes)."""
    return page.evaluate(
        "(selector) => !!(window.Chart && window.Chart.getChart(document.querySelector(selector)))",
        selector,
    )


def switch_to(page, language: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=LANGUAGE_BUTTONS[language]).click()
    assert page.locator("html").get_attribute("lang") == language


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_home_on_a_phone_and_a_desktop(page, page_log, demo, screenshot, language):
    log_in(page, *MERCHANT_LOGIN)
    if language != "en":
        switch_to(page, language)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(HOME)
        assert page.get_by_role("heading", level=1).text_content() == demo.merchant.shop_name
        canvas = page.locator('canvas[data-portal-chart="home-gmv-chart"]')
        assert canvas.count() == 1
        page.wait_for_function(
            "() => window.Chart && window.Chart.getChart("
            "document.querySelector('canvas[data-portal-chart]'))"
        )
        assert canvas.bounding_box()["width"] <= width
        assert page.locator(".standing-summary").text_content().strip()
        assert page.locator(".standing").count() == 5
        assert overflow(page) <= 0, f"{width} px: the page scrolls sideways"
        assert screenshot(page, f"home-{language}-{width}").stat().st_size > 0

    for asset in ("/static/vendor/chartjs/chart.umd.min.js", "/static/js/portal-charts.js"):
        assert any(url.endswith(asset) for url in page_log.static_ok), asset
    assert any(url.endswith("/static/css/portal-home.css") for url in page_log.static_ok)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_metrics_and_eligibility_on_a_phone(page, demo, screenshot, language):
    log_in(page, *MERCHANT_LOGIN)
    if language != "en":
        switch_to(page, language)
    page.set_viewport_size({"width": 375, "height": 800})

    page.goto(METRICS)
    assert chart_drawn(page, 'canvas[data-portal-chart="metrics-gmv-chart"]') or (
        page.wait_for_function(
            "() => window.Chart && window.Chart.getChart("
            "document.querySelector('canvas[data-portal-chart]'))"
        )
    )
    # Every column is there; the table scrolls inside its wrapper, not the page.
    assert page.locator("table.data-table thead th").count() == 7
    assert overflow(page) <= 0
    wrapper = page.locator(".table-scroll")
    assert wrapper.evaluate("(element) => element.clientWidth") <= 375
    last_header = page.locator("table.data-table thead th").last
    last_header.scroll_into_view_if_needed()
    assert last_header.is_visible()
    assert overflow(page) <= 0
    assert screenshot(page, f"metrics-{language}-375").stat().st_size > 0

    page.goto(ELIGIBILITY)
    assert page.locator(".program-standing").count() == 5
    assert overflow(page) <= 0
