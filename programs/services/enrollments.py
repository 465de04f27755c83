"""Enrollment services: a merchant's application to a cohort, from draft to graduation.

Every step is one transaction that locks the enrollment (and, for any step that takes or frees a
seat or touches the waitlist, the cohort first: cohort, then enrollment, always in that order, so
concurrent steps queue instead of deadlocking), checks who may take it and whether the graph
allows it (``programs.workflow``), checks the step's own guards, and writes the new state, an
``EnrollmentEvent`` and the notifications it causes. Notifications are delivered after commit.

Seats: a step that fills a seat counts the cohort's seat-holding enrollments while holding the
cohort's row lock, so two reviewers (or API clients) approving at once are served one after the
other and the second sees the first's approval: a cohort is never overbooked. A seat freed early
(withdrawn, revoked) goes to the waitlist in order, in the same transaction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from belts.choices import CenterRole
from belts.models import OperationCenterMembership
from core.language import localized_name
from merchants.choices import NotificationKind
from merchants.facts import DEFAULT_CHUNK_SIZE, merchant_facts_list
from merchants.models import Merchant, MerchantMembership
from merchants.scoping import visible_merchants
from merchants.services.notifications import (
    NotificationDraft,
    bilingual,
    drafts_for_merchant,
    drafts_for_users,
    merchant_audience,
    notifications_create,
)

from .. import workflow
from ..choices import OPEN_ENROLLMENT_STATES, SEAT_HOLDING_STATES, EnrollmentState
from ..criteria import criteria_from_json, evaluate_all
from ..exceptions import (
    CriterionError,
    EnrollmentAlreadyOpen,
    EnrollmentBeltRestricted,
    EnrollmentCohortFull,
    EnrollmentForbidden,
    EnrollmentNotEligible,
    EnrollmentOverrideReasonRequired,
    EnrollmentProgramInactive,
    EnrollmentReasonInvalid,
    EnrollmentReasonRequired,
    EnrollmentStateError,
    EnrollmentWindowClosed,
)
from ..models import Cohort, Eligibility, Enrollment, EnrollmentEvent
from ..reasons import ReasonCode
from ..selectors import cohort_seats_used
from ..workflow import Role, Step

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# The most characters of a reason a user gives with a step (the console's form says the same).
REASON_MAX_LENGTH = 2000

# What the workflow says itself is a code (programs.reasons), rendered in the reader's language;
# ``reason`` keeps only what a person typed.


# Who the actor is --------------------------------------------------------------------------------
_CENTER_ROLES: dict[str, Role] = {
    CenterRole.REVIEWER: Role.REVIEWER,
    CenterRole.MANAGER: Role.MANAGER,
}


class EnrollmentActor:
    """What one user is to each merchant, loaded once (two queries) and asked many times.

    ``None`` is the workflow itself (periodic tasks, waitlist promotion)."""

    def __init__(self, user: User | None) -> None:
        self.user = user
        self._merchant_ids: set[int] | None = None
        self._belt_roles: dict[int, set[Role]] | None = None

    def roles(self, merchant: Merchant) -> frozenset[Role]:
        user = self.user
        if user is None:
            return frozenset({Role.SYSTEM})
        if not user.is_active:
            return frozenset()
        roles: set[Role] = set()
        if user.is_superuser:
            roles.add(Role.SUPERUSER)
        if self._merchant_ids is None:
            self._merchant_ids = set(
                MerchantMembership.objects.filter(user=user).values_list("merchant_id", flat=True)
            )
        if merchant.pk in self._merchant_ids:
            roles.add(Role.MERCHANT)
        if self._belt_roles is None:
            self._belt_roles = {}
            memberships = OperationCenterMembership.objects.filter(
                user=user, center__belts__isnull=False
            ).values_list("center__belts", "role")
            for belt_id, role in memberships:
                if role in _CENTER_ROLES:
                    self._belt_roles.setdefault(belt_id, set()).add(_CENTER_ROLES[role])
        roles |= self._belt_roles.get(merchant.belt_id, set())
        return frozenset(roles)


def enrollment_roles(*, user: User, merchant: Merchant) -> frozenset[Role]:
    """What ``user`` is to ``merchant``: its owner or operator, a reviewer or manager of a center
    serving its belt, a superuser; empty for anyone else (staff of other centers included)."""
    return EnrollmentActor(user).roles(merchant)


def enrollment_available_steps(*, enrollment: Enrollment, user: User) -> list[str]:
    """The workflow steps ``user`` may try on ``enrollment`` now (for a page's buttons). The
    services still check the window, eligibility and seats when a step is taken."""
    roles = enrollment_roles(user=user, merchant=enrollment.merchant)
    return workflow.available_steps(enrollment.state, roles)


# Guards ------------------------------------------------------------------------------------------
def _require_role(roles: frozenset[Role], step: str, merchant: Merchant, user: User | None) -> None:
    if workflow.may(roles, step):
        return
    # The merchant is named only to a user who may see it (the one merchant scope): a reviewer
    # of another center, or anyone, learns no shop name from a refusal.
    if user is None or visible_merchants(user).filter(pk=merchant.pk).exists():
        raise EnrollmentForbidden(
            _("You are not allowed to %(step)s the application of %(merchant)s.")
            % {"step": workflow.STEP_LABELS[Step(step)], "merchant": merchant}
        )
    raise EnrollmentForbidden(
        _("You are not allowed to %(step)s this application.")
        % {"step": workflow.STEP_LABELS[Step(step)]}
    )


def _require_edge(enrollment: Enrollment, step: str) -> None:
    if workflow.target_state(enrollment.state, step) is None:
        raise EnrollmentStateError(
            _("You cannot %(step)s this application: it is %(state)s.")
            % {
                "step": workflow.STEP_LABELS[Step(step)],
                "state": EnrollmentState(enrollment.state).label.lower(),
            }
        )


def _check(enrollment: Enrollment, step: str, actor: User | None) -> frozenset[Role]:
    """Who may take the step, then whether the graph allows it from the current state; the
    actor's roles for the enrollment's merchant."""
    roles = EnrollmentActor(actor).roles(enrollment.merchant)
    _require_role(roles, step, enrollment.merchant, actor)
    _require_edge(enrollment, step)
    return roles


def _when(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _require_open_window(cohort: Cohort, now: datetime.datetime) -> None:
    if now < cohort.application_opens_at:
        raise EnrollmentWindowClosed(
            _("Applications to %(cohort)s open on %(opens)s.")
            % {"cohort": cohort, "opens": _when(cohort.application_opens_at)}
        )
    _require_window_not_closed(cohort, now)


def _require_window_not_closed(cohort: Cohort, now: datetime.datetime) -> None:
    if now >= cohort.application_closes_at:
        raise EnrollmentWindowClosed(
            _("Applications to %(cohort)s closed on %(closes)s.")
            % {"cohort": cohort, "closes": _when(cohort.application_closes_at)}
        )


def _require_program_active(cohort: Cohort) -> None:
    if not cohort.program.is_active:
        raise EnrollmentProgramInactive(
            _("%(program)s takes no applications at the moment.") % {"program": cohort.program}
        )


def _require_belt(merchant: Merchant, cohort: Cohort) -> None:
    if cohort.belt_id is not None and merchant.belt_id != cohort.belt_id:
        raise EnrollmentBeltRestricted(
            _("%(cohort)s is open only to merchants of %(belt)s; %(merchant)s is not one.")
            % {"cohort": cohort, "belt": cohort.belt, "merchant": merchant}
        )


def _is_eligible(enrollment: Enrollment) -> bool:
    return Eligibility.objects.filter(
        merchant_id=enrollment.merchant_id, program_id=enrollment.program_id, is_eligible=True
    ).exists()


def _free_seats(cohort: Cohort) -> int:
    """Seats left; exact only while the caller holds the cohort's row lock."""
    return cohort.seats - cohort_seats_used(cohort_id=cohort.pk)


def _clean_reason(reason: Any) -> str:
    """A reason as given by a user, stripped, within its bounds: text of at most
    ``REASON_MAX_LENGTH`` characters without NUL (which PostgreSQL cannot store)."""
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise EnrollmentReasonInvalid(_("A reason is text."), code="invalid")
    if "\x00" in reason:
        raise EnrollmentReasonInvalid(
            _("A reason cannot hold a NUL character (\\u0000)."), code="null_character"
        )
    reason = reason.strip()
    if len(reason) > REASON_MAX_LENGTH:
        raise EnrollmentReasonInvalid(
            _("A reason is at most %(maximum)s characters long, not %(length)s.")
            % {"maximum": REASON_MAX_LENGTH, "length": len(reason)},
            code="too_long",
        )
    return reason


def _require_reason(reason: str, step: str) -> None:
    if not reason:
        raise EnrollmentReasonRequired(
            _("Give a reason to %(step)s an application: the merchant is told it.")
            % {"step": workflow.STEP_LABELS[Step(step)]}
        )


# Locks -------------------------------------------------------------------------------------------
def _lock_cohort(cohort_id: int) -> Cohort:
    # FOR NO KEY UPDATE: serializes the seat decisions without blocking the foreign-key checks of
    # enrollments being created in the cohort meanwhile.
    return (
        Cohort.objects.select_for_update(no_key=True, of=("self",))
        .select_related("program")
        .get(pk=cohort_id)
    )


def _lock_enrollment(pk: int) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("merchant", "cohort__program", "cohort__belt")
        .get(pk=pk)
    )


