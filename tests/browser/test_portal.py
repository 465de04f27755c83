"""The merchant portal in Chromium: logging in and out, the metrics, eligibility and inbox pages
reached through the navigation, the language switcher, a wrong password.

The ``page`` fixture fails any of these tests whose pages log a CSP violation or a script error,
load a static asset that does not answer 200, or send a request off this machine.
"""

import re

from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from core.money import format_cny
from merchants.api_keys import api_key_authenticate
from merchants.selectors import (
    complete_months_window,
    inbox_unread_count,
    monthly_metric_list,
)
from programs.choices import RuleSetStatus
from programs.criteria import explain
from programs.eligibility import eligibility_reasons
from programs.models import RuleSet
from programs.selectors import program_standing_list
from tests.browser.conftest import MERCHANT_LOGIN, log_in

PORTAL_LOGIN = reverse("portal:login")
HOME = reverse("portal:home")
METRICS = reverse("merchants:metrics")
ELIGIBILITY = reverse("programs:eligibility")
INBOX = reverse("merchants:inbox")


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def portal_nav(page):
    return page.locator("nav.site-nav")  # by class: its accessible name follows the language


def unread_in_nav(page) -> int:
    """The number on the inbox link's badge; no badge means none unread."""
    badge = portal_nav(page).locator(".badge")
    if not badge.count():
        return 0
    return int(re.match(r"\d+", badge.text_content()).group())


def zh_hans(text: str) -> str | None:
    """The catalogue's Simplified Chinese for ``text``, or None while it is untranslated."""
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    return translated if translated != text else None


def test_owner_logs_in_and_sees_the_merchants_figures(page, page_log, demo):
    log_in(page, *MERCHANT_LOGIN)

    assert path_of(page) == HOME
    assert page.locator("html").get_attribute("lang") == "en"
    portal_nav(page).get_by_role("link", name="Metrics").click()
    page.wait_for_url(f"**{METRICS}")
    assert page.get_by_role("heading", level=1).text_content() == demo.merchant.shop_name
    first, last = complete_months_window(months=12)
    metrics = list(monthly_metric_list(merchant_id=demo.merchant.pk, months=12))
    assert len(metrics) == 12, "seed_demo writes 24 months of figures"
    with translation.override("en"):
        expected = [
            [
                date_format(metric.month, "YEAR_MONTH_FORMAT"),
                format_cny(metric.gmv),
                f"{metric.orders:,}",
                format_cny(metric.live_gmv),
            ]
            for metric in metrics
        ]
    rows = page.locator("table.data-table tbody tr")
    shown = [row.locator("th, td").all_text_contents()[:4] for row in rows.all()]
    assert shown == expected
    assert date_format(last, "YEAR_MONTH_FORMAT") in shown[0][0]
    assert date_format(first, "YEAR_MONTH_FORMAT") in shown[-1][0]
    # The asset check of the page fixture did run: the portal's stylesheet answered 200.
    assert any(url.endswith("/static/css/portal.css") for url in page_log.static_ok)


def test_eligibility_page_shows_each_programs_criteria_and_what_it_would_take(
    page, demo, screenshot
):
    with translation.override("en"):
        expected = {
            program.name: [
                (reason.passed, explain(reason))
                for reason in eligibility_reasons(program.merchant_eligibilities[0])
            ]
            for program in program_standing_list(merchant_id=demo.merchant.pk)
        }
    log_in(page, *MERCHANT_LOGIN)

    portal_nav(page).get_by_role("link", name="Eligibility").click()

    page.wait_for_url(f"**{ELIGIBILITY}")
    nav_link = portal_nav(page).get_by_role("link", name="Eligibility")
    assert nav_link.get_attribute("aria-current") == "page"
    heading = page.get_by_role("heading", level=1)
    assert heading.text_content() == f"Eligibility of {demo.merchant.shop_name}"
    standings = page.locator(".program-standing")
    assert standings.count() == len(expected) == 5
    for standing in standings.all():
        name = standing.get_by_role("heading", level=2).text_content()
        lines = expected[name]
        assert lines, f"{name} was assessed with its criteria"
        status = standing.locator(".program-standing__head .status").text_content()
        assert status == ("Eligible" if all(passed for passed, _ in lines) else "Not eligible")
        criteria = standing.locator(".criterion")
        shown = [
            (
                criterion.locator(".criterion__mark").text_content(),
                criterion.locator(".criterion__message").text_content(),
            )
            for criterion in criteria.all()
        ]
        assert shown == [("✓" if passed else "✗", message) for passed, message in lines]
    # What it would take, in the criterion's unit: the sessions missing to Source Power's minimum.
    required = next(
        criterion["params"]["min"]
        for criterion in RuleSet.objects.get(
            program__code="source_power", status=RuleSetStatus.PUBLISHED
        ).criteria
        if criterion["type"] == "live_sessions_at_least"
    )
    source_power = standings.filter(has=page.get_by_role("heading", name="Source Power"))
    shortfall = source_power.locator(".criterion--fail", has_text="live sessions")
    assert shortfall.locator(".criterion__mark").text_content() == "✗"
    assert (
        shortfall.locator(".criterion__message")
        .text_content()
        .endswith(f"{required - demo.live_sessions_90d} more sessions.")
    )
    assert screenshot(page, "eligibility").stat().st_size > 0


