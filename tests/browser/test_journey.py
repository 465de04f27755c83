"""One application from start to end, in Chromium, as the two people involved live it: the
merchant applies in the portal, a reviewer of the center serving its belt takes it into review
and approves it in the console, and the merchant finds the approval in the portal's inbox,
linked to the application. And the lockout after repeated failed logins, on both logins."""

import re

import pytest
from django.urls import reverse

from merchants.choices import NotificationChannel, NotificationKind
from merchants.models import Notification
from programs.choices import EnrollmentState
from programs.models import Enrollment
from tests.belts.factories import StaffUserFactory, UserFactory
from tests.browser.conftest import MERCHANT_LOGIN, log_in
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
)

REVIEWER_LOGIN = ("reviewer", "review-belt-ops")  # config/demo/data.py
INBOX = reverse("merchants:inbox")


def path_of(page) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


@pytest.fixture
def cohort(demo):
    """A program the demo merchant is eligible for, with a cohort taking applications: the
    journey does not depend on which of the demo's programs are open today."""
    rule_set = PublishedRuleSetFactory(
        program=ProgramFactory(code="journey", name="Journey Power"), version=1
    )
    EligibilityFactory(merchant=demo.merchant, rule_set=rule_set, is_eligible=True)
    return CohortFactory(program=rule_set.program, name="Journey spring cohort", seats=5)


def test_apply_review_approve_and_the_merchant_is_told(page, demo, cohort, screenshot):
    # The merchant applies.
    log_in(page, *MERCHANT_LOGIN)
    page.goto(f"{reverse('programs:eligibility')}?merchant={demo.merchant.pk}")
    apply_form = page.locator(f'form[action^="{reverse("programs:apply", args=[cohort.pk])}"]')
    with page.expect_navigation():
        apply_form.get_by_role("button").click()
    assert page.locator(".message--success").text_content().strip() == (
        "Application submitted to Journey spring cohort"
    )
    enrollment = Enrollment.objects.get(merchant=demo.merchant, cohort=cohort)
    assert enrollment.state == EnrollmentState.SUBMITTED
    told = Notification.objects.filter(
        merchant=demo.merchant,
        kind=NotificationKind.ENROLLMENT_CHANGED,
        channel=NotificationChannel.IN_APP,
        payload__enrollment=enrollment.pk,
    )
    assert [n.payload["to"] for n in told] == [EnrollmentState.SUBMITTED]  # no "please submit"

    # The reviewer takes it into review and approves it, in the console.
    page.context.clear_cookies()
    log_in(page, *REVIEWER_LOGIN, path=reverse("admin:login"))
    item_url = reverse("admin:programs_reviewqueueitem_change", args=[enrollment.pk])
    page.goto(item_url)
    assert page.get_by_text(demo.merchant.shop_name).first.is_visible()
    with page.expect_navigation():
        page.locator("#review-step-start_review").click()
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.IN_REVIEW
    with page.expect_navigation():
        page.locator("#review-step-approve").click()
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.APPROVED
    assert screenshot(page, "console-approved").stat().st_size > 0

    # The merchant sees the approval in the inbox and follows it to the application.
    page.context.clear_cookies()
    log_in(page, *MERCHANT_LOGIN)
    page.locator("nav.site-nav").locator(f'a[href="{INBOX}"]').click()
    page.wait_for_url(f"**{INBOX}")
    approval = page.locator(".inbox__item", has_text="Application approved: Journey spring cohort")
    assert "inbox__item--unread" in approval.get_attribute("class")
    assert "a seat is yours" in approval.locator(".inbox__body").text_content()
    with page.expect_navigation():
        approval.get_by_role("link", name=re.compile(r"^Open the application")).click()
    assert path_of(page) == (
        f"{reverse('programs:applications')}?merchant={demo.merchant.pk}"
        f"#application-{enrollment.pk}"
    )
    card = page.locator(f'section[aria-labelledby="application-{enrollment.pk}"]')
    assert card.locator(".status").text_content() == "Approved"
    assert screenshot(page, "applications-approved").stat().st_size > 0

    # Withdrawing now would give the seat up: the page asks, in so many words, first.
    with page.expect_navigation():
        card.get_by_role("link", name=re.compile(r"^Withdraw")).click()
    assert "Your shop holds a seat in Journey spring cohort." in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="Keep it").click()
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.APPROVED


# Lockout -----------------------------------------------------------------------------------------
def fail_and_watch(page, username: str, path: str, times: int) -> list[int]:
    """Submit a wrong password ``times`` times at ``path``; the status of each answer."""
    statuses = []
    for _ in range(times):
        page.goto(path)
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "not-the-password")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="Log in", exact=True).click()
        statuses.append(answer.value.status)
        page.wait_for_load_state()
    return statuses


def expect_only_the_lockouts_logged(page_log, path: str) -> None:
    """Chromium logs every 429 it is answered as a console error: expected for the lockout
    page, so those (and only those) are taken off what the fixture fails the test for."""
    lockouts = [m for m in page_log.console_errors if "429" in m and path in m]
    assert lockouts
    page_log.console_errors[:] = [m for m in page_log.console_errors if m not in lockouts]


def test_the_portal_login_locks_after_five_failures(page, page_log, transactional_db):
    UserFactory(username="shopkeeper")

    assert fail_and_watch(page, "shopkeeper", reverse("portal:login"), 5) == [200] * 4 + [429]

    assert page.get_by_role("heading", level=1).text_content() == "Logging in is paused"
    assert page.locator("header.site-header").is_visible()  # the portal's look
    assert "Try again in 15 minutes." in page.content()
    # The right password does not get through during the lock.
    log_in(page, "shopkeeper", "pass-word-123")
    assert page.get_by_role("heading", level=1).text_content() == "Logging in is paused"
    expect_only_the_lockouts_logged(page_log, reverse("portal:login"))


def test_the_console_login_locks_after_five_failures(page, page_log, transactional_db):
    StaffUserFactory(username="coordinator")
    login = reverse("admin:login")

    assert fail_and_watch(page, "coordinator", login, 5) == [200] * 4 + [429]

    assert page.get_by_role("heading", level=1).text_content() == "Logging in is paused"
    assert page.locator("#site-name").is_visible()  # the console's look
    log_in(page, "coordinator", "pass-word-123", path=login)
    assert page.get_by_role("heading", level=1).text_content() == "Logging in is paused"
    expect_only_the_lockouts_logged(page_log, login)
