"""The enrollment workflow: every step allowed and refused by state and by role, its guards,
seats and the waitlist, bulk approval, expiry, graduation proposals, events and notifications."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from belts.choices import CenterRole
from merchants.choices import MembershipRole, NotificationChannel, NotificationKind
from merchants.models import Notification
from programs import tasks
from programs.choices import OPEN_ENROLLMENT_STATES, EnrollmentState
from programs.exceptions import (
    EnrollmentAlreadyOpen,
    EnrollmentBeltRestricted,
    EnrollmentCohortFull,
    EnrollmentError,
    EnrollmentForbidden,
    EnrollmentNotEligible,
    EnrollmentOverrideReasonRequired,
    EnrollmentProgramInactive,
    EnrollmentReasonInvalid,
    EnrollmentReasonRequired,
    EnrollmentStateError,
    EnrollmentWindowClosed,
    ProgramError,
)
from programs.models import Eligibility, Enrollment, EnrollmentEvent
from programs.reasons import ReasonCode
from programs.services import enrollments as services
from programs.services.enrollments import (
    enrollment_activate,
    enrollment_apply,
    enrollment_approve,
    enrollment_available_steps,
    enrollment_create_draft,
    enrollment_drafts_expire,
    enrollment_graduate,
    enrollment_graduation_propose_due,
    enrollment_reject,
    enrollment_revoke,
    enrollment_roles,
    enrollment_start_review,
    enrollment_submit,
    enrollment_waitlist,
    enrollment_withdraw,
    enrollments_approve_bulk,
)
from programs.workflow import EnrollmentWorkflow, Role
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
    UserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
)
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    PublishedRuleSetFactory,
)
from tests.utils.world import served_merchant

pytestmark = pytest.mark.django_db

S = EnrollmentState
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    """A belt served by one center (a reviewer and a manager), a merchant of that belt with an
    owner and an operator and current eligibility, a ten-seat cohort; and people who are nobody
    to the merchant: a manager of another center, a user without a role."""
    served = served_merchant()
    belt, center, merchant = served.belt, served.center, served.merchant
    other_center = served_merchant().center
    cohort = CohortFactory(seats=10)
    rule_set = PublishedRuleSetFactory(program=cohort.program)
    EligibilityFactory(merchant=merchant, rule_set=rule_set)
    users = {
        "owner": MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user,
        "operator": MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user,
        "reviewer": OperationCenterMembershipFactory(center=center, role=CenterRole.REVIEWER).user,
        "manager": OperationCenterMembershipFactory(center=center, role=CenterRole.MANAGER).user,
        "other_center": OperationCenterMembershipFactory(
            center=other_center, role=CenterRole.MANAGER
        ).user,
        "stranger": UserFactory(),
        "superuser": SuperUserFactory(),
    }
    return SimpleNamespace(
        belt=belt,
        center=center,
        merchant=merchant,
        cohort=cohort,
        program=cohort.program,
        rule_set=rule_set,
        users=users,
        **users,
    )


def enrollment_in(world, state, **kwargs):
    kwargs.setdefault("merchant", world.merchant)
    stamps = {}
    if state not in (S.DRAFT,):
        stamps["submitted_at"] = timezone.now() - DAY
    if state == S.WAITLISTED:
        stamps["waitlisted_at"] = timezone.now() - DAY
    return EnrollmentFactory(
        cohort=kwargs.pop("cohort", world.cohort), state=state, **stamps, **kwargs
    )


def events(enrollment):
    return list(
        EnrollmentEvent.objects.filter(enrollment=enrollment)
        .order_by("pk")
        .values_list("from_state", "to_state", "actor_id", "reason")
    )


def notes(enrollment):
    """What the workflow wrote itself on each event: (code, parameters)."""
    return list(
        EnrollmentEvent.objects.filter(enrollment=enrollment)
        .order_by("pk")
        .values_list("reason_code", "reason_params")
    )


def merchant_messages(enrollment):
    return Notification.objects.filter(
        merchant_id=enrollment.merchant_id,
        kind=NotificationKind.ENROLLMENT_CHANGED,
        channel=NotificationChannel.IN_APP,
    )


# The graph ---------------------------------------------------------------------------------------
def test_the_machine_knows_every_state_and_no_other():
    assert {state.value for state in EnrollmentWorkflow.states} == set(S.values)
    assert EnrollmentWorkflow.initial_state.value == S.DRAFT


def test_the_machine_drives_the_models_state_field(world):
    enrollment = enrollment_in(world, S.IN_REVIEW)
    machine = EnrollmentWorkflow(model=enrollment)

    assert {event.id for event in machine.allowed_events} == {
        "approve",
        "waitlist",
        "reject",
        "withdraw",
    }
    machine.send("approve")
    assert enrollment.state == S.APPROVED


def test_the_whole_way_from_draft_to_graduation(world):
    enrollment = enrollment_create_draft(
        merchant=world.merchant, cohort=world.cohort, actor=world.owner
    )
    enrollment = enrollment_submit(enrollment=enrollment, actor=world.operator)
    enrollment = enrollment_start_review(enrollment=enrollment, actor=world.reviewer)
    enrollment = enrollment_approve(enrollment=enrollment, actor=world.reviewer, reason="strong")
    enrollment = enrollment_activate(enrollment=enrollment, actor=world.manager)
    enrollment = enrollment_graduate(enrollment=enrollment, actor=world.manager)

    enrollment.refresh_from_db()
    assert enrollment.state == S.GRADUATED
    assert enrollment.created_by == world.owner
    assert enrollment.submitted_at
    assert enrollment.decided_at
    assert enrollment.submitted_at <= enrollment.decided_at <= enrollment.state_changed_at
    assert events(enrollment) == [
        ("", S.DRAFT, world.owner.pk, ""),
        (S.DRAFT, S.SUBMITTED, world.operator.pk, ""),
        (S.SUBMITTED, S.IN_REVIEW, world.reviewer.pk, ""),
        (S.IN_REVIEW, S.APPROVED, world.reviewer.pk, "strong"),
        (S.APPROVED, S.ACTIVE, world.manager.pk, ""),
        (S.ACTIVE, S.GRADUATED, world.manager.pk, ""),
    ]
    # Steps people take carry no note of the workflow's.
    assert {code for code, _params in notes(enrollment)} == {""}
    # One in-app message to the merchant per step, each keyed by its event.
    keys = set(merchant_messages(enrollment).values_list("dedupe_key", flat=True))
    assert keys == {
        f"enrollment:{enrollment.pk}:{event_id}:in_app"
        for event_id in enrollment.events.values_list("pk", flat=True)
    }


# By role -----------------------------------------------------------------------------------------
# Written out, not derived from the permission table: this is the specification.
ALLOWED = {
    "submit": {"owner", "operator", "reviewer", "manager", "superuser"},
    "start_review": {"reviewer", "manager", "superuser"},
    "approve": {"reviewer", "manager", "superuser"},
    "waitlist": {"reviewer", "manager", "superuser"},
    "reject": {"reviewer", "manager", "superuser"},
    "activate": {"manager", "superuser"},
    "graduate": {"manager", "superuser"},
    "revoke": {"manager", "superuser"},
    "withdraw": {"owner", "operator", "superuser"},
}
STEPS = {
    "submit": (enrollment_submit, S.DRAFT, S.SUBMITTED),
    "start_review": (enrollment_start_review, S.SUBMITTED, S.IN_REVIEW),
    "approve": (enrollment_approve, S.IN_REVIEW, S.APPROVED),
    "waitlist": (enrollment_waitlist, S.IN_REVIEW, S.WAITLISTED),
    "reject": (enrollment_reject, S.IN_REVIEW, S.REJECTED),
    "activate": (enrollment_activate, S.APPROVED, S.ACTIVE),
    "graduate": (enrollment_graduate, S.ACTIVE, S.GRADUATED),
    "revoke": (enrollment_revoke, S.ACTIVE, S.REVOKED),
    "withdraw": (enrollment_withdraw, S.SUBMITTED, S.WITHDRAWN),
}
ROLES = ["owner", "operator", "reviewer", "manager", "other_center", "stranger", "superuser"]
# A rejection needs a written reason; the other steps take one if given.
REASONS = {"reject": "Refund rate too high."}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", list(STEPS))
def test_each_step_by_role(world, step, role):
    service, source, target = STEPS[step]
    enrollment = enrollment_in(world, source)
    actor = world.users[role]

    reason = {"reason": REASONS[step]} if step in REASONS else {}

    if role in ALLOWED[step]:
        result = service(enrollment=enrollment, actor=actor, **reason)
        assert result.state == target
        assert events(enrollment)[-1][:3] == (source, target, actor.pk)
    else:
        with pytest.raises(EnrollmentForbidden) as refused:
            service(enrollment=enrollment, actor=actor, **reason)
        assert refused.value.code == "forbidden"
        enrollment.refresh_from_db()
        assert enrollment.state == source
        assert not enrollment.events.exists()


def test_an_inactive_user_may_do_nothing(world):
    world.reviewer.is_active = False
    world.reviewer.save()
    enrollment = enrollment_in(world, S.SUBMITTED)

    with pytest.raises(EnrollmentForbidden):
        enrollment_start_review(enrollment=enrollment, actor=world.reviewer)


def test_roles_and_available_steps(world):
    enrollment = enrollment_in(world, S.IN_REVIEW)

    assert enrollment_roles(user=world.owner, merchant=world.merchant) == {Role.MERCHANT}
    assert enrollment_roles(user=world.manager, merchant=world.merchant) == {Role.MANAGER}
    assert enrollment_roles(user=world.other_center, merchant=world.merchant) == set()
    assert enrollment_available_steps(enrollment=enrollment, user=world.owner) == ["withdraw"]
    assert enrollment_available_steps(enrollment=enrollment, user=world.reviewer) == [
        "approve",
        "waitlist",
        "reject",
    ]
    assert enrollment_available_steps(enrollment=enrollment, user=world.stranger) == []


# By state ----------------------------------------------------------------------------------------
SOURCES = {
    "submit": {S.DRAFT},
    "start_review": {S.SUBMITTED},
    "approve": {S.IN_REVIEW, S.WAITLISTED},
    "waitlist": {S.IN_REVIEW},
    "reject": {S.IN_REVIEW, S.WAITLISTED},
    "activate": {S.APPROVED},
    "graduate": {S.ACTIVE},
    "revoke": {S.APPROVED, S.ACTIVE},
    "withdraw": set(OPEN_ENROLLMENT_STATES),
}


@pytest.mark.parametrize("state", S.values)
@pytest.mark.parametrize("step", list(STEPS))
def test_each_step_by_state(world, step, state):
    """The superuser may do everything: what is refused here is refused by the state."""
    service, _source, target = STEPS[step]
    enrollment = enrollment_in(world, state)

    reason = REASONS.get(step, "")

    if state in SOURCES[step]:
        result = service(enrollment=enrollment, actor=world.superuser, reason=reason)
        assert result.state == target
        assert events(enrollment) == [(state, target, world.superuser.pk, reason)]
    else:
        with pytest.raises(EnrollmentStateError) as refused:
            service(enrollment=enrollment, actor=world.superuser, reason=reason)
        assert refused.value.code == "invalid_state"
        enrollment.refresh_from_db()
        assert enrollment.state == state
        assert not enrollment.events.exists()


def test_refusals_say_what_and_why(world):
    enrollment = enrollment_in(world, S.WITHDRAWN)
    with pytest.raises(EnrollmentStateError) as by_state:
        enrollment_approve(enrollment=enrollment, actor=world.superuser)
    with pytest.raises(EnrollmentForbidden) as by_role:
        enrollment_approve(enrollment=enrollment, actor=world.owner)

    assert by_state.value.message == "You cannot approve this application: it is withdrawn."
    assert by_role.value.message == (
        f"You are not allowed to approve the application of {world.merchant.shop_name}."
    )


def test_a_refusal_names_the_merchant_only_to_who_may_see_it(world):
    # A reviewer of another center reaching the service learns no shop name.
    enrollment = enrollment_in(world, S.IN_REVIEW)
    for role in ("other_center", "stranger"):
        with pytest.raises(EnrollmentForbidden) as refused:
            enrollment_approve(enrollment=enrollment, actor=world.users[role])
        assert refused.value.message == "You are not allowed to approve this application."
        with pytest.raises(EnrollmentForbidden) as refused:
            enrollment_create_draft(
                merchant=world.merchant, cohort=world.cohort, actor=world.users[role]
            )
        assert world.merchant.shop_name not in refused.value.message
        with pytest.raises(EnrollmentForbidden) as refused:
            enrollments_approve_bulk(enrollments=[enrollment], actor=world.users[role])
        assert world.merchant.shop_name not in refused.value.message
    # The merchant's own users see it named.
    with pytest.raises(EnrollmentForbidden) as refused:
        enrollment_reject(enrollment=enrollment, actor=world.operator, reason="no")
    assert world.merchant.shop_name in refused.value.message


# Reasons -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["", "  \n\t "])
@pytest.mark.parametrize("state", [S.IN_REVIEW, S.WAITLISTED])
def test_a_rejection_needs_a_reason(world, reason, state):
    enrollment = enrollment_in(world, state)

    with pytest.raises(EnrollmentReasonRequired) as refused:
        enrollment_reject(enrollment=enrollment, actor=world.reviewer, reason=reason)

    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert refused.value.message == (
        "Give a reason to reject an application: the merchant is told it."
    )
    enrollment.refresh_from_db()
    assert enrollment.state == state
    assert not enrollment.events.exists()
    assert not merchant_messages(enrollment).exists()


def test_who_may_not_reject_is_told_so_before_any_reason(world):
    enrollment = enrollment_in(world, S.IN_REVIEW)
    with pytest.raises(EnrollmentForbidden):
        enrollment_reject(enrollment=enrollment, actor=world.owner)
    with pytest.raises(EnrollmentStateError):
        enrollment_reject(enrollment=enrollment_in(world, S.REJECTED), actor=world.reviewer)


def test_a_reason_is_kept_stripped(world):
    enrollment = enrollment_in(world, S.IN_REVIEW)
    enrollment_reject(enrollment=enrollment, actor=world.reviewer, reason="  Refund rate.\n")
    assert events(enrollment)[-1][3] == "Refund rate."


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize(
    ("reason", "code"), [("x" * 2001, "too_long"), ("a\x00b", "null_character"), (5, "invalid")]
)
def test_every_step_bounds_its_reason(world, step, reason, code):
    service, source, _target = STEPS[step]
    enrollment = enrollment_in(world, source)

    with pytest.raises(EnrollmentReasonInvalid) as refused:
        service(enrollment=enrollment, actor=world.superuser, reason=reason)

    assert (refused.value.code, refused.value.field) == (code, "reason")
    enrollment.refresh_from_db()
    assert enrollment.state == source
    assert not enrollment.events.exists()


def test_starting_and_bulk_approving_bound_their_reason_too(world):
    with pytest.raises(EnrollmentReasonInvalid):
        enrollment_create_draft(
            merchant=world.merchant, cohort=world.cohort, actor=world.owner, reason="x" * 2001
        )
    enrollment = enrollment_in(world, S.IN_REVIEW)
    with pytest.raises(EnrollmentReasonInvalid):
        enrollments_approve_bulk(enrollments=[enrollment], actor=world.reviewer, reason="\x00")
    assert not EnrollmentEvent.objects.exists()
    enrollment_reject(enrollment=enrollment, actor=world.reviewer, reason="x" * 2000)
    assert events(enrollment)[-1][3] == "x" * 2000


def test_errors_are_one_family_with_a_message():
    for error in (EnrollmentForbidden, EnrollmentStateError, EnrollmentCohortFull):
        assert issubclass(error, EnrollmentError)
        assert issubclass(error, ProgramError)
    assert EnrollmentOverrideReasonRequired("x").field == "eligibility_override_reason"


# Creating a draft --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("owner", True),
        ("operator", True),
        ("reviewer", True),
        ("manager", True),
        ("superuser", True),
        ("other_center", False),
        ("stranger", False),
    ],
)
def test_who_may_start_an_application(world, role, allowed):
    actor = world.users[role]
    if allowed:
        enrollment = enrollment_create_draft(
            merchant=world.merchant, cohort=world.cohort, actor=actor
        )
        assert enrollment.state == S.DRAFT
        assert enrollment.program == world.program
        assert events(enrollment) == [("", S.DRAFT, actor.pk, "")]
    else:
        with pytest.raises(EnrollmentForbidden):
            enrollment_create_draft(merchant=world.merchant, cohort=world.cohort, actor=actor)
        assert not Enrollment.objects.exists()


def test_a_second_open_application_to_the_program_is_refused(world):
    enrollment_create_draft(merchant=world.merchant, cohort=world.cohort, actor=world.owner)
    other_cohort = CohortFactory(program=world.program)

    with pytest.raises(EnrollmentAlreadyOpen) as refused:
        enrollment_create_draft(merchant=world.merchant, cohort=other_cohort, actor=world.owner)

    assert refused.value.code == "already_open"
    assert world.merchant.shop_name in str(refused.value.message)
    assert Enrollment.objects.count() == 1


def test_a_closed_application_does_not_block_a_new_one(world):
    enrollment_in(world, S.REJECTED)

    again = enrollment_create_draft(
        merchant=world.merchant, cohort=CohortFactory(program=world.program), actor=world.owner
    )

    assert again.state == S.DRAFT


def test_no_draft_once_the_window_has_closed(world):
    closed = CohortFactory(
        program=world.program,
        application_opens_at=timezone.now() - 10 * DAY,
        application_closes_at=timezone.now() - DAY,
    )
    with pytest.raises(EnrollmentWindowClosed):
        enrollment_create_draft(merchant=world.merchant, cohort=closed, actor=world.owner)


def test_a_program_switched_off_takes_no_application(world):
    world.program.is_active = False
    world.program.save(update_fields=["is_active"])
    for submit in (False, True):
        with pytest.raises(EnrollmentProgramInactive) as refused:
            enrollment_apply(
                merchant=world.merchant, cohort=world.cohort, actor=world.owner, submit=submit
            )
        assert refused.value.code == "program_inactive"
    assert not Enrollment.objects.filter(merchant=world.merchant).exists()


def test_applying_starts_and_submits_in_one_step(world):
    enrollment = enrollment_apply(merchant=world.merchant, cohort=world.cohort, actor=world.owner)

    assert enrollment.state == S.SUBMITTED
    assert [(row[0], row[1]) for row in events(enrollment)] == [
        ("", S.DRAFT),
        (S.DRAFT, S.SUBMITTED),
    ]


def test_applying_in_one_step_tells_the_merchant_once_that_it_was_submitted(world):
    enrollment = enrollment_apply(merchant=world.merchant, cohort=world.cohort, actor=world.owner)

    # In-app and each member's e-mail: "submitted" only, no "started, please submit".
    told = Notification.objects.filter(kind=NotificationKind.ENROLLMENT_CHANGED)
    assert sorted((n.channel, n.payload["to"]) for n in told) == [
        (NotificationChannel.EMAIL, S.SUBMITTED),
        (NotificationChannel.EMAIL, S.SUBMITTED),
        (NotificationChannel.IN_APP, S.SUBMITTED),
    ]
    assert "submitted" in merchant_messages(enrollment).get().subject
    # The reviewers are told too, once.
    assert (
        Notification.objects.filter(
            kind=NotificationKind.REVIEW_AWAITING, channel=NotificationChannel.IN_APP
        ).count()
        == 1
    )


def test_a_draft_kept_for_later_is_announced_as_started(world):
    enrollment = enrollment_apply(
        merchant=world.merchant, cohort=world.cohort, actor=world.owner, submit=False
    )

    assert enrollment.state == S.DRAFT
    (message,) = merchant_messages(enrollment)
    assert message.payload["to"] == S.DRAFT
    assert message.subject.startswith("Application started")


def test_applying_leaves_no_draft_when_the_submission_is_refused(world):
    Eligibility.objects.filter(merchant=world.merchant).update(is_eligible=False)
    with pytest.raises(EnrollmentNotEligible):
        enrollment_apply(merchant=world.merchant, cohort=world.cohort, actor=world.owner)
    assert not Enrollment.objects.filter(merchant=world.merchant).exists()
    # With staff's written override, the same application goes through.
    enrollment = enrollment_apply(
        merchant=world.merchant, cohort=world.cohort, actor=world.reviewer, override_reason="ok"
    )
    assert enrollment.state == S.SUBMITTED


def test_a_draft_before_the_window_opens_is_allowed_but_cannot_be_submitted(world):
    early = CohortFactory(
        program=world.program,
        application_opens_at=timezone.now() + DAY,
        application_closes_at=timezone.now() + 10 * DAY,
    )
    enrollment = enrollment_create_draft(merchant=world.merchant, cohort=early, actor=world.owner)

    with pytest.raises(EnrollmentWindowClosed) as refused:
        enrollment_submit(enrollment=enrollment, actor=world.owner)
    assert refused.value.code == "window_closed"


def test_belt_restriction_when_starting(world):
    restricted = CohortFactory(program=world.program, belt=IndustrialBeltFactory())

    with pytest.raises(EnrollmentBeltRestricted):
        enrollment_create_draft(merchant=world.merchant, cohort=restricted, actor=world.owner)

    own_belt = CohortFactory(program=world.program, belt=world.belt)
    assert enrollment_create_draft(merchant=world.merchant, cohort=own_belt, actor=world.owner)


# Submitting --------------------------------------------------------------------------------------
def test_submitting_after_the_window_closed_is_refused(world):
    enrollment = enrollment_in(world, S.DRAFT)
    world.cohort.application_opens_at = timezone.now() - 10 * DAY
    world.cohort.application_closes_at = timezone.now() - DAY
    world.cohort.save()

    with pytest.raises(EnrollmentWindowClosed):
        enrollment_submit(enrollment=enrollment, actor=world.owner)
    enrollment.refresh_from_db()
    assert enrollment.state == S.DRAFT


def test_submitting_checks_the_belt_again(world):
    enrollment = enrollment_in(world, S.DRAFT)
    world.cohort.belt = IndustrialBeltFactory()
    world.cohort.save()

    with pytest.raises(EnrollmentBeltRestricted) as refused:
        enrollment_submit(enrollment=enrollment, actor=world.owner)
    assert refused.value.code == "belt_restricted"


@pytest.mark.parametrize("eligibility", ["not eligible", "never evaluated"])
def test_a_merchant_that_is_not_eligible_cannot_submit(world, eligibility):
    if eligibility == "not eligible":
        world.merchant.eligibilities.update(is_eligible=False)
    else:
        world.merchant.eligibilities.all().delete()
    enrollment = enrollment_in(world, S.DRAFT)

    with pytest.raises(EnrollmentNotEligible) as refused:
        enrollment_submit(enrollment=enrollment, actor=world.owner)
    assert refused.value.code == "not_eligible"


def test_eligibility_for_another_program_does_not_count(world):
    other = MerchantFactory(belt=world.belt)
    MerchantMembershipFactory(merchant=other, user=world.owner, role=MembershipRole.OPERATOR)
    EligibilityFactory(merchant=other)  # eligible, for some other program
    enrollment = enrollment_in(world, S.DRAFT, merchant=other)

    with pytest.raises(EnrollmentNotEligible):
        enrollment_submit(enrollment=enrollment, actor=world.owner)


@pytest.mark.parametrize("role", ["reviewer", "manager", "superuser"])
def test_staff_override_eligibility_with_a_written_reason(world, role):
    world.merchant.eligibilities.update(is_eligible=False)
    enrollment = enrollment_in(world, S.DRAFT)
    actor = world.users[role]

    result = enrollment_submit(
        enrollment=enrollment,
        actor=actor,
        override_eligibility=True,
        reason="  Flood-hit factory; metrics will recover.  ",
    )

    assert result.state == S.SUBMITTED
    result.refresh_from_db()
    assert result.eligibility_override_reason == "Flood-hit factory; metrics will recover."
    assert events(result) == [
        (S.DRAFT, S.SUBMITTED, actor.pk, "Flood-hit factory; metrics will recover.")
    ]
    assert notes(result) == [(ReasonCode.ELIGIBILITY_OVERRIDDEN, {})]


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(world, reason):
    world.merchant.eligibilities.update(is_eligible=False)
    enrollment = enrollment_in(world, S.DRAFT)

    with pytest.raises(EnrollmentOverrideReasonRequired) as refused:
        enrollment_submit(
            enrollment=enrollment, actor=world.reviewer, override_eligibility=True, reason=reason
        )
    assert refused.value.field == "eligibility_override_reason"
    enrollment.refresh_from_db()
    assert enrollment.state == S.DRAFT


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_a_merchant_cannot_override_its_own_eligibility(world, role):
    world.merchant.eligibilities.update(is_eligible=False)
    enrollment = enrollment_in(world, S.DRAFT)

    with pytest.raises(EnrollmentForbidden):
        enrollment_submit(
            enrollment=enrollment,
            actor=world.users[role],
            override_eligibility=True,
            reason="please",
        )


def test_an_eligible_merchant_needs_no_override_and_records_none(world):
    enrollment = enrollment_in(world, S.DRAFT)

    result = enrollment_submit(
        enrollment=enrollment, actor=world.reviewer, override_eligibility=True, reason="in case"
    )

    result.refresh_from_db()
    assert result.state == S.SUBMITTED
    assert result.eligibility_override_reason == ""


def test_a_submission_notifies_the_merchant_and_the_reviewers_serving_its_belt(world):
    second_reviewer = OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[world.belt]), role=CenterRole.REVIEWER
    ).user
    OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[IndustrialBeltFactory()]), role=CenterRole.REVIEWER
    )  # serves another belt: not told
    enrollment = enrollment_in(world, S.DRAFT)

    enrollment_submit(enrollment=enrollment, actor=world.owner)

    event = enrollment.events.get()
    merchant_side = Notification.objects.filter(kind=NotificationKind.ENROLLMENT_CHANGED)
    assert {(n.channel, n.recipient_id) for n in merchant_side} == {
        (NotificationChannel.IN_APP, None),
        (NotificationChannel.EMAIL, world.owner.pk),
        (NotificationChannel.EMAIL, world.operator.pk),
    }
    in_app = merchant_side.get(channel=NotificationChannel.IN_APP)
    assert in_app.dedupe_key == f"enrollment:{enrollment.pk}:{event.pk}:in_app"
    assert in_app.merchant_id == world.merchant.pk
    assert set(in_app.payload["texts"]) == {"en", "zh-hans"}
    assert in_app.payload["to"] == S.SUBMITTED
    assert world.cohort.name in in_app.subject

    awaiting = Notification.objects.filter(
        kind=NotificationKind.REVIEW_AWAITING, channel=NotificationChannel.IN_APP
    )
    assert set(awaiting.values_list("recipient_id", flat=True)) == {
        world.reviewer.pk,
        second_reviewer.pk,
    }
    assert world.merchant.shop_name in awaiting.first().subject


def test_every_step_notifies_the_merchant_once(world):
    enrollment = enrollment_in(world, S.SUBMITTED)

    enrollment_start_review(enrollment=enrollment, actor=world.reviewer)
    enrollment_reject(enrollment=enrollment, actor=world.reviewer, reason="Refund rate too high.")

    messages = merchant_messages(enrollment).order_by("pk")
    assert [m.payload["to"] for m in messages] == [S.IN_REVIEW, S.REJECTED]
    assert "Refund rate too high." in messages.last().body
    assert not Notification.objects.filter(kind=NotificationKind.REVIEW_AWAITING).exists()


# Seats and the waitlist --------------------------------------------------------------------------
def fill(world, seats, *, taken, waiting=0):
    """A cohort of ``seats`` with ``taken`` approved and ``waiting`` waitlisted enrollments
    (waitlisted a minute apart, in the reverse order of their ids)."""
    cohort = CohortFactory(program=world.program, seats=seats)
    approved = [
        EnrollmentFactory(cohort=cohort, merchant__belt=world.belt, state=S.APPROVED)
        for _ in range(taken)
    ]
    base = timezone.now() - DAY
    waitlisted = [
        EnrollmentFactory(cohort=cohort, merchant__belt=world.belt, state=S.WAITLISTED)
        for _ in range(waiting)
    ]
    for minutes, enrollment in enumerate(reversed(waitlisted)):
        enrollment.waitlisted_at = base + datetime.timedelta(minutes=minutes)
        enrollment.save(update_fields=["waitlisted_at"])
    return cohort, approved, list(reversed(waitlisted))  # in waitlist order


def test_approving_with_every_seat_taken_waitlists(world):
    cohort, _approved, _ = fill(world, 2, taken=2)
    enrollment = enrollment_in(world, S.IN_REVIEW, cohort=cohort)

    result = enrollment_approve(enrollment=enrollment, actor=world.reviewer, reason="good")

    assert result.state == S.WAITLISTED
    assert result.waitlisted_at is not None
    # The reviewer's words stay as typed; the workflow's note is a code, with the seats.
    assert events(enrollment) == [(S.IN_REVIEW, S.WAITLISTED, world.reviewer.pk, "good")]
    assert notes(enrollment) == [(ReasonCode.NO_SEAT_WAITLISTED, {"seats": 2})]
    assert Enrollment.objects.filter(cohort=cohort, state=S.APPROVED).count() == 2


def test_approving_a_waitlisted_one_needs_a_free_seat(world):
    cohort, _approved, (first,) = fill(world, 1, taken=1, waiting=1)

    with pytest.raises(EnrollmentCohortFull):
        enrollment_approve(enrollment=first, actor=world.reviewer)

    cohort.seats = 2  # the center adds a seat
    cohort.save()
    assert enrollment_approve(enrollment=first, actor=world.reviewer).state == S.APPROVED


@pytest.mark.parametrize(
    ("ends", "service", "role"),
    [
        ("withdrawn", enrollment_withdraw, "owner"),
        ("revoked", enrollment_revoke, "manager"),
    ],
)
@pytest.mark.parametrize("held", [S.APPROVED, S.ACTIVE])
def test_a_seat_freed_early_goes_to_the_first_of_the_waitlist(world, ends, service, role, held):
    cohort, _approved, waitlist = fill(world, 2, taken=1, waiting=3)
    leaving = enrollment_in(world, held, cohort=cohort)

    service(enrollment=leaving, actor=world.users[role], reason="leaving")

    states = dict(Enrollment.objects.filter(cohort=cohort).values_list("pk", "state"))
    assert states[leaving.pk] == ends
    # The earliest waitlisted (not the lowest id) takes the seat; the others keep their place.
    assert [states[e.pk] for e in waitlist] == [S.APPROVED, S.WAITLISTED, S.WAITLISTED]
    assert events(waitlist[0]) == [(S.WAITLISTED, S.APPROVED, None, "")]
    assert notes(waitlist[0]) == [(ReasonCode.PROMOTED, {})]
    assert merchant_messages(waitlist[0]).get().payload["to"] == S.APPROVED
    assert Enrollment.objects.filter(cohort=cohort, state__in=[S.APPROVED, S.ACTIVE]).count() == 2


def test_promotions_follow_the_waitlist_in_order(world):
    _cohort, approved, waitlist = fill(world, 2, taken=2, waiting=3)
    for enrollment in approved:
        MerchantMembershipFactory(merchant=enrollment.merchant, user=world.owner, role="operator")

    enrollment_withdraw(enrollment=approved[0], actor=world.owner)
    enrollment_withdraw(enrollment=approved[1], actor=world.owner)

    states = [Enrollment.objects.get(pk=e.pk).state for e in waitlist]
    assert states == [S.APPROVED, S.APPROVED, S.WAITLISTED]


def test_graduation_hands_no_seat_to_the_waitlist(world):
    full, _approved, (waiting,) = fill(world, 1, taken=0, waiting=1)
    active = enrollment_in(world, S.ACTIVE, cohort=full)

    enrollment_graduate(enrollment=active, actor=world.manager)  # the normal end, not early

    waiting.refresh_from_db()
    assert waiting.state == S.WAITLISTED


def test_withdrawing_an_enrollment_that_held_no_seat_leaves_the_waitlist_alone(world):
    _cohort, _approved, waitlist = fill(world, 1, taken=1, waiting=2)
    MerchantMembershipFactory(merchant=waitlist[1].merchant, user=world.owner, role="operator")

    enrollment_withdraw(enrollment=waitlist[1], actor=world.owner)

    assert Enrollment.objects.get(pk=waitlist[0].pk).state == S.WAITLISTED
    assert not EnrollmentEvent.objects.filter(enrollment=waitlist[0]).exists()


# Bulk approval -----------------------------------------------------------------------------------
def test_bulk_approval_fills_the_free_seats_in_order_of_submission(world):
    cohort, _approved, _ = fill(world, 3, taken=1)
    base = timezone.now() - 10 * DAY
    # Ids and submission times in different orders: submission decides.
    hours = [5, 1, 4, 2, 3]
    queue = [
        EnrollmentFactory(
            cohort=cohort,
            merchant__belt=world.belt,
            state=S.IN_REVIEW,
            submitted_at=base + datetime.timedelta(hours=h),
        )
        for h in hours
    ]
    by_submission = [e.pk for _h, e in sorted(zip(hours, queue, strict=True))]
    draft = EnrollmentFactory(cohort=cohort, merchant__belt=world.belt, state=S.SUBMITTED)

    result = enrollments_approve_bulk(
        enrollments=[*queue, draft], actor=world.reviewer, reason="batch"
    )

    assert result.approved == by_submission[:2]
    assert result.waitlisted == by_submission[2:]
    assert list(result.skipped) == [draft.pk]
    waitlist_order = list(
        Enrollment.objects.filter(cohort=cohort, state=S.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .values_list("pk", flat=True)
    )
    assert waitlist_order == by_submission[2:]
    assert Enrollment.objects.filter(cohort=cohort, state=S.APPROVED).count() == 3
    assert EnrollmentEvent.objects.filter(enrollment__in=queue).count() == 5
    assert (
        Notification.objects.filter(
            kind=NotificationKind.ENROLLMENT_CHANGED, channel=NotificationChannel.IN_APP
        ).count()
        == 5
    )
    assert Enrollment.objects.get(pk=draft.pk).state == S.SUBMITTED


def test_bulk_approval_by_someone_who_may_not_changes_nothing(world):
    cohort, _approved, _ = fill(world, 5, taken=0)
    ours = EnrollmentFactory(cohort=cohort, merchant__belt=world.belt, state=S.IN_REVIEW)
    elsewhere = EnrollmentFactory(cohort=cohort, state=S.IN_REVIEW)  # a belt the center lacks

    with pytest.raises(EnrollmentForbidden):
        enrollments_approve_bulk(enrollments=[ours, elsewhere], actor=world.reviewer)

    assert set(Enrollment.objects.values_list("state", flat=True)) == {S.IN_REVIEW}
    assert not EnrollmentEvent.objects.exists()


def test_bulk_approval_across_cohorts(world):
    small, _approved, _ = fill(world, 1, taken=0)
    large, _approved, _ = fill(world, 5, taken=0)
    a, b = (
        EnrollmentFactory(cohort=small, merchant__belt=world.belt, state=S.IN_REVIEW)
        for _ in range(2)
    )
    c = EnrollmentFactory(cohort=large, merchant__belt=world.belt, state=S.IN_REVIEW)

    result = enrollments_approve_bulk(enrollments=[a, b, c], actor=world.manager)

    assert sorted(result.approved) == sorted([a.pk, c.pk])
    assert result.waitlisted == [b.pk]
    assert enrollments_approve_bulk(enrollments=[], actor=world.manager).approved == []


# Expiry ------------------------------------------------------------------------------------------
def test_drafts_expire_when_their_window_closes(world):
    closed = CohortFactory(
        program=world.program,
        application_opens_at=timezone.now() - 10 * DAY,
        application_closes_at=timezone.now() - DAY,
    )
    stale = enrollment_in(world, S.DRAFT, cohort=closed)
    fresh = EnrollmentFactory(cohort=world.cohort, state=S.DRAFT)
    submitted = EnrollmentFactory(cohort=closed, state=S.SUBMITTED)

    assert enrollment_drafts_expire() == 1
    assert enrollment_drafts_expire() == 0  # a second run changes nothing

    states = dict(Enrollment.objects.values_list("pk", "state"))
    assert states == {stale.pk: S.EXPIRED, fresh.pk: S.DRAFT, submitted.pk: S.SUBMITTED}
    assert events(stale) == [(S.DRAFT, S.EXPIRED, None, "")]
    assert notes(stale) == [(ReasonCode.WINDOW_CLOSED, {})]
    assert merchant_messages(stale).get().payload["to"] == S.EXPIRED
    # An expired application no longer blocks a new one.
    assert enrollment_create_draft(merchant=world.merchant, cohort=world.cohort, actor=world.owner)


def test_the_expiry_task_runs_the_service(world):
    closed = CohortFactory(
        program=world.program,
        application_opens_at=timezone.now() - 10 * DAY,
        application_closes_at=timezone.now() - DAY,
    )
    enrollment_in(world, S.DRAFT, cohort=closed)

    assert tasks.enrollment_drafts_expire.delay().get() == 1


# Graduation proposals ----------------------------------------------------------------------------
AS_OF = datetime.date(2026, 1, 15)
GMV_AT_LEAST_1M = [{"type": "gmv_between", "params": {"min": "1000000"}}]


def with_monthly_gmv(merchant, gmv):
    for month in range(1, 13):
        MonthlyMetricFactory(
            merchant=merchant, month=datetime.date(2025, month, 1), gmv=Decimal(gmv)
        )


def test_graduation_is_proposed_to_the_managers_once(world):
    world.cohort.graduation_criteria = GMV_AT_LEAST_1M
    world.cohort.save()
    ready = enrollment_in(world, S.ACTIVE)
    with_monthly_gmv(world.merchant, "150000")  # 1.8 M over the year
    not_yet = EnrollmentFactory(cohort=world.cohort, merchant__belt=world.belt, state=S.ACTIVE)
    with_monthly_gmv(not_yet.merchant, "50000")  # 0.6 M
    approved = EnrollmentFactory(cohort=world.cohort, merchant__belt=world.belt, state=S.APPROVED)
    with_monthly_gmv(approved.merchant, "150000")  # meets them, but is not active yet

    assert enrollment_graduation_propose_due(as_of=AS_OF) == 1
    assert enrollment_graduation_propose_due(as_of=AS_OF) == 0

    ready.refresh_from_db()
    assert ready.state == S.ACTIVE
    assert ready.graduation_proposed_at is not None
    assert events(ready) == [(S.ACTIVE, S.ACTIVE, None, "")]
    assert notes(ready) == [(ReasonCode.GRADUATION_PROPOSED, {})]
    assert Enrollment.objects.get(pk=not_yet.pk).graduation_proposed_at is None
    told = Notification.objects.filter(
        kind=NotificationKind.REVIEW_AWAITING, channel=NotificationChannel.IN_APP
    )
    assert list(told.values_list("recipient_id", flat=True)) == [world.manager.pk]
    assert world.merchant.shop_name in told.get().subject

    # A manager confirms.
    assert enrollment_graduate(enrollment=ready, actor=world.manager).state == S.GRADUATED


def test_no_proposal_without_graduation_criteria(world):
    enrollment_in(world, S.ACTIVE)
    with_monthly_gmv(world.merchant, "150000")

    assert enrollment_graduation_propose_due(as_of=AS_OF) == 0
    assert not Notification.objects.filter(kind=NotificationKind.REVIEW_AWAITING).exists()


def test_the_graduation_task_is_registered_and_runs(world):
    assert tasks.enrollment_graduation_propose_due.delay().get() == 0


# The transaction ---------------------------------------------------------------------------------
def test_a_refused_step_writes_nothing(world, monkeypatch):
    """The state, the event and the notifications are one transaction: a failure after the
    row was written leaves no trace."""
    enrollment = enrollment_in(world, S.DRAFT)

    def broken(*args, **kwargs):
        raise RuntimeError("notification store down")

    monkeypatch.setattr(services, "_notify_reviewers_of_submission", broken)
    with pytest.raises(RuntimeError):
        enrollment_submit(enrollment=enrollment, actor=world.owner)

    enrollment.refresh_from_db()
    assert enrollment.state == S.DRAFT
    assert not EnrollmentEvent.objects.exists()
    assert not Notification.objects.exists()


def test_delivery_is_queued_on_commit(world, django_capture_on_commit_callbacks):
    enrollment = enrollment_in(world, S.SUBMITTED)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrollment_start_review(enrollment=enrollment, actor=world.reviewer)

    assert callbacks
    assert merchant_messages(enrollment).get().delivered_at is not None