def _locked(enrollment: Enrollment, *, with_cohort: bool) -> tuple[Enrollment, Cohort]:
    """The enrollment's current row, locked; with its cohort's row locked first if asked."""
    if with_cohort:
        cohort = _lock_cohort(enrollment.cohort_id)
        current = _lock_enrollment(enrollment.pk)
        current.cohort = cohort
    else:
        current = _lock_enrollment(enrollment.pk)
    return current, current.cohort


# Writing a step ----------------------------------------------------------------------------------
_STAMPS: dict[str, tuple[str, ...]] = {
    EnrollmentState.SUBMITTED: ("submitted_at",),
    EnrollmentState.APPROVED: ("decided_at",),
    EnrollmentState.WAITLISTED: ("decided_at", "waitlisted_at"),
    EnrollmentState.REJECTED: ("decided_at",),
}


def _record(
    enrollment: Enrollment,
    step: str,
    *,
    actor: User | None,
    reason: str,
    now: datetime.datetime,
    reason_code: str = "",
    reason_params: dict[str, Any] | None = None,
    update_fields: Sequence[str] = (),
    notify_merchant: bool = True,
) -> EnrollmentEvent:
    """Move the (locked, checked) enrollment along ``step`` and write what follows: the row,
    the event (``reason`` as typed, the workflow's own note as ``reason_code``) and the
    merchant's notification."""
    before, after = workflow.apply(enrollment, step)
    stamps = _STAMPS.get(after, ())
    for name in stamps:
        setattr(enrollment, name, now)
    enrollment.state_changed_at = now
    enrollment.save(update_fields=["state", "state_changed_at", *stamps, *update_fields])
    event = EnrollmentEvent.objects.create(
        enrollment=enrollment,
        actor=actor,
        from_state=before,
        to_state=after,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params or {},
    )
    if notify_merchant:
        _notify_merchant(enrollment, event)
    return event


