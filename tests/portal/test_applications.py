"""Applying to a cohort from the portal and the merchant's applications: apply (draft and
submission in one transaction), what the services refuse as a message, the list with its
history at a fixed query count, withdrawing by POST, only one's own merchants."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from merchants.choices import MembershipRole
from programs.choices import EnrollmentState
from programs.models import Enrollment, EnrollmentEvent
from tests.belts.factories import IndustrialBeltFactory, UserFactory
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentEventFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
)
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# Session, user, memberships, unread count; the enrollment roles (merchant memberships, center
# memberships); the enrollments with cohort and program, their events with actor.
APPLICATIONS_PAGE_QUERIES = 8


def apply_url(cohort, merchant) -> str:
    return f"{reverse('programs:apply', args=[cohort.pk])}?merchant={merchant.pk}"


def applications_url(merchant=None) -> str:
    url = reverse("programs:applications")
    return f"{url}?merchant={merchant.pk}" if merchant is not None else url


def eligibility_url(merchant) -> str:
    return f"{reverse('programs:eligibility')}?merchant={merchant.pk}"


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def program():
    return PublishedRuleSetFactory(
        program=ProgramFactory(code="star-origin", name="Star Origin"), version=1
    ).program


@pytest.fixture
def eligible(merchant, program):
    return EligibilityFactory(merchant=merchant, rule_set=program.rule_sets.get(), is_eligible=True)


@pytest.fixture
def cohort(program):
    return CohortFactory(program=program, name="Spring 2025", seats=12)


# The eligibility page -----------------------------------------------------------------------------
def test_the_eligibility_page_offers_the_open_cohorts(owner_client, merchant, eligible, cohort):
    closed = CohortFactory(
        program=cohort.program,
        name="Winter 2024",
        application_opens_at=timezone.now() - datetime.timedelta(days=60),
        application_closes_at=timezone.now() - datetime.timedelta(days=30),
    )
    other_belt = CohortFactory(
        program=cohort.program, name="Elsewhere only", belt=IndustrialBeltFactory()
    )
    own_belt = CohortFactory(program=cohort.program, name="Our belt only", belt=merchant.belt)

    response = owner_client.get(eligibility_url(merchant))

    (standing,) = response.context["standings"]
    assert {c.pk for c in standing.open_cohorts} == {cohort.pk, own_belt.pk}
    html = response.content.decode()
    assert "Spring 2025" in html
    assert "12 seats" in html
    assert "Applications close on" in html
    assert f'action="{apply_url(cohort, merchant)}"' in html
    assert closed.name not in html
    assert other_belt.name not in html


def test_not_eligible_shows_the_button_disabled_with_the_reason(owner_client, merchant, cohort):
    response = owner_client.get(eligibility_url(merchant))

    html = response.content.decode()
    assert "Not eligible for this program" in html
    assert "disabled" in html
    assert f'action="{apply_url(cohort, merchant)}"' not in html


def test_an_open_application_replaces_the_apply_button(owner_client, merchant, eligible, cohort):
    EnrollmentFactory(
        merchant=merchant,
        cohort=cohort,
        state=EnrollmentState.SUBMITTED,
        submitted_at=timezone.now(),
    )

    response = owner_client.get(eligibility_url(merchant))

    html = response.content.decode()
    assert "Your application to Spring 2025:" in html
    assert "submitted on" in html
    assert f'action="{apply_url(cohort, merchant)}"' not in html


# Applying --------------------------------------------------------------------------------------
def test_the_owner_applies_to_an_open_cohort(owner_client, owner, merchant, eligible, cohort):
    response = owner_client.post(apply_url(cohort, merchant), follow=True)

    enrollment = Enrollment.objects.get(merchant=merchant)
    assert enrollment.cohort == cohort
    assert enrollment.state == EnrollmentState.SUBMITTED
    assert enrollment.submitted_at is not None
    assert list(
        EnrollmentEvent.objects.filter(enrollment=enrollment)
        .order_by("created_at", "id")
        .values_list("from_state", "to_state", "actor")
    ) == [
        ("", EnrollmentState.DRAFT, owner.pk),
        (EnrollmentState.DRAFT, EnrollmentState.SUBMITTED, owner.pk),
    ]
    assert response.redirect_chain == [(eligibility_url(merchant), 302)]
    assert "Application submitted to Spring 2025" in response.content.decode()


def test_an_operator_may_apply_too(client, merchant, eligible, cohort):
    operator = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user
    client.force_login(operator)

    client.post(apply_url(cohort, merchant))

    assert Enrollment.objects.get(merchant=merchant).state == EnrollmentState.SUBMITTED


def test_applying_when_not_eligible_is_refused_and_leaves_no_draft(owner_client, merchant, cohort):
    response = owner_client.post(apply_url(cohort, merchant), follow=True)

    assert not Enrollment.objects.exists()
    assert not EnrollmentEvent.objects.exists()
    html = response.content.decode()
    assert "Baigou Travel Goods is not currently eligible for Star Origin" in html
    assert response.redirect_chain == [(eligibility_url(merchant), 302)]


def test_applying_twice_is_refused(owner_client, merchant, eligible, cohort):
    owner_client.post(apply_url(cohort, merchant), follow=True)  # shows its message
    second = CohortFactory(program=cohort.program, name="Spring 2025 bis")

    response = owner_client.post(apply_url(second, merchant))

    assert Enrollment.objects.filter(merchant=merchant).count() == 1
    (message,) = texts(response)
    assert "already has an open application to Star Origin" in message


def test_applying_to_a_closed_cohort_is_refused(owner_client, merchant, eligible, program):
    closed = CohortFactory(
        program=program,
        name="Winter 2024",
        application_opens_at=timezone.now() - datetime.timedelta(days=60),
        application_closes_at=timezone.now() - datetime.timedelta(days=30),
    )

    response = owner_client.post(apply_url(closed, merchant))

    assert response.status_code == 302
    assert not Enrollment.objects.exists()
    (message,) = texts(response)
    assert "Applications to" in message
    assert "closed on" in message


def test_applying_before_the_window_opens_leaves_no_draft(
    owner_client, merchant, eligible, program
):
    later = CohortFactory(
        program=program,
        name="Autumn",
        application_opens_at=timezone.now() + datetime.timedelta(days=3),
        application_closes_at=timezone.now() + datetime.timedelta(days=30),
    )

    response = owner_client.post(apply_url(later, merchant))

    assert not Enrollment.objects.exists()
    assert "open on" in texts(response)[0]


def test_applying_with_a_get_is_not_allowed(owner_client, merchant, cohort):
    assert owner_client.get(apply_url(cohort, merchant)).status_code == 405
    assert not Enrollment.objects.exists()


def test_applying_for_someone_elses_merchant_is_a_404(owner_client, eligible, cohort):
    theirs = MerchantMembershipFactory().merchant

    assert owner_client.post(apply_url(cohort, theirs)).status_code == 404
    assert not Enrollment.objects.exists()


def test_anonymous_cannot_apply(client, merchant, cohort):
    url = apply_url(cohort, merchant)

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert not Enrollment.objects.exists()


# My applications --------------------------------------------------------------------------------
def enrollments(merchant, count: int) -> list[Enrollment]:
    """``count`` applications of ``merchant``, each in its own program, each with two events."""
    made = []
    for _number in range(count):
        enrollment = EnrollmentFactory(
            merchant=merchant, state=EnrollmentState.SUBMITTED, submitted_at=timezone.now()
        )
        EnrollmentEventFactory(
            enrollment=enrollment,
            from_state="",
            to_state=EnrollmentState.DRAFT,
            actor=UserFactory(),
        )
        EnrollmentEventFactory(enrollment=enrollment, actor=UserFactory())
        made.append(enrollment)
    return made


def test_lists_only_my_merchants_applications_newest_first(owner_client, merchant):
    mine = enrollments(merchant, 3)
    EnrollmentFactory(merchant=MerchantFactory(), cohort__name="Not yours")

    response = owner_client.get(applications_url())

    assert response.status_code == 200
    rows = response.context["applications"]
    assert [row.enrollment.pk for row in rows] == [e.pk for e in reversed(mine)]
    assert all(row.may_withdraw for row in rows)
    html = response.content.decode()
    assert "Not yours" not in html
    assert html.count('class="history__events"') == 3
    assert "Submitted" in html


def test_the_query_count_does_not_grow_with_the_applications(owner_client, merchant):
    enrollments(merchant, 2)
    with assert_num_queries(APPLICATIONS_PAGE_QUERIES, "2 applications"):
        response = owner_client.get(applications_url(merchant))
    assert len(response.context["applications"]) == 2

    enrollments(merchant, 4)
    with assert_num_queries(APPLICATIONS_PAGE_QUERIES, "6 applications"):
        response = owner_client.get(applications_url(merchant))
    assert len(response.context["applications"]) == 6


def test_closed_applications_offer_no_withdraw(owner_client, merchant):
    EnrollmentFactory(merchant=merchant, state=EnrollmentState.REJECTED)

    response = owner_client.get(applications_url())

    (row,) = response.context["applications"]
    assert row.may_withdraw is False
    assert "Withdraw" not in response.content.decode().split("<main", 1)[1]


def test_another_merchants_applications_page_is_a_404(owner_client):
    theirs = MerchantMembershipFactory().merchant

    assert owner_client.get(applications_url(theirs)).status_code == 404


def test_the_nav_links_to_the_applications(owner_client):
    html = owner_client.get(applications_url()).content.decode()

    assert f'href="{applications_url()}" aria-current="page"' in html


# Withdrawing ------------------------------------------------------------------------------------
def withdraw_url(enrollment) -> str:
    return reverse("programs:withdraw", args=[enrollment.pk])


def test_withdraw_by_post(owner_client, owner, merchant, eligible, cohort):
    owner_client.post(apply_url(cohort, merchant))
    enrollment = Enrollment.objects.get(merchant=merchant)

    response = owner_client.post(withdraw_url(enrollment), follow=True)

    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.WITHDRAWN
    last = enrollment.events.order_by("-created_at", "-id").first()
    assert (last.to_state, last.actor_id) == (EnrollmentState.WITHDRAWN, owner.pk)
    assert response.redirect_chain == [(applications_url(merchant), 302)]
    assert "Application to Spring 2025 withdrawn." in response.content.decode()


def test_withdrawing_a_closed_application_says_why(owner_client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.REJECTED)

    response = owner_client.post(withdraw_url(enrollment))

    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.REJECTED
    (message,) = texts(response)
    assert "You cannot withdraw this application: it is rejected." in message


def test_withdrawing_someone_elses_application_is_a_404(owner_client):
    theirs = EnrollmentFactory(
        merchant=MerchantMembershipFactory().merchant, state=EnrollmentState.SUBMITTED
    )

    assert owner_client.post(withdraw_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == EnrollmentState.SUBMITTED


def test_the_withdraw_button_asks_first(owner_client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.SUBMITTED)

    html = owner_client.get(applications_url()).content.decode()

    # A link to the confirmation page, not a form that withdraws at once.
    assert f'href="{withdraw_url(enrollment)}"' in html
    assert f'action="{withdraw_url(enrollment)}"' not in html


def test_the_confirmation_page_withdraws_nothing_and_posts_back(owner_client, merchant):
    enrollment = EnrollmentFactory(
        merchant=merchant, state=EnrollmentState.SUBMITTED, cohort__name="Spring 2025"
    )

    response = owner_client.get(withdraw_url(enrollment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Spring 2025" in html
    assert f'<form class="inline-form" method="post" action="{withdraw_url(enrollment)}">' in html
    assert "will not be reviewed" in html
    assert "Give up the seat" not in html
    assert f'href="{applications_url(merchant)}">Keep it' in html
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.SUBMITTED


@pytest.mark.parametrize("state", [EnrollmentState.APPROVED, EnrollmentState.ACTIVE])
def test_withdrawing_a_seat_says_it_is_given_up(owner_client, merchant, state):
    enrollment = EnrollmentFactory(merchant=merchant, state=state, cohort__name="Spring 2025")

    html = owner_client.get(withdraw_url(enrollment)).content.decode()

    assert "Your shop holds a seat in Spring 2025." in html
    assert "you cannot take it back" in html
    assert "notice--serious" in html
    assert "Give up the seat and withdraw" in html


def test_withdrawing_from_the_waitlist_says_the_place_is_lost(owner_client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.WAITLISTED)

    html = owner_client.get(withdraw_url(enrollment)).content.decode()

    assert "gives up its place on the waitlist" in html
    assert "Give up the seat" not in html


def test_no_confirmation_for_a_closed_application(owner_client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.REJECTED)

    response = owner_client.get(withdraw_url(enrollment))

    assert response.status_code == 302
    assert response["Location"] == applications_url(merchant)
    (message,) = texts(response)
    assert "You cannot withdraw this application: it is rejected." in message


def test_the_confirmation_of_someone_elses_application_is_a_404(owner_client):
    theirs = EnrollmentFactory(
        merchant=MerchantMembershipFactory().merchant, state=EnrollmentState.APPROVED
    )

    assert owner_client.get(withdraw_url(theirs)).status_code == 404


def test_the_confirmation_query_count(owner_client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.APPROVED)
    # Session, user, the enrollment with merchant, cohort and program, the roles (merchant
    # memberships, center memberships), the unread count.
    with assert_num_queries(6, "confirmation"):
        response = owner_client.get(withdraw_url(enrollment))
    assert response.status_code == 200


# Anonymous --------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_the_portal_login(client):
    url = applications_url()

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_anonymous_is_sent_to_log_in_before_the_confirmation(client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.SUBMITTED)

    response = client.get(withdraw_url(enrollment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_anonymous_cannot_withdraw(client, merchant):
    enrollment = EnrollmentFactory(merchant=merchant, state=EnrollmentState.SUBMITTED)

    response = client.post(withdraw_url(enrollment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    enrollment.refresh_from_db()
    assert enrollment.state == EnrollmentState.SUBMITTED
