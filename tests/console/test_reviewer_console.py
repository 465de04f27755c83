"""The console for reviewers: starting review in bulk, one reason box with Reject drawn as the
destructive step, a decided application keeping its page, and the facts of the queue in the
reader's units."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programs.choices import EnrollmentState
from programs.models import Enrollment, EnrollmentEvent, ReviewQueueItem
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
)
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import CohortFactory, EligibilityFactory, EnrollmentFactory
from tests.utils.queries import assert_num_queries

from .base import admin_url
from .test_scoping import reviewers_group

pytestmark = pytest.mark.django_db

QUEUE = ReviewQueueItem


def _reviewer(belt, username: str):
    user = StaffUserFactory(username=username)
    user.groups.add(reviewers_group())
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=user)
    client = Client()
    client.force_login(user)
    return user, client


def _submitted(belt, cohort, *, days_ago=1, state=EnrollmentState.SUBMITTED):
    return EnrollmentFactory(
        merchant=MerchantFactory(belt=belt),
        cohort=cohort,
        state=state,
        submitted_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _decide(client, item, step, reason=""):
    return client.post(
        reverse("admin:programs_reviewqueueitem_decide", args=[item.pk, step]), {"reason": reason}
    )


@pytest.fixture
def center():
    belt = IndustrialBeltFactory()
    user, client = _reviewer(belt, "reviewer-a")
    return belt, user, client


# Bulk start review ------------------------------------------------------------------------------
def test_bulk_start_review_then_bulk_approve_works_on_them(center):
    belt, user, client = center
    cohort = CohortFactory(seats=5)
    items = [_submitted(belt, cohort, days_ago=5 - n) for n in range(3)]
    already = _submitted(belt, cohort, days_ago=9, state=EnrollmentState.IN_REVIEW)
    selected = [item.pk for item in [*items, already]]

    changelist = client.get(admin_url(QUEUE, "changelist"))
    actions = [
        value for value, _label in changelist.context["action_form"].fields["action"].choices
    ]
    # Start review comes first, right before approve.
    assert actions[1:3] == ["start_review_selected", "approve_selected"]

    response = client.post(
        admin_url(QUEUE, "changelist"),
        {"action": "start_review_selected", helpers.ACTION_CHECKBOX_NAME: selected},
    )
    assert response.status_code == 302
    assert _messages(response) == ["3 applications taken into review; 1 already in review."]
    for item in items:
        item.refresh_from_db()
        assert item.state == EnrollmentState.IN_REVIEW
        event = EnrollmentEvent.objects.filter(enrollment=item).latest("pk")
        assert (event.from_state, event.to_state, event.actor) == (
            EnrollmentState.SUBMITTED,
            EnrollmentState.IN_REVIEW,
            user,
        )

    approved = client.post(
        admin_url(QUEUE, "changelist"),
        {"action": "approve_selected", helpers.ACTION_CHECKBOX_NAME: selected},
    )
    assert "4 applications approved." in _messages(approved)
    assert set(Enrollment.objects.filter(pk__in=selected).values_list("state", flat=True)) == {
        EnrollmentState.APPROVED
    }


def test_bulk_start_review_leaves_another_centers_applications_alone(center):
    _belt, _user, client = center
    other = _submitted(IndustrialBeltFactory(), CohortFactory())
    response = client.post(
        admin_url(QUEUE, "changelist"),
        {"action": "start_review_selected", helpers.ACTION_CHECKBOX_NAME: [other.pk]},
    )
    other.refresh_from_db()
    assert other.state == EnrollmentState.SUBMITTED
    assert response.status_code in (200, 302)


# One reason box, Reject as a destructive step ---------------------------------------------------
def test_the_page_has_one_reason_box_and_reject_looks_destructive(center):
    belt, _user, client = center
    item = _submitted(belt, CohortFactory(), state=EnrollmentState.IN_REVIEW)
    html = client.get(admin_url(QUEUE, "change", item.pk)).content.decode()
    decision = html.split('id="review-decision"')[1]
    assert decision.count('name="reason"') == 1
    assert decision.count("<form") == 1
    buttons = {
        match.group(1): match.group(0)
        for match in re.finditer(r'<button[^>]*id="review-step-(\w+)"[^>]*>', decision)
    }
    assert sorted(buttons) == ["approve", "reject", "waitlist"]
    assert "review-step-destructive" in buttons["reject"]
    assert "review-step-destructive" not in buttons["approve"]
    assert f'formaction="/console/programs/reviewqueueitem/{item.pk}/decide/reject/"' in decision


def test_reject_with_a_reason(center):
    belt, user, client = center
    item = _submitted(belt, CohortFactory(), state=EnrollmentState.IN_REVIEW)

    refused = _decide(client, item, "reject")
    item.refresh_from_db()
    assert item.state == EnrollmentState.IN_REVIEW
    assert "Reject: give a reason." in _messages(refused)

    done = _decide(client, item, "reject", "refund rate above the program's ceiling")
    item.refresh_from_db()
    assert item.state == EnrollmentState.REJECTED
    event = EnrollmentEvent.objects.filter(enrollment=item).latest("pk")
    assert (event.to_state, event.actor, event.reason) == (
        EnrollmentState.REJECTED,
        user,
        "refund rate above the program's ceiling",
    )
    assert done.status_code == 302


def test_the_bulk_reject_confirmation_draws_reject_as_destructive(center):
    belt, _user, client = center
    item = _submitted(belt, CohortFactory(), state=EnrollmentState.IN_REVIEW)
    page = client.post(
        admin_url(QUEUE, "changelist"),
        {"action": "reject_selected", helpers.ACTION_CHECKBOX_NAME: [item.pk]},
    )
    assert b'value="Reject" class="review-step-destructive"' in page.content


# A decided application keeps its page ------------------------------------------------------------
def test_a_decided_application_keeps_its_page_with_who_and_when(center):
    belt, _user, client = center
    item = _submitted(belt, CohortFactory(), state=EnrollmentState.IN_REVIEW)
    _decide(client, item, "approve", "strong live-stream growth")

    page = client.get(admin_url(QUEUE, "change", item.pk))
    assert page.status_code == 200
    html = page.content.decode()
    event = EnrollmentEvent.objects.filter(enrollment=item).latest("pk")
    when = timezone.localtime(event.created_at)
    assert "Approved by reviewer-a on " in html
    assert page.context["decided"].startswith("Approved by reviewer-a on ")
    assert str(when.year) in page.context["decided"]
    # Its history, and no decision left to take from the queue's steps but those still open.
    history = html.split('id="review-history"')[1].split('id="review-decision"')[0]
    assert "strong live-stream growth" in history
    assert "review-step-approve" not in html
    assert "review-step-start_review" not in html


def test_a_decided_application_of_another_center_is_404(center):
    _belt, _user, _client = center
    other_belt = IndustrialBeltFactory()
    _other, other_client = _reviewer(other_belt, "reviewer-b")
    item = _submitted(other_belt, CohortFactory(), state=EnrollmentState.IN_REVIEW)
    _decide(other_client, item, "approve")
    item.refresh_from_db()
    assert item.state == EnrollmentState.APPROVED

    _belt, _user, client = center
    assert client.get(admin_url(QUEUE, "change", item.pk)).status_code == 404
    # The same answer as for a key that does not exist at all.
    assert client.get(admin_url(QUEUE, "change", 987654)).status_code == 404
    assert other_client.get(admin_url(QUEUE, "change", item.pk)).status_code == 200
    superuser = Client()
    superuser.force_login(SuperUserFactory())
    assert superuser.get(admin_url(QUEUE, "change", item.pk)).status_code == 200


def test_a_waitlisted_application_can_still_be_approved_from_its_page(center):
    belt, _user, client = center
    cohort = CohortFactory(seats=1)
    item = _submitted(belt, cohort, state=EnrollmentState.WAITLISTED)
    page = client.get(admin_url(QUEUE, "change", item.pk))
    assert page.status_code == 200
    assert b"review-step-approve" in page.content
    _decide(client, item, "approve")
    item.refresh_from_db()
    assert item.state == EnrollmentState.APPROVED


# The facts of the queue, formatted ---------------------------------------------------------------
GMV_AND_REFUNDS = [
    {"type": "gmv_between", "params": {"min": "1000000", "max": None}},
    {"type": "refund_rate_at_most", "params": {"max": "0.05"}},
]


def _with_reasons(belt):
    cohort = CohortFactory()
    item = _submitted(belt, cohort, state=EnrollmentState.IN_REVIEW)
    EligibilityFactory(
        merchant=item.merchant,
        rule_set__program=cohort.program,
        rule_set__criteria=GMV_AND_REFUNDS,
        actuals=["7777773.96", "0.0471"],
    )
    return item


def test_the_review_page_shows_facts_formatted(center):
    belt, _user, client = center
    item = _with_reasons(belt)
    html = client.get(admin_url(QUEUE, "change", item.pk)).content.decode()
    reasons = html.split('id="review-eligibility"')[1].split('id="review-history"')[0]
    assert "CNY 7.8 M" in reasons
    assert "4.7%" in reasons
    assert "at least CNY 1 M" in reasons
    assert "5.0%" in reasons
    assert "7777773.96" not in reasons
    assert "0.0471" not in reasons


def test_the_review_page_shows_facts_in_chinese_units(center):
    belt, _user, client = center
    item = _with_reasons(belt)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(admin_url(QUEUE, "change", item.pk)).content.decode()
    assert "¥777.8万" in html
    assert "7777773.96" not in html


def test_the_queue_shows_submitted_date_eligible_now_and_seats_used(center):
    belt, _user, client = center
    cohort = CohortFactory(seats=8, name="Foshan furniture spring intake 2026")
    item = _submitted(belt, cohort, days_ago=3)
    EligibilityFactory(merchant=item.merchant, rule_set__program=cohort.program, is_eligible=True)
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED)
    response = client.get(admin_url(QUEUE, "changelist"))
    html = response.content.decode()
    assert "review-queue" in html.split("<body", 1)[1].split(">", 1)[0]
    assert "column-submitted" in html
    assert "1 of 8" in html
    assert "icon-yes.svg" in html
    day = timezone.localtime(item.submitted_at)
    assert f"{day.month:02d}/{day.day:02d}/{day.year:04d}" in html
    assert 'href="/static/css/console.css"' in html


# The session, the user, two of permissions, the program, cohort, belt and center filters' choices,
# the count, the page of rows (eligibility and seats are subqueries of it).
QUEUE_QUERIES = 10


def test_the_queue_changelist_runs_a_pinned_number_of_queries(center):
    belt, _user, client = center
    url = admin_url(QUEUE, "changelist")
    for number in range(3):
        cohort = CohortFactory()
        item = _submitted(belt, cohort, days_ago=number + 1)
        EligibilityFactory(merchant=item.merchant, rule_set__program=cohort.program)
    client.get(url)  # sessions and content types warmed up
    with assert_num_queries(QUEUE_QUERIES, "3 rows"):
        assert client.get(url).status_code == 200
    for number in range(20):
        cohort = CohortFactory()
        item = _submitted(belt, cohort, days_ago=number + 5)
        EligibilityFactory(merchant=item.merchant, rule_set__program=cohort.program)
    with assert_num_queries(QUEUE_QUERIES, "23 rows"):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 23