# Notifications -----------------------------------------------------------------------------------
_MERCHANT_TEXTS: dict[str, tuple[Any, Any]] = {
    EnrollmentState.DRAFT: (
        gettext_lazy("Application started: %(cohort)s"),
        gettext_lazy(
            "An application of %(merchant)s to %(cohort)s (%(program)s) was started. Submit it "
            "while the application window is open."
        ),
    ),
    EnrollmentState.SUBMITTED: (
        gettext_lazy("Application submitted: %(cohort)s"),
        gettext_lazy(
            "The application of %(merchant)s to %(cohort)s (%(program)s) was submitted and "
            "awaits review."
        ),
    ),
    EnrollmentState.IN_REVIEW: (
        gettext_lazy("Application in review: %(cohort)s"),
        gettext_lazy(
            "The operation center is reviewing the application of %(merchant)s to %(cohort)s "
            "(%(program)s)."
        ),
    ),
    EnrollmentState.APPROVED: (
        gettext_lazy("Application approved: %(cohort)s"),
        gettext_lazy(
            "The application of %(merchant)s to %(cohort)s (%(program)s) was approved: a seat "
            "is yours."
        ),
    ),
    EnrollmentState.WAITLISTED: (
        gettext_lazy("Application waitlisted: %(cohort)s"),
        gettext_lazy(
            "Every seat of %(cohort)s (%(program)s) is taken for now, so the application of "
            "%(merchant)s is on the waitlist. It moves up, in order, when a seat becomes free."
        ),
    ),
    EnrollmentState.REJECTED: (
        gettext_lazy("Application rejected: %(cohort)s"),
        gettext_lazy(
            "The application of %(merchant)s to %(cohort)s (%(program)s) was not accepted."
        ),
    ),
    EnrollmentState.ACTIVE: (
        gettext_lazy("Enrollment active: %(cohort)s"),
        gettext_lazy("%(merchant)s is now an active member of %(cohort)s (%(program)s)."),
    ),
    EnrollmentState.GRADUATED: (
        gettext_lazy("Graduated: %(cohort)s"),
        gettext_lazy("Congratulations: %(merchant)s graduated from %(cohort)s (%(program)s)."),
    ),
    EnrollmentState.REVOKED: (
        gettext_lazy("Enrollment revoked: %(cohort)s"),
        gettext_lazy("The enrollment of %(merchant)s in %(cohort)s (%(program)s) was revoked."),
    ),
    EnrollmentState.WITHDRAWN: (
        gettext_lazy("Application withdrawn: %(cohort)s"),
        gettext_lazy("The application of %(merchant)s to %(cohort)s (%(program)s) was withdrawn."),
    ),
    EnrollmentState.EXPIRED: (
        gettext_lazy("Application expired: %(cohort)s"),
        gettext_lazy(
            "The draft application of %(merchant)s to %(cohort)s (%(program)s) expired: the "
            "application window closed before it was submitted."
        ),
    ),
}