def test_inbox_marks_a_message_read_and_the_badge_goes_down(page, demo, screenshot):
    log_in(page, *MERCHANT_LOGIN)
    unread = inbox_unread_count(user=demo.user)
    assert unread >= 2
    assert unread_in_nav(page) == unread

    portal_nav(page).get_by_role("link", name=re.compile(r"^Inbox")).click()

    page.wait_for_url(f"**{INBOX}")
    message = page.locator(".inbox__item", has_text=demo.notification.subject)
    assert "inbox__item--unread" in message.get_attribute("class")
    assert screenshot(page, "inbox").stat().st_size > 0
    with page.expect_navigation():
        message.get_by_role("button", name="Mark as read").click()

    assert path_of(page) == INBOX
    assert "inbox__item--unread" not in message.get_attribute("class")
    assert not message.get_by_role("button", name="Mark as read").count()
    assert unread_in_nav(page) == unread - 1
    demo.notification.refresh_from_db()
    assert demo.notification.read_at is not None


def test_switching_to_simplified_chinese_persists_across_pages(page, demo):
    log_in(page, *MERCHANT_LOGIN)
    assert page.locator("html").get_attribute("lang") == "en"

    with page.expect_navigation():
        page.get_by_role("button", name="简体中文").click()

    assert path_of(page) == HOME  # back where the switch was made
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("button", name="简体中文").get_attribute("aria-pressed") == "true"
    assert page.get_by_role("button", name="English").get_attribute("aria-pressed") == "false"
    # The link's words change with the language; its address does not.
    portal_nav(page).locator(f'a[href="{ELIGIBILITY}"]').click()
    page.wait_for_url(f"**{ELIGIBILITY}")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    for english in ("Eligibility", "Log out"):
        # Only what the compiled catalogue translates; the rest may still be in English.
        if chinese := zh_hans(english):
            assert page.get_by_text(chinese, exact=True).first.is_visible(), english


def test_logging_out_returns_to_the_login_page_and_locks_the_portal(page, demo):
    log_in(page, *MERCHANT_LOGIN)

    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()

    assert path_of(page) == PORTAL_LOGIN
    assert not portal_nav(page).count()
    page.goto(METRICS)
    assert path_of(page) == f"{PORTAL_LOGIN}?next={METRICS}"
    assert page.locator("input[name=password]").is_visible()


def test_a_wrong_password_is_refused_on_the_login_page(page, demo):
    log_in(page, MERCHANT_LOGIN[0], "not-the-password")

    assert path_of(page) == PORTAL_LOGIN
    error = page.locator(".errorlist")
    assert error.is_visible()
    assert "correct username and password" in error.text_content()
    assert not portal_nav(page).count()
    assert page.locator("input[name=username]").input_value() == MERCHANT_LOGIN[0]
    assert page.locator("input[name=password]").input_value() == ""


def test_a_csp_violation_would_be_caught(page, page_log, demo):
    """The CSP is enforced and the page fixture sees a violation; Chromium 156 words it
    "Applying inline style violates the following Content Security Policy directive ...",
    without the older "Refused to"."""
    page.goto(PORTAL_LOGIN)

    page.evaluate(
        """() => {
            const style = document.createElement("style");
            style.textContent = "body { color: red }";
            document.head.append(style);
        }"""
    )

    page.wait_for_function("() => true")  # a round trip: the console message has arrived
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(255, 0, 0)"
    assert len(page_log.csp_violations) == 1
    assert "style-src" in page_log.csp_violations[0]
    page_log.console_errors.clear()  # expected here; the fixture fails on any other


def test_an_owner_makes_a_key_on_a_phone_and_it_opens_the_api(page, demo, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, *MERCHANT_LOGIN)
    portal_nav(page).get_by_role("link", name="API keys").click()
    page.fill("input[name=name]", "ERP sync")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the key").click()

    raw_key = page.get_by_test_id("new-key").text_content().strip()
    assert screenshot(page, "api-keys").stat().st_size > 0
    # Nothing wider than the phone: the table scrolls inside its box, the key wraps.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    api_key = api_key_authenticate(raw_key)
    assert api_key is not None
    assert api_key.merchant == demo.merchant
    page.goto(reverse("merchants:api-keys"))
    assert api_key.prefix in page.content()
    assert raw_key not in page.content()  # shown once
