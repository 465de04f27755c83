"""The review queue (issue #4): applications awaiting a decision, oldest first, decided through
the enrollment services by buttons and bulk actions, and limited to the reviewer's centers."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from belts.models import OperationCenterMembership
from programs.choices import EnrollmentState
from programs.models import Cohort, Enrollment, EnrollmentEvent, ReviewQueueItem
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
)
from tests.merchants.factories import MerchantFactory, MonthlyMetricFactory
from tests.programs.factories import CohortFactory, EligibilityFactory, EnrollmentFactory
from tests.utils.queries import format_queries

from .base import admin_url
from .test_scoping import reviewers_group

pytestmark = pytest.mark.django_db

QUEUE = ReviewQueueItem


def _submitted(merchant, cohort, *, days_ago: int, state=EnrollmentState.SUBMITTED):
    return EnrollmentFactory(
        merchant=merchant,
        cohort=cohort,
        state=state,
        submitted_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


def _reviewer(belt, username: str):
    user = StaffUserFactory(username=username)
    user.groups.add(reviewers_group())
    OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[belt]), user=user)
    client = Client()
    client.force_login(user)
    return user, client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def center_a():
    belt = IndustrialBeltFactory()
    user, client = _reviewer(belt, "reviewer-a")
    return belt, user, client


@pytest.fixture
def center_b():
    belt = IndustrialBeltFactory()
    user, client = _reviewer(belt, "reviewer-b")
    return belt, user, client


def _listed(client, **params) -> list[int]:
    response = client.get(admin_url(QUEUE, "changelist"), params)
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


# The list --------------------------------------------------------------------------------------
def test_queue_lists_only_submitted_and_in_review_oldest_first(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory()
    newer = _submitted(MerchantFactory(belt=belt), cohort, days_ago=1)
    oldest = _submitted(
        MerchantFactory(belt=belt), cohort, days_ago=5, state=EnrollmentState.IN_REVIEW
    )
    middle = _submitted(MerchantFactory(belt=belt), cohort, days_ago=3)
    for state in (EnrollmentState.DRAFT, EnrollmentState.APPROVED, EnrollmentState.REJECTED):
        _submitted(MerchantFactory(belt=belt), cohort, days_ago=9, state=state)
    assert _listed(client) == [oldest.pk, middle.pk, newer.pk]
    assert _listed(client, state=EnrollmentState.IN_REVIEW) == [oldest.pk]


def test_queue_shows_eligibility_now_and_seats(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory(seats=10)
    item = _submitted(MerchantFactory(belt=belt), cohort, days_ago=1)
    EligibilityFactory(merchant=item.merchant, rule_set__program=cohort.program, is_eligible=True)
    for _ in range(3):
        EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED)
    response = client.get(admin_url(QUEUE, "changelist"))
    (row,) = response.context["cl"].result_list
    assert row.eligible_now is True
    assert "3 of 10" in response.content.decode()


def test_queue_query_count_is_fixed(center_a):
    belt, _user, client = center_a
    url = admin_url(QUEUE, "changelist")
    client.get(url)  # warm up

    def build(count):
        for number in range(count):
            cohort = CohortFactory()
            item = _submitted(MerchantFactory(belt=belt), cohort, days_ago=number + 1)
            EligibilityFactory(merchant=item.merchant, rule_set__program=cohort.program)

    build(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    build(15)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["cl"].result_count == 17
    assert len(few) == len(many), format_queries(many)


def test_filters_by_program_cohort_belt_and_center(center_a):
    belt, user, client = center_a
    cohort, other_cohort = CohortFactory(), CohortFactory()
    ours = _submitted(MerchantFactory(belt=belt), cohort, days_ago=2)
    theirs = _submitted(MerchantFactory(belt=belt), other_cohort, days_ago=1)
    center = OperationCenterMembership.objects.get(user=user).center
    assert _listed(client, program__id__exact=cohort.program_id) == [ours.pk]
    assert _listed(client, cohort__id__exact=other_cohort.pk) == [theirs.pk]
    assert _listed(client, merchant__belt__id__exact=belt.pk) == [ours.pk, theirs.pk]
    assert _listed(client, merchant__belt__operation_centers__id__exact=center.pk) == [
        ours.pk,
        theirs.pk,
    ]


# Scoping ---------------------------------------------------------------------------------------
def test_another_centers_reviewer_sees_nothing_of_center_a(center_a, center_b):
    belt_a, _user_a, client_a = center_a
    _belt_b, _user_b, client_b = center_b
    cohort = CohortFactory()
    item = _submitted(
        MerchantFactory(belt=belt_a, shop_name="Foshan Oakworks"),
        cohort,
        days_ago=1,
        state=EnrollmentState.IN_REVIEW,
    )
    assert _listed(client_a) == [item.pk]
    assert _listed(client_b) == []
    assert _listed(client_b, q="Foshan Oakworks") == []
    assert client_b.get(admin_url(QUEUE, "change", item.pk)).status_code == 404
    # A button's POST answers 404 and changes nothing.
    response = client_b.post(
        reverse("admin:programs_reviewqueueitem_decide", args=[item.pk, "approve"])
    )
    assert response.status_code == 404
    # A bulk action posted with A's id touches nothing.
    client_b.post(
        admin_url(QUEUE, "changelist"),
        {"action": "approve_selected", helpers.ACTION_CHECKBOX_NAME: [item.pk]},
    )
    client_b.post(
        admin_url(QUEUE, "changelist"),
        {
            "action": "reject_selected",
            helpers.ACTION_CHECKBOX_NAME: [item.pk],
            "post": "yes",
            "reason": "not ours",
        },
    )
    item.refresh_from_db()
    assert item.state == EnrollmentState.IN_REVIEW
    assert not EnrollmentEvent.objects.filter(enrollment=item).exists()
    # The export holds only B's rows: none.
    response = client_b.post(admin_url(QUEUE, "export"), {"format": "0", "resource": "0"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1  # the header alone


# Decisions one by one ----------------------------------------------------------------------------
def _decide(client, item, step, reason=""):
    return client.post(
        reverse("admin:programs_reviewqueueitem_decide", args=[item.pk, step]),
        {"reason": reason},
    )


def test_buttons_take_the_steps_through_the_services(center_a):
    belt, user, client = center_a
    cohort = CohortFactory(seats=10)
    for _ in range(6):
        EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED)
    item = _submitted(MerchantFactory(belt=belt), cohort, days_ago=1)

    page = client.get(admin_url(QUEUE, "change", item.pk))
    assert page.status_code == 200
    assert b"review-step-start_review" in page.content

    response = _decide(client, item, "start_review")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == EnrollmentState.IN_REVIEW

    response = _decide(client, item, "approve", "strong growth")
    item.refresh_from_db()
    assert item.state == EnrollmentState.APPROVED
    assert "Approved — 7 of 10 seats used." in _messages(response)
    event = EnrollmentEvent.objects.filter(enrollment=item).latest("pk")
    assert (event.from_state, event.to_state, event.actor, event.reason) == (
        EnrollmentState.IN_REVIEW,
        EnrollmentState.APPROVED,
        user,
        "strong growth",
    )


def test_approve_on_a_full_cohort_waitlists(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory(seats=1)
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED)
    item = _submitted(MerchantFactory(belt=belt), cohort, days_ago=1, state="in_review")
    response = _decide(client, item, "approve")
    item.refresh_from_db()
    assert item.state == EnrollmentState.WAITLISTED
    assert any("The cohort is full" in text for text in _messages(response))


def test_waitlist_and_reject_buttons(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory()
    first = _submitted(MerchantFactory(belt=belt), cohort, days_ago=2, state="in_review")
    second = _submitted(MerchantFactory(belt=belt), cohort, days_ago=1, state="in_review")
    _decide(client, first, "waitlist", "later")
    first.refresh_from_db()
    assert first.state == EnrollmentState.WAITLISTED

    # A rejection needs a reason: without one nothing happens.
    response = _decide(client, second, "reject")
    second.refresh_from_db()
    assert second.state == EnrollmentState.IN_REVIEW
    assert any("give a reason" in text for text in _messages(response))
    _decide(client, second, "reject", "refund rate too high")
    second.refresh_from_db()
    assert second.state == EnrollmentState.REJECTED
    assert EnrollmentEvent.objects.get(enrollment=second).reason == "refund rate too high"


def test_a_get_decides_nothing(center_a):
    belt, _user, client = center_a
    item = _submitted(MerchantFactory(belt=belt), CohortFactory(), days_ago=1, state="in_review")
    response = client.get(
        reverse("admin:programs_reviewqueueitem_decide", args=[item.pk, "approve"])
    )
    assert response.status_code == 405
    item.refresh_from_db()
    assert item.state == EnrollmentState.IN_REVIEW


def test_a_refused_step_is_an_error_message(center_a):
    belt, _user, client = center_a
    item = _submitted(MerchantFactory(belt=belt), CohortFactory(), days_ago=1)
    response = _decide(client, item, "approve")  # submitted, not in review
    item.refresh_from_db()
    assert item.state == EnrollmentState.SUBMITTED
    assert any("cannot approve" in text for text in _messages(response))


def test_detail_shows_facts_reasons_and_history(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory()
    merchant = MerchantFactory(belt=belt)
    first_of_month = timezone.localdate().replace(day=1)
    MonthlyMetricFactory(
        merchant=merchant, month=(first_of_month - datetime.timedelta(days=1)).replace(day=1)
    )
    EligibilityFactory(
        merchant=merchant,
        rule_set__program=cohort.program,
        rule_set__criteria=[{"type": "smb", "params": {"value": True}}],
        actuals=[True],
    )
    item = _submitted(merchant, cohort, days_ago=1)
    EnrollmentEvent.objects.create(
        enrollment=item, from_state="draft", to_state="submitted", reason="applied in portal"
    )
    response = client.get(admin_url(QUEUE, "change", item.pk))
    content = response.content.decode()
    assert "Trailing 12-month GMV" in content
    assert "CNY" in content
    assert "applied in portal" in content
    assert response.context["reasons"][0]["passed"] is True
    assert 'style="' not in content.split('id="review-facts"')[1]
    assert "<script>" not in content


# Decisions in bulk -----------------------------------------------------------------------------
def test_bulk_approval_fills_free_seats_in_submission_order(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory(seats=5)
    for _ in range(2):
        EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED)
    items = [
        _submitted(MerchantFactory(belt=belt), cohort, days_ago=10 - n, state="in_review")
        for n in range(5)
    ]
    response = client.post(
        admin_url(QUEUE, "changelist"),
        {
            "action": "approve_selected",
            helpers.ACTION_CHECKBOX_NAME: [item.pk for item in reversed(items)],
        },
    )
    assert response.status_code == 302
    states = {item.pk: Enrollment.objects.get(pk=item.pk).state for item in items}
    assert [states[item.pk] for item in items] == [
        EnrollmentState.APPROVED,
        EnrollmentState.APPROVED,
        EnrollmentState.APPROVED,
        EnrollmentState.WAITLISTED,
        EnrollmentState.WAITLISTED,
    ]
    (message,) = _messages(response)
    assert "3 applications approved" in message
    assert "2 waitlisted" in message


def test_bulk_reject_asks_for_a_reason_first(center_a):
    belt, _user, client = center_a
    cohort = CohortFactory()
    items = [
        _submitted(MerchantFactory(belt=belt), cohort, days_ago=n + 1, state="in_review")
        for n in range(2)
    ]
    data = {"action": "reject_selected", helpers.ACTION_CHECKBOX_NAME: [i.pk for i in items]}
    confirmation = client.post(admin_url(QUEUE, "changelist"), data)
    assert confirmation.status_code == 200
    assert b'name="reason"' in confirmation.content
    assert all(Enrollment.objects.get(pk=i.pk).state == EnrollmentState.IN_REVIEW for i in items)
    # Confirmed without a reason: refused, still nothing changed.
    again = client.post(admin_url(QUEUE, "changelist"), {**data, "post": "yes"})
    assert again.status_code == 200
    assert all(Enrollment.objects.get(pk=i.pk).state == EnrollmentState.IN_REVIEW for i in items)
    done = client.post(
        admin_url(QUEUE, "changelist"), {**data, "post": "yes", "reason": "out of scope"}
    )
    assert done.status_code == 302
    assert all(Enrollment.objects.get(pk=i.pk).state == EnrollmentState.REJECTED for i in items)
    assert "2 applications rejected." in _messages(done)


def test_bulk_waitlist(center_a):
    belt, _user, client = center_a
    item = _submitted(MerchantFactory(belt=belt), CohortFactory(), days_ago=1, state="in_review")
    data = {
        "action": "waitlist_selected",
        helpers.ACTION_CHECKBOX_NAME: [item.pk],
        "post": "yes",
        "reason": "",
    }
    client.post(admin_url(QUEUE, "changelist"), data)
    item.refresh_from_db()
    assert item.state == EnrollmentState.WAITLISTED


# Exports -----------------------------------------------------------------------------------------
def test_csv_and_xlsx_exports_hold_the_queue_rows(center_a, center_b):
    belt, _user, client = center_a
    belt_b, _user_b, _client_b = center_b
    cohort = CohortFactory(seats=4)
    ours = _submitted(MerchantFactory(belt=belt, shop_name="Foshan Oakworks"), cohort, days_ago=2)
    _submitted(MerchantFactory(belt=belt_b, shop_name="Baigou Trunkmakers"), cohort, days_ago=1)
    _submitted(MerchantFactory(belt=belt), cohort, days_ago=1, state=EnrollmentState.APPROVED)

    page = client.get(admin_url(QUEUE, "export"))
    assert page.status_code == 200
    assert b'style="' not in page.content.split(b'id="content"')[1]

    response = client.post(admin_url(QUEUE, "export"), {"format": "0", "resource": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == ["id", "merchant", "belt"]
    assert [row[0] for row in rows] == [str(ours.pk)]
    assert rows[0][1] == "Foshan Oakworks"
    assert rows[0][-2:] == ["1", "4"]  # seats used, seats

    response = client.post(admin_url(QUEUE, "export"), {"format": "1", "resource": "0"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert [row[0] for row in values[1:]] == [ours.pk]


def test_cohort_export(console_client):
    cohort = CohortFactory(name="Autumn intake", seats=3)
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.APPROVED, submitted_at=timezone.now())
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.WAITLISTED, submitted_at=timezone.now())
    EnrollmentFactory(cohort=cohort, state=EnrollmentState.DRAFT)
    response = console_client.post(admin_url(Cohort, "export"), {"format": "0", "resource": "0"})
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [
        "id",
        "program",
        "name",
        "applications open",
        "applications close",
        "seats",
        "seats used",
        "waitlisted",
        "applications",
    ]
    (row,) = rows
    assert row[2] == "Autumn intake"
    assert row[5:] == ["3", "1", "1", "2"]
    response = console_client.post(admin_url(Cohort, "export"), {"format": "1", "resource": "0"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.values)[1][2] == "Autumn intake"