def _names(enrollment: Enrollment) -> dict[str, str]:
    """The names a message shows, in the active language where the data has one."""
    program = enrollment.cohort.program
    return {
        "merchant": enrollment.merchant.shop_name,
        "cohort": enrollment.cohort.display_name,
        "program": localized_name(program.name, program.name_zh),
    }


def _with_reason(body: str, reason: str) -> str:
    if not reason:
        return body
    return "\n".join([body, _("Reason: %(reason)s") % {"reason": reason}])


def _payload(enrollment: Enrollment, event: EnrollmentEvent) -> dict[str, Any]:
    return {
        "enrollment": enrollment.pk,
        "merchant": enrollment.merchant_id,
        "cohort": enrollment.cohort_id,
        "program": enrollment.cohort.program.code,
        "event": event.pk,
        "from": event.from_state,
        "to": event.to_state,
    }


def _notify_merchant(enrollment: Enrollment, event: EnrollmentEvent) -> int:
    subject, body = _MERCHANT_TEXTS[event.to_state]

    def render() -> tuple[str, str]:
        names = _names(enrollment)
        return subject % names, _with_reason(body % names, event.reason_text)

    kind = NotificationKind.ENROLLMENT_CHANGED
    emails = merchant_audience([enrollment.merchant_id], kind).get(enrollment.merchant_id, [])
    return notifications_create(
        drafts_for_merchant(
            merchant_id=enrollment.merchant_id,
            kind=kind,
            key=f"enrollment:{enrollment.pk}:{event.pk}",
            texts=bilingual(render),
            emails=emails,
            payload=_payload(enrollment, event),
        )
    )


