"""Enrollments through the API: each user reads only what their role lets them see, every write
is a service call with the requesting user as actor, and the services' refusals come back in
the domain error shape (403 forbidden, 409 conflicts, 400 otherwise) with nothing changed."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from belts.choices import CenterRole
from merchants.choices import MembershipRole
from merchants.models import Merchant
from programs.choices import EnrollmentState
from programs.models import Enrollment, EnrollmentEvent, Program
from programs.reasons import ReasonCode
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentEventFactory,
    EnrollmentFactory,
    PublishedRuleSetFactory,
)
from tests.utils.queries import assert_num_queries

from .base import (
    AUTH_QUERIES,
    LIST,
    GetObjectTests,
    ListObjectsTests,
    error_fields,
)

S = EnrollmentState
STEPS = [
    "submit",
    "start-review",
    "approve",
    "waitlist",
    "reject",
    "activate",
    "graduate",
    "revoke",
    "withdraw",
]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def list_url() -> str:
    return reverse("api:enrollment-list")


def detail_url(enrollment) -> str:
    return reverse("api:enrollment-detail", args=[enrollment.pk])


def step_url(enrollment, step: str) -> str:
    return reverse(f"api:enrollment-{step}", args=[enrollment.pk])


class EnrollmentWithHistoryFactory(EnrollmentFactory):
    """A submitted enrollment with two events, so the list has a history to prefetch."""

    state = S.SUBMITTED

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            EnrollmentEventFactory(enrollment=instance, from_state="", to_state=S.DRAFT)
            EnrollmentEventFactory(enrollment=instance, from_state=S.DRAFT, to_state=S.SUBMITTED)


class TestEnrollmentAPI(GetObjectTests, ListObjectsTests):
    url_name = "api:enrollment"
    factory = EnrollmentWithHistoryFactory
    # + the events, prefetched; + what the user is to the merchants (their merchant memberships
    # and center roles), loaded once for the whole page.
    list_query_count = AUTH_QUERIES + LIST + 1 + 2

    @pytest.fixture
    def reader_client(self) -> APIClient:
        """Someone who sees every enrollment: a superuser."""
        return client_for(SuperUserFactory())

    def test_a_signed_in_user_reads_unless_staff_only(self, user_api_client):
        # Overrides the base: a user who is nobody to any merchant reads an empty list, and an
        # enrollment answers 404 as if it did not exist.
        enrollment = self.factory()
        response = user_api_client.get(self.list_url())
        assert response.status_code == 200
        assert response.data["count"] == 0
        assert user_api_client.get(self.detail_url(enrollment.pk)).status_code == 404

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_no_edit_or_delete(self, reader_client, method):
        enrollment = self.factory()
        response = getattr(reader_client, method)(
            self.detail_url(enrollment.pk), {"state": S.APPROVED}, format="json"
        )
        assert response.status_code == 405
        enrollment.refresh_from_db()
        assert enrollment.state == S.SUBMITTED


@pytest.fixture
def world():
    """A belt served by one center (a reviewer, a manager), a merchant of it with an owner and
    current eligibility for the program of a two-seat cohort; a reviewer of another center."""
    belt = IndustrialBeltFactory()
    center = OperationCenterFactory(belts=[belt])
    other_center = OperationCenterFactory(belts=[IndustrialBeltFactory()])
    merchant = MerchantFactory(belt=belt)
    cohort = CohortFactory(seats=2)
    rule_set = PublishedRuleSetFactory(program=cohort.program)
    EligibilityFactory(merchant=merchant, rule_set=rule_set, is_eligible=True)

    class World:
        pass

    w = World()
    w.belt, w.merchant, w.cohort, w.rule_set = belt, merchant, cohort, rule_set
    w.owner = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user
    w.reviewer = OperationCenterMembershipFactory(center=center, role=CenterRole.REVIEWER).user
    w.manager = OperationCenterMembershipFactory(center=center, role=CenterRole.MANAGER).user
    w.stranger_reviewer = OperationCenterMembershipFactory(
        center=other_center, role=CenterRole.REVIEWER
    ).user
    return w


def in_review(w, merchant=None) -> Enrollment:
    """An application of ``merchant`` (the world's by default) in review, through the API."""
    merchant = merchant or w.merchant
    if merchant != w.merchant:
        EligibilityFactory(merchant=merchant, rule_set=w.rule_set, is_eligible=True)
    staff = client_for(w.reviewer)
    response = staff.post(
        list_url(), {"cohort": w.cohort.pk, "merchant": merchant.pk}, format="json"
    )
    assert response.status_code == 201, response.data
    enrollment = Enrollment.objects.get(pk=response.data["id"])
    assert staff.post(step_url(enrollment, "start-review")).status_code == 200
    enrollment.refresh_from_db()
    assert enrollment.state == S.IN_REVIEW
    return enrollment


@pytest.mark.django_db
class TestScoping:
    def test_staff_see_their_centers_belts_only(self, world):
        mine = EnrollmentFactory(merchant=world.merchant, cohort=world.cohort)
        EnrollmentFactory()  # a merchant of a belt no center of theirs serves

        ids = {row["id"] for row in client_for(world.reviewer).get(list_url()).data["results"]}

        assert ids == {mine.pk}

    def test_staff_of_another_center_see_none(self, world):
        enrollment = EnrollmentFactory(merchant=world.merchant, cohort=world.cohort)
        client = client_for(world.stranger_reviewer)

        assert client.get(list_url()).data["count"] == 0
        assert client.get(detail_url(enrollment)).status_code == 404
        assert client.post(step_url(enrollment, "submit")).status_code == 404

    def test_a_merchant_user_sees_their_own_only(self, world):
        mine = EnrollmentFactory(merchant=world.merchant, cohort=world.cohort)
        other = EnrollmentFactory(cohort=world.cohort)
        client = client_for(world.owner)

        response = client.get(list_url())

        assert [row["id"] for row in response.data["results"]] == [mine.pk]
        assert client.get(detail_url(other)).status_code == 404

    def test_superusers_see_all(self, world):
        EnrollmentFactory.create_batch(2)
        EnrollmentFactory(merchant=world.merchant, cohort=world.cohort)
        assert client_for(SuperUserFactory()).get(list_url()).data["count"] == 3

    def test_staff_list_query_count_is_fixed(self, world):
        reviewer = client_for(world.reviewer)
        EnrollmentWithHistoryFactory.create_batch(3, merchant__belt=world.belt)
        with assert_num_queries(AUTH_QUERIES + LIST + 1 + 2, "3 objects"):
            assert reviewer.get(list_url()).data["count"] == 3
        EnrollmentWithHistoryFactory.create_batch(17, merchant__belt=world.belt)
        with assert_num_queries(AUTH_QUERIES + LIST + 1 + 2, "20 objects"):
            assert reviewer.get(list_url()).data["count"] == 20

    def test_filters(self, world):
        submitted = EnrollmentFactory(
            merchant=world.merchant, cohort=world.cohort, state=S.SUBMITTED
        )
        other_merchant = MerchantFactory(belt=world.belt)
        other_cohort = CohortFactory()
        draft = EnrollmentFactory(merchant=other_merchant, cohort=other_cohort)
        client = client_for(world.reviewer)

        def ids(params):
            response = client.get(list_url(), params)
            assert response.status_code == 200, response.data
            return {row["id"] for row in response.data["results"]}

        assert ids({"state": "submitted"}) == {submitted.pk}
        assert ids({"program": world.cohort.program.code}) == {submitted.pk}
        assert ids({"cohort": other_cohort.pk}) == {draft.pk}
        assert ids({"merchant": world.merchant.pk}) == {submitted.pk}
        assert client.get(list_url(), {"state": "nonsense"}).status_code == 400


@pytest.mark.django_db
class TestShape:
    def test_events_and_available_steps_follow_the_user(self, world):
        enrollment = in_review(world)

        as_reviewer = client_for(world.reviewer).get(detail_url(enrollment)).data
        as_owner = client_for(world.owner).get(detail_url(enrollment)).data

        assert as_reviewer["state"] == "in_review"
        assert as_reviewer["merchant"] == {
            "id": world.merchant.pk,
            "shop_name": world.merchant.shop_name,
        }
        assert as_reviewer["program"]["code"] == world.cohort.program.code
        assert as_reviewer["cohort"] == {
            "id": world.cohort.pk,
            "name": world.cohort.name,
            "name_zh": world.cohort.name_zh,
        }
        assert [(e["from_state"], e["to_state"]) for e in as_reviewer["events"]] == [
            ("", "draft"),
            ("draft", "submitted"),
            ("submitted", "in_review"),
        ]
        assert as_reviewer["events"][-1]["actor"] == world.reviewer.pk
        assert set(as_reviewer["available_steps"]) == {"approve", "waitlist", "reject"}
        assert as_owner["available_steps"] == ["withdraw"]


@pytest.mark.django_db
class TestCreate:
    def test_the_owner_applies_and_submits_when_eligible(self, world):
        response = client_for(world.owner).post(
            list_url(), {"cohort": world.cohort.pk, "merchant": world.merchant.pk}, format="json"
        )

        assert response.status_code == 201, response.data
        enrollment = Enrollment.objects.get(pk=response.data["id"])
        assert enrollment.state == S.SUBMITTED
        assert enrollment.created_by == world.owner
        assert response.data["state"] == "submitted"
        assert [e["to_state"] for e in response.data["events"]] == ["draft", "submitted"]
        assert response.data["available_steps"] == ["withdraw"]

    def test_a_draft_only_when_asked(self, world):
        response = client_for(world.owner).post(
            list_url(),
            {"cohort": world.cohort.pk, "merchant": world.merchant.pk, "submit": False},
            format="json",
        )

        assert response.status_code == 201, response.data
        assert response.data["state"] == "draft"
        assert set(response.data["available_steps"]) == {"submit", "withdraw"}

    def test_a_program_switched_off_is_a_400_and_writes_nothing(self, world):
        Program.objects.filter(pk=world.cohort.program_id).update(is_active=False)

        response = client_for(world.owner).post(
            list_url(),
            {"cohort": world.cohort.pk, "merchant": world.merchant.pk, "submit": False},
            format="json",
        )

        assert response.status_code == 400, response.data
        assert response.data["error"]["code"] == "program_inactive"
        assert not Enrollment.objects.filter(merchant=world.merchant).exists()

    def test_not_eligible_is_a_400_and_writes_nothing(self, world):
        merchant = MerchantFactory(belt=world.belt)
        EligibilityFactory(merchant=merchant, rule_set=world.rule_set, is_eligible=False)
        owner = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user

        response = client_for(owner).post(
            list_url(), {"cohort": world.cohort.pk, "merchant": merchant.pk}, format="json"
        )

        assert response.status_code == 400
        assert response.data["error"]["code"] == "not_eligible"
        assert not Enrollment.objects.filter(merchant=merchant).exists()
        assert not EnrollmentEvent.objects.filter(enrollment__merchant=merchant).exists()

    def test_staff_override_eligibility_with_a_reason(self, world):
        merchant = MerchantFactory(belt=world.belt)

        response = client_for(world.reviewer).post(
            list_url(),
            {
                "cohort": world.cohort.pk,
                "merchant": merchant.pk,
                "override_reason": "Flood relief: the figures lag",
            },
            format="json",
        )

        assert response.status_code == 201, response.data
        assert response.data["state"] == "submitted"
        assert response.data["eligibility_override_reason"] == "Flood relief: the figures lag"

    def test_a_merchant_cannot_override(self, world):
        merchant = MerchantFactory(belt=world.belt)
        owner = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user

        response = client_for(owner).post(
            list_url(),
            {"cohort": world.cohort.pk, "merchant": merchant.pk, "override_reason": "please"},
            format="json",
        )

        assert response.status_code == 403
        assert response.data["error"]["code"] == "forbidden"
        assert not Enrollment.objects.filter(merchant=merchant).exists()

    def test_staff_of_another_center_are_refused(self, world):
        response = client_for(world.stranger_reviewer).post(
            list_url(), {"cohort": world.cohort.pk, "merchant": world.merchant.pk}, format="json"
        )

        assert response.status_code == 400
        assert error_fields(response) == {"merchant"}
        assert world.merchant.shop_name not in response.content.decode()
        assert not Enrollment.objects.exists()

    @pytest.mark.parametrize("who", ["portal user of another merchant", "another center"])
    def test_a_merchant_out_of_scope_is_answered_as_a_missing_one(self, world, who):
        # Found from outside: another merchant's id answered 403 "... application of <its shop
        # name>" where a missing id answered 400, so any portal user could map ids to names.
        if who == "another center":
            user = world.stranger_reviewer
        else:
            user = MerchantMembershipFactory(role=MembershipRole.OWNER).user
        client = client_for(user)
        missing = Merchant.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

        theirs = client.post(
            list_url(), {"cohort": world.cohort.pk, "merchant": world.merchant.pk}, format="json"
        )
        nobodys = client.post(
            list_url(), {"cohort": world.cohort.pk, "merchant": missing}, format="json"
        )

        assert theirs.status_code == nobodys.status_code == 400
        assert theirs.content == nobodys.content
        assert world.merchant.shop_name not in theirs.content.decode()
        assert str(world.merchant.pk) not in theirs.content.decode()
        assert not Enrollment.objects.exists()

    def test_a_second_open_application_is_a_409(self, world):
        client = client_for(world.owner)
        data = {"cohort": world.cohort.pk, "merchant": world.merchant.pk}
        assert client.post(list_url(), data, format="json").status_code == 201

        response = client.post(list_url(), data, format="json")

        assert response.status_code == 409
        assert response.data["error"]["code"] == "already_open"
        assert Enrollment.objects.count() == 1

    def test_a_missing_field_is_drfs_400(self, world):
        response = client_for(world.owner).post(
            list_url(), {"merchant": world.merchant.pk}, format="json"
        )
        assert response.status_code == 400
        assert "cohort" in error_fields(response)


@pytest.mark.django_db
class TestSteps:
    def test_every_step_has_its_route(self):
        for step in STEPS:
            assert step_url(EnrollmentFactory.build(pk=1), step).endswith(f"/1/{step}/")

    def test_a_reviewer_approves(self, world):
        enrollment = in_review(world)

        response = client_for(world.reviewer).post(
            step_url(enrollment, "approve"), {"reason": "Strong case"}, format="json"
        )

        assert response.status_code == 200, response.data
        assert response.data["state"] == "approved"
        enrollment.refresh_from_db()
        assert enrollment.state == S.APPROVED
        event = enrollment.events.order_by("-id").first()
        assert (event.actor, event.reason) == (world.reviewer, "Strong case")

    def test_a_merchant_cannot_approve(self, world):
        enrollment = in_review(world)

        response = client_for(world.owner).post(step_url(enrollment, "approve"))

        assert response.status_code == 403
        assert response.data["error"]["code"] == "forbidden"
        enrollment.refresh_from_db()
        assert enrollment.state == S.IN_REVIEW

    def test_approving_a_rejected_one_is_a_409(self, world):
        enrollment = in_review(world)
        reviewer = client_for(world.reviewer)
        assert reviewer.post(step_url(enrollment, "reject"), {"reason": "No"}).status_code == 200

        response = reviewer.post(step_url(enrollment, "approve"))

        assert response.status_code == 409
        assert response.data["error"]["code"] == "invalid_state"
        enrollment.refresh_from_db()
        assert enrollment.state == S.REJECTED

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    def test_rejecting_needs_a_reason(self, world, body):
        # Found from outside: the console asked for one, the API did not.
        enrollment = in_review(world)

        response = client_for(world.reviewer).post(
            step_url(enrollment, "reject"), body, format="json"
        )

        assert response.status_code == 400
        error = response.data["error"]
        assert (error["code"], error["field"]) == ("reason_required", "reason")
        assert "Give a reason to reject" in error["message"]
        enrollment.refresh_from_db()
        assert enrollment.state == S.IN_REVIEW

    @pytest.mark.parametrize("reason", ["x" * 2001, "nul\x00byte"])
    def test_a_reason_is_bounded(self, world, reason):
        enrollment = in_review(world)

        response = client_for(world.reviewer).post(
            step_url(enrollment, "reject"), {"reason": reason}, format="json"
        )

        assert response.status_code == 400
        if "\x00" in reason:
            assert response.data["error"]["code"] == "parse_error"
        else:
            assert error_fields(response) == {"reason"}
        enrollment.refresh_from_db()
        assert enrollment.state == S.IN_REVIEW

    def test_a_rejection_keeps_its_reason(self, world):
        enrollment = in_review(world)

        response = client_for(world.reviewer).post(
            step_url(enrollment, "reject"), {"reason": "x" * 2000}, format="json"
        )

        assert response.status_code == 200
        assert response.data["state"] == "rejected"
        assert response.data["events"][-1]["reason"] == "x" * 2000

    def test_a_full_cohort_waitlists_an_application_in_review(self, world):
        # enrollment_approve on an application in review with no seat left waitlists it.
        reviewer = client_for(world.reviewer)
        first, second, third = (
            in_review(world, merchant)
            for merchant in (
                world.merchant,
                MerchantFactory(belt=world.belt),
                MerchantFactory(belt=world.belt),
            )
        )
        for enrollment in (first, second):
            assert reviewer.post(step_url(enrollment, "approve")).data["state"] == "approved"

        response = reviewer.post(step_url(third, "approve"))

        assert response.status_code == 200
        assert response.data["state"] == "waitlisted"
        last = response.data["events"][-1]
        assert (last["reason"], last["reason_code"]) == ("", ReasonCode.NO_SEAT_WAITLISTED)
        assert last["reason_text"] == "All 2 seats are taken: waitlisted."
        assert Enrollment.objects.filter(cohort=world.cohort, state=S.APPROVED).count() == 2

    def test_approving_a_waitlisted_one_in_a_full_cohort_is_a_409(self, world):
        reviewer = client_for(world.reviewer)
        merchants = [
            world.merchant,
            MerchantFactory(belt=world.belt),
            MerchantFactory(belt=world.belt),
        ]
        first, second, third = (in_review(world, merchant) for merchant in merchants)
        for enrollment in (first, second, third):
            reviewer.post(step_url(enrollment, "approve"))

        response = reviewer.post(step_url(third, "approve"))

        assert response.status_code == 409
        assert response.data["error"]["code"] == "cohort_full"
        third.refresh_from_db()
        assert third.state == S.WAITLISTED

    def test_withdrawing_frees_a_seat_for_the_waitlist(self, world):
        reviewer = client_for(world.reviewer)
        merchants = [
            world.merchant,
            MerchantFactory(belt=world.belt),
            MerchantFactory(belt=world.belt),
        ]
        first, second, third = (in_review(world, merchant) for merchant in merchants)
        for enrollment in (first, second, third):
            reviewer.post(step_url(enrollment, "approve"))
        third.refresh_from_db()
        assert third.state == S.WAITLISTED

        response = client_for(world.owner).post(
            step_url(first, "withdraw"), {"reason": "Changed our plans"}, format="json"
        )

        assert response.status_code == 200, response.data
        assert response.data["state"] == "withdrawn"
        third.refresh_from_db()
        assert third.state == S.APPROVED
        promotion = third.events.order_by("-id").first()
        assert (promotion.actor, promotion.reason_code) == (None, ReasonCode.PROMOTED)
        assert Enrollment.objects.filter(cohort=world.cohort, state=S.APPROVED).count() == 2

    def test_a_manager_activates_graduates_and_a_reviewer_may_not(self, world):
        enrollment = in_review(world)
        client_for(world.reviewer).post(step_url(enrollment, "approve"))

        refused = client_for(world.reviewer).post(step_url(enrollment, "activate"))
        assert refused.status_code == 403

        manager = client_for(world.manager)
        assert manager.post(step_url(enrollment, "activate")).data["state"] == "active"
        graduated = manager.post(step_url(enrollment, "graduate"))
        assert graduated.status_code == 200
        assert graduated.data["state"] == "graduated"
        assert graduated.data["available_steps"] == []

    def test_a_manager_revokes(self, world):
        enrollment = in_review(world)
        client_for(world.reviewer).post(step_url(enrollment, "approve"))

        response = client_for(world.manager).post(
            step_url(enrollment, "revoke"), {"reason": "Broke the rules"}, format="json"
        )

        assert response.status_code == 200
        assert response.data["state"] == "revoked"

    def test_submitting_a_draft_with_a_staff_override(self, world):
        merchant = MerchantFactory(belt=world.belt)
        reviewer = client_for(world.reviewer)
        draft = reviewer.post(
            list_url(),
            {"cohort": world.cohort.pk, "merchant": merchant.pk, "submit": False},
            format="json",
        ).data

        refused = reviewer.post(
            reverse("api:enrollment-submit", args=[draft["id"]]), {}, format="json"
        )
        assert refused.status_code == 400
        assert refused.data["error"]["code"] == "not_eligible"

        no_reason = reviewer.post(
            reverse("api:enrollment-submit", args=[draft["id"]]),
            {"override_eligibility": True},
            format="json",
        )
        assert no_reason.status_code == 400
        assert no_reason.data["error"]["code"] == "override_reason_required"

        response = reviewer.post(
            reverse("api:enrollment-submit", args=[draft["id"]]),
            {"override_eligibility": True, "reason": "New factory, figures pending"},
            format="json",
        )
        assert response.status_code == 200, response.data
        assert response.data["state"] == "submitted"

    def test_anonymous_is_refused(self, world, api_client):
        enrollment = EnrollmentFactory(merchant=world.merchant, cohort=world.cohort)
        assert api_client.post(step_url(enrollment, "withdraw")).status_code == 401
        enrollment.refresh_from_db()
        assert enrollment.state == S.DRAFT