def _center_staff(belt_id: int, role: str) -> list[int]:
    """The active users holding ``role`` in a center that serves ``belt_id``."""
    return sorted(
        set(
            OperationCenterMembership.objects.filter(
                center__belts=belt_id, role=role, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def _notify_staff(
    enrollment: Enrollment,
    event: EnrollmentEvent,
    *,
    role: str,
    render: Callable[[], tuple[str, str]],
) -> int:
    user_ids = _center_staff(enrollment.merchant.belt_id, role)
    if not user_ids:
        return 0
    drafts: list[NotificationDraft] = drafts_for_users(
        user_ids=user_ids,
        kind=NotificationKind.REVIEW_AWAITING,
        key=f"enrollment:{enrollment.pk}:{event.pk}:staff",
        texts=bilingual(render),
        payload=_payload(enrollment, event),
    )
    return notifications_create(drafts)


def _notify_reviewers_of_submission(enrollment: Enrollment, event: EnrollmentEvent) -> int:
    def render() -> tuple[str, str]:
        names = _names(enrollment)
        body = (
            _("%(merchant)s applied to %(cohort)s (%(program)s). Review it in the console.") % names
        )
        if enrollment.eligibility_override_reason:
            body = "\n".join(
                [
                    body,
                    _("Not eligible; admitted by staff override: %(reason)s")
                    % {"reason": enrollment.eligibility_override_reason},
                ]
            )
        return _("Application awaiting review: %(merchant)s") % names, body

    return _notify_staff(enrollment, event, role=CenterRole.REVIEWER, render=render)


def _notify_managers_of_proposal(enrollment: Enrollment, event: EnrollmentEvent) -> int:
    def render() -> tuple[str, str]:
        names = _names(enrollment)
        return (
            _("Graduation proposed: %(merchant)s") % names,
            _(
                "%(merchant)s meets the graduation criteria of %(cohort)s (%(program)s). "
                "Confirm its graduation in the console."
            )
            % names,
        )

    return _notify_staff(enrollment, event, role=CenterRole.MANAGER, render=render)


# Services ----------------------------------------------------------------------------------------
def enrollment_create_draft(
    *,
    merchant: Merchant,
    cohort: Cohort,
    actor: User,
    reason: str = "",
    notify_merchant: bool = True,
) -> Enrollment:
    """Start an application of ``merchant`` to ``cohort``.

    Guarantees: only the merchant's owner or operators, staff of a center serving its belt, or a
    superuser may start one; not once the cohort's window has closed; not in a cohort restricted
    to another belt; at most one open enrollment per merchant and program (the database's
    constraint, reported as ``EnrollmentAlreadyOpen``); not in a program that is switched off.
    Writes the draft, its first event and (with ``notify_merchant``) the merchant's
    notification in one transaction."""
    reason = _clean_reason(reason)
    now = timezone.now()
    _require_role(EnrollmentActor(actor).roles(merchant), Step.CREATE_DRAFT, merchant, actor)
    _require_program_active(cohort)
    _require_window_not_closed(cohort, now)
    _require_belt(merchant, cohort)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the transaction survives a refusal
                enrollment = Enrollment.objects.create(
                    merchant=merchant,
                    cohort=cohort,
                    program_id=cohort.program_id,
                    state=EnrollmentState.DRAFT,
                    created_by=actor,
                )
        except IntegrityError:
            open_already = Enrollment.objects.filter(
                merchant=merchant, program_id=cohort.program_id, state__in=OPEN_ENROLLMENT_STATES
            ).exists()
            if not open_already:
                raise
            raise EnrollmentAlreadyOpen(
                _(
                    "%(merchant)s already has an open application to %(program)s; withdraw it "
                    "or wait for its outcome before applying again."
                )
                % {"merchant": merchant, "program": cohort.program}
            ) from None
        enrollment.merchant = merchant
        enrollment.cohort = cohort
        event = EnrollmentEvent.objects.create(
            enrollment=enrollment,
            actor=actor,
            from_state="",
            to_state=EnrollmentState.DRAFT,
            reason=reason,
        )
        if notify_merchant:
            _notify_merchant(enrollment, event)
    return enrollment


def enrollment_submit(
    *,
    enrollment: Enrollment,
    actor: User,
    reason: str = "",
    override_eligibility: bool = False,
) -> Enrollment:
    """Submit a draft for review.

    Guarantees: the cohort's window is open; the merchant's belt is the cohort's (if it has
    one); the merchant is currently eligible for the program, unless staff of a center serving
    it (or a superuser) override that with a written ``reason``, which is kept in
    ``eligibility_override_reason`` and in the event. The merchant and the reviewers of the
    centers serving its belt are notified in the same transaction."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        current, cohort = _locked(enrollment, with_cohort=False)
        now = timezone.now()
        roles = _check(current, "submit", actor)
        _require_open_window(cohort, now)
        _require_belt(current.merchant, cohort)
        if override_eligibility:
            if not workflow.may(roles, "override_eligibility"):
                raise EnrollmentForbidden(
                    _("Only staff of a center serving %(merchant)s may override eligibility.")
                    % {"merchant": current.merchant}
                )
            if not reason:
                raise EnrollmentOverrideReasonRequired(
                    _("An eligibility override needs a written reason.")
                )
        update_fields: list[str] = []
        overridden = False
        if not _is_eligible(current):
            if not override_eligibility:
                raise EnrollmentNotEligible(
                    _(
                        "%(merchant)s is not currently eligible for %(program)s. Staff of its "
                        "operation center may let it apply with a written reason."
                    )
                    % {"merchant": current.merchant, "program": cohort.program}
                )
            current.eligibility_override_reason = reason
            update_fields.append("eligibility_override_reason")
            overridden = True
        event = _record(
            current,
            "submit",
            actor=actor,
            reason=reason,
            reason_code=ReasonCode.ELIGIBILITY_OVERRIDDEN if overridden else "",
            now=now,
            update_fields=update_fields,
        )
        _notify_reviewers_of_submission(current, event)
    return current


def enrollment_apply(
    *,
    merchant: Merchant,
    cohort: Cohort,
    actor: User,
    submit: bool = True,
    override_reason: str = "",
) -> Enrollment:
    """Apply ``merchant`` to ``cohort``: start the application and, with ``submit``, submit it
    for review, as one step (the portal's "Apply" and the API's ``POST enrollments/``).

    Guarantees: every guard of ``enrollment_create_draft`` and ``enrollment_submit``; one
    transaction, so a submission refused (not eligible, window not open yet) leaves no draft
    behind and the merchant may apply again once the reason is gone. ``override_reason`` (staff
    only) submits despite the eligibility rules, with that written reason. Submitted at once,
    the merchant is told once, that it was submitted: "started, please submit" would ask for
    what is already done (the draft's event is still recorded)."""
    with transaction.atomic():
        enrollment = enrollment_create_draft(
            merchant=merchant, cohort=cohort, actor=actor, notify_merchant=not submit
        )
        if submit:
            enrollment = enrollment_submit(
                enrollment=enrollment,
                actor=actor,
                reason=override_reason,
                override_eligibility=bool(override_reason),
            )
    return enrollment


def _step(
    enrollment: Enrollment,
    step: str,
    *,
    actor: User,
    reason: str,
    with_cohort: bool,
    reason_required: bool = False,
) -> Enrollment:
    """A transition with no side effect but its event and notifications, in one transaction."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        current, _cohort = _locked(enrollment, with_cohort=with_cohort)
        now = timezone.now()
        _check(current, step, actor)
        if reason_required:
            _require_reason(reason, step)
        _record(current, step, actor=actor, reason=reason, now=now)
    return current


def enrollment_start_review(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """A reviewer takes a submitted application into review."""
    return _step(enrollment, "start_review", actor=actor, reason=reason, with_cohort=False)


def enrollment_approve(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """Approve an application in review (or a waitlisted one) if a seat is free.

    Guarantees: the seat is counted under the cohort's row lock, so concurrent approvals never
    overbook the cohort. An application in review that finds every seat taken is waitlisted
    instead (look at the returned state); a waitlisted one stays waitlisted and
    ``EnrollmentCohortFull`` is raised."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        current, cohort = _locked(enrollment, with_cohort=True)
        now = timezone.now()  # taken under the lock: times follow the order of decisions
        _check(current, "approve", actor)
        if _free_seats(cohort) > 0:
            _record(current, "approve", actor=actor, reason=reason, now=now)
        elif current.state == EnrollmentState.IN_REVIEW:
            _record(
                current,
                "waitlist",
                actor=actor,
                reason=reason,
                now=now,
                **_no_seat(cohort),
            )
        else:
            raise EnrollmentCohortFull(
                _("Every seat of %(cohort)s is taken; the application stays on the waitlist.")
                % {"cohort": cohort}
            )
    return current


def enrollment_waitlist(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """Put an application in review on the cohort's waitlist (its place: the time of this)."""
    return _step(enrollment, "waitlist", actor=actor, reason=reason, with_cohort=True)


def enrollment_reject(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """Reject an application in review or on the waitlist, for a written ``reason`` (the
    merchant is told it): a blank one is refused with ``EnrollmentReasonRequired``, after the
    checks of who may reject and of the state, whoever calls (console, bulk action, API)."""
    # The cohort too: a waitlisted row may be what a concurrent promotion is about to take.
    return _step(
        enrollment, "reject", actor=actor, reason=reason, with_cohort=True, reason_required=True
    )


def enrollment_activate(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """A center manager starts an approved enrollment (it keeps its seat)."""
    return _step(enrollment, "activate", actor=actor, reason=reason, with_cohort=False)


def enrollment_graduate(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """A center manager confirms the graduation of an active enrollment (proposed by the
    periodic check or not). Its seat is not handed to the waitlist: the cohort ran its course."""
    return _step(enrollment, "graduate", actor=actor, reason=reason, with_cohort=False)


def enrollment_revoke(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """A center manager revokes an approved or active enrollment; its seat goes to the first
    of the waitlist in the same transaction."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        current, cohort = _locked(enrollment, with_cohort=True)
        now = timezone.now()
        _check(current, "revoke", actor)
        _record(current, "revoke", actor=actor, reason=reason, now=now)
        _promote_waitlist(cohort, now=now)
    return current


def enrollment_withdraw(*, enrollment: Enrollment, actor: User, reason: str = "") -> Enrollment:
    """The merchant withdraws an open application or enrollment. A seat it held goes to the
    first of the waitlist in the same transaction."""
    reason = _clean_reason(reason)
    with transaction.atomic():
        current, cohort = _locked(enrollment, with_cohort=True)
        now = timezone.now()
        _check(current, "withdraw", actor)
        held_seat = current.state in SEAT_HOLDING_STATES
        _record(current, "withdraw", actor=actor, reason=reason, now=now)
        if held_seat:
            _promote_waitlist(cohort, now=now)
    return current


def _no_seat(cohort: Cohort) -> dict[str, Any]:
    """The workflow's note on an approval that found every seat taken."""
    return {"reason_code": ReasonCode.NO_SEAT_WAITLISTED, "reason_params": {"seats": cohort.seats}}


def _promote_waitlist(cohort: Cohort, *, now: datetime.datetime) -> list[Enrollment]:
    """Give the free seats to the waitlist, first waitlisted first (then by id). The caller
    holds the cohort's row lock."""
    free = _free_seats(cohort)
    if free <= 0:
        return []
    queue = list(
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("merchant", "cohort__program")
        .filter(cohort_id=cohort.pk, state=EnrollmentState.WAITLISTED)
        .order_by("waitlisted_at", "pk")[:free]
    )
    for enrollment in queue:
        enrollment.cohort = cohort
        _record(
            enrollment,
            "promote",
            actor=None,
            reason="",
            reason_code=ReasonCode.PROMOTED,
            now=now,
        )
    return queue


@dataclass
class BulkApproval:
    """What a bulk approval did: ids approved and waitlisted, in order, and those left alone
    with why."""

    approved: list[int] = field(default_factory=list)
    waitlisted: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def enrollments_approve_bulk(
    *, enrollments: Iterable[Enrollment], actor: User, reason: str = ""
) -> BulkApproval:
    """Approve the applications in review among ``enrollments``: per cohort, the free seats go
    in order of submission (then id), the rest are waitlisted in that same order.

    Guarantees: one transaction; each cohort's row is locked (in id order) before its seats are
    counted, so this never overbooks, also against concurrent approvals; if the actor may not
    approve one of them, nothing changes (``EnrollmentForbidden``); enrollments in another state
    are skipped and reported. Every change writes its event and notification."""
    reason = _clean_reason(reason)
    ids = sorted({enrollment.pk for enrollment in enrollments})
    result = BulkApproval()
    if not ids:
        return result
    actor_roles = EnrollmentActor(actor)
    with transaction.atomic():
        cohort_ids = set(
            Enrollment.objects.filter(pk__in=ids).values_list("cohort_id", flat=True).distinct()
        )
        cohorts = {
            cohort.pk: cohort
            for cohort in Cohort.objects.select_for_update(no_key=True, of=("self",))
            .select_related("program")
            .filter(pk__in=cohort_ids)
            .order_by("pk")
        }
        locked = list(
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("merchant")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        now = timezone.now()
        for enrollment in locked:
            _require_role(
                actor_roles.roles(enrollment.merchant), "approve", enrollment.merchant, actor
            )
            enrollment.cohort = cohorts[enrollment.cohort_id]
        for cohort_id in sorted(cohorts):
            cohort = cohorts[cohort_id]
            queue = []
            for enrollment in locked:
                if enrollment.cohort_id != cohort_id:
                    continue
                if enrollment.state == EnrollmentState.IN_REVIEW:
                    queue.append(enrollment)
                else:
                    result.skipped[enrollment.pk] = _("It is %(state)s, not in review.") % {
                        "state": EnrollmentState(enrollment.state).label.lower()
                    }
            queue.sort(key=lambda e: (e.submitted_at is None, e.submitted_at or now, e.pk))
            free = max(_free_seats(cohort), 0)
            for position, enrollment in enumerate(queue):
                if position < free:
                    _record(enrollment, "approve", actor=actor, reason=reason, now=now)
                    result.approved.append(enrollment.pk)
                else:
                    # One microsecond apart: the waitlist's order (waitlisted_at, then id) is
                    # the order of submission, not of the ids.
                    _record(
                        enrollment,
                        "waitlist",
                        actor=actor,
                        reason=reason,
                        now=now + datetime.timedelta(microseconds=position),
                        **_no_seat(cohort),
                    )
                    result.waitlisted.append(enrollment.pk)
    return result


# Periodic ----------------------------------------------------------------------------------------
def enrollment_drafts_expire(*, now: datetime.datetime | None = None) -> int:
    """Expire the drafts whose cohort's application window has closed; returns how many.

    Safe to run twice or on several workers at once: each draft is expired in its own short
    transaction, under its row lock, only if it is still a draft. Each writes an event and tells
    the merchant."""
    now = now or timezone.now()
    due = list(
        Enrollment.objects.filter(
            state=EnrollmentState.DRAFT, cohort__application_closes_at__lte=now
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            enrollment = (
                Enrollment.objects.select_for_update(of=("self",), skip_locked=True)
                .select_related("merchant", "cohort__program")
                .filter(pk=pk, state=EnrollmentState.DRAFT)
                .first()
            )
            if enrollment is None:  # submitted, withdrawn or being expired meanwhile
                continue
            _record(
                enrollment,
                "expire",
                actor=None,
                reason="",
                reason_code=ReasonCode.WINDOW_CLOSED,
                now=now,
            )
            expired += 1
    return expired


def enrollment_graduation_propose_due(
    *, as_of: datetime.date | None = None, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> int:
    """Propose graduation for the active enrollments whose merchants meet their cohort's
    graduation criteria (on the merchant facts as of ``as_of``, default today); returns how many.

    "Propose" marks ``graduation_proposed_at``, writes an event (active to active, reason code
    ``graduation_proposed``) and notifies the managers of the centers serving the merchant's belt;
    a manager confirms with ``enrollment_graduate``. Each enrollment is proposed once: safe to
    run twice. A cohort without graduation criteria is never proposed (staff decide alone; an
    empty list would otherwise admit everyone), nor one whose criteria no longer parse."""
    as_of = as_of or timezone.localdate()
    now = timezone.now()
    due = Enrollment.objects.filter(
        state=EnrollmentState.ACTIVE, graduation_proposed_at__isnull=True
    )
    cohorts = Cohort.objects.filter(pk__in=due.values("cohort_id")).order_by("pk")
    proposed = 0
    for cohort in cohorts:
        if not cohort.graduation_criteria:
            continue
        try:
            criteria = criteria_from_json(cohort.graduation_criteria)
        except CriterionError as error:
            logger.warning("cohort %s: graduation criteria do not parse: %s", cohort.pk, error)
            continue
        rows = list(due.filter(cohort=cohort).order_by("pk").values_list("pk", "merchant_id"))
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start : start + chunk_size]
            facts = {
                merchant.merchant_id: merchant
                for merchant in merchant_facts_list(
                    as_of=as_of, merchant_ids=[merchant_id for _pk, merchant_id in chunk]
                )
            }
            for pk, merchant_id in chunk:
                merchant_facts = facts.get(merchant_id)
                if merchant_facts is None or not evaluate_all(criteria, merchant_facts)[0]:
                    continue
                proposed += _propose_graduation(pk, now=now)
    return proposed


def _propose_graduation(pk: int, *, now: datetime.datetime) -> int:
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("merchant", "cohort__program")
            .filter(pk=pk, state=EnrollmentState.ACTIVE, graduation_proposed_at__isnull=True)
            .first()
        )
        if enrollment is None:
            return 0
        enrollment.graduation_proposed_at = now
        enrollment.save(update_fields=["graduation_proposed_at"])
        # Not a transition: the event records the proposal in the enrollment's history.
        event = EnrollmentEvent.objects.create(
            enrollment=enrollment,
            actor=None,
            from_state=EnrollmentState.ACTIVE,
            to_state=EnrollmentState.ACTIVE,
            reason_code=ReasonCode.GRADUATION_PROPOSED,
        )
        _notify_managers_of_proposal(enrollment, event)
    return 1


__all__ = [
    "BulkApproval",
    "enrollment_activate",
    "enrollment_approve",
    "enrollment_available_steps",
    "enrollment_create_draft",
    "enrollment_drafts_expire",
    "enrollment_graduate",
    "enrollment_graduation_propose_due",
    "enrollment_reject",
    "enrollment_revoke",
    "enrollment_roles",
    "enrollment_start_review",
    "enrollment_submit",
    "enrollment_waitlist",
    "enrollment_withdraw",
    "enrollments_approve_bulk",
]
