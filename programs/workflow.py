"""The enrollment workflow: which state may follow which, and who may take each step.

The graph is a ``python-statemachine`` machine bound to an enrollment's ``state`` field; it holds
no business rule beyond the graph itself. The guards that need the database (window,
eligibility, belt, seats) and the writes (events, notifications) live in
``programs.services.enrollments``, which drives the machine inside its transactions::

    draft -> submitted -> in_review -> approved | waitlisted | rejected
    waitlisted -> approved (a reviewer, or a freed seat) | rejected
    approved -> active -> graduated
    approved | active -> revoked
    any open state -> withdrawn (the merchant)
    draft -> expired (the window closed)
"""

from __future__ import annotations

import enum

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from .choices import EnrollmentState as S


class EnrollmentWorkflow(StateMachine):
    """The enrollment graph. ``EnrollmentWorkflow(model=enrollment).send("approve")`` sets
    ``enrollment.state`` or raises ``TransitionNotAllowed``; saving is the caller's business."""

    draft = State(_("Draft"), value=S.DRAFT.value, initial=True)
    submitted = State(_("Submitted"), value=S.SUBMITTED.value)
    in_review = State(_("In review"), value=S.IN_REVIEW.value)
    approved = State(_("Approved"), value=S.APPROVED.value)
    waitlisted = State(_("Waitlisted"), value=S.WAITLISTED.value)
    active = State(pgettext_lazy("enrollment state", "Active"), value=S.ACTIVE.value)
    rejected = State(_("Rejected"), value=S.REJECTED.value, final=True)
    graduated = State(_("Graduated"), value=S.GRADUATED.value, final=True)
    revoked = State(_("Revoked"), value=S.REVOKED.value, final=True)
    withdrawn = State(_("Withdrawn"), value=S.WITHDRAWN.value, final=True)
    expired = State(_("Expired"), value=S.EXPIRED.value, final=True)

    submit = draft.to(submitted)
    start_review = submitted.to(in_review)
    approve = in_review.to(approved) | waitlisted.to(approved)
    waitlist = in_review.to(waitlisted)
    reject = in_review.to(rejected) | waitlisted.to(rejected)
    activate = approved.to(active)
    graduate = active.to(graduated)
    revoke = approved.to(revoked) | active.to(revoked)
    withdraw = (
        draft.to(withdrawn)
        | submitted.to(withdrawn)
        | in_review.to(withdrawn)
        | approved.to(withdrawn)
        | waitlisted.to(withdrawn)
        | active.to(withdrawn)
    )
    # Steps no user takes: a freed seat promotes the waitlist, a closed window expires drafts.
    promote = waitlisted.to(approved)
    expire = draft.to(expired)


class Role(enum.StrEnum):
    """What a user is to one enrollment's merchant."""

    MERCHANT = "merchant"  # an owner or operator of the merchant (MerchantMembership)
    REVIEWER = "reviewer"  # a reviewer of a center serving the merchant's belt
    MANAGER = "manager"  # a manager of a center serving the merchant's belt
    SUPERUSER = "superuser"
    SYSTEM = "system"  # the workflow itself: periodic tasks, waitlist promotion


class Step(enum.StrEnum):
    """The workflow's steps, by the names every surface uses: the machine's events, the
    services' ``enrollment_<step>``, the API's ``POST …/enrollments/{id}/<step-with-hyphens>/``
    and the console's buttons."""

    CREATE_DRAFT = "create_draft"
    SUBMIT = "submit"
    OVERRIDE_ELIGIBILITY = "override_eligibility"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    WAITLIST = "waitlist"
    REJECT = "reject"
    ACTIVATE = "activate"
    GRADUATE = "graduate"
    REVOKE = "revoke"
    WITHDRAW = "withdraw"
    PROMOTE = "promote"
    EXPIRE = "expire"


# The steps a user takes on an existing enrollment, in the order of its life.
USER_STEPS: tuple[Step, ...] = (
    Step.SUBMIT,
    Step.START_REVIEW,
    Step.APPROVE,
    Step.WAITLIST,
    Step.REJECT,
    Step.ACTIVATE,
    Step.GRADUATE,
    Step.REVOKE,
    Step.WITHDRAW,
)

_STAFF = frozenset({Role.REVIEWER, Role.MANAGER, Role.SUPERUSER})

# Who may take each step. A manager may do whatever a reviewer may; staff create and submit on a
# merchant's behalf (that is how an eligibility override is given); only the merchant withdraws.
PERMISSIONS: dict[Step, frozenset[Role]] = {
    Step.CREATE_DRAFT: _STAFF | {Role.MERCHANT},
    Step.SUBMIT: _STAFF | {Role.MERCHANT},
    Step.OVERRIDE_ELIGIBILITY: _STAFF,
    Step.START_REVIEW: _STAFF,
    Step.APPROVE: _STAFF,
    Step.WAITLIST: _STAFF,
    Step.REJECT: _STAFF,
    Step.ACTIVATE: frozenset({Role.MANAGER, Role.SUPERUSER}),
    Step.GRADUATE: frozenset({Role.MANAGER, Role.SUPERUSER}),
    Step.REVOKE: frozenset({Role.MANAGER, Role.SUPERUSER}),
    Step.WITHDRAW: frozenset({Role.MERCHANT, Role.SUPERUSER}),
    Step.PROMOTE: frozenset({Role.SYSTEM}),
    Step.EXPIRE: frozenset({Role.SYSTEM}),
}

# What each step does, in "You cannot <step> this application" and "You are not allowed to
# <step> the application of <merchant>".
STEP_LABELS = {
    Step.CREATE_DRAFT: _("start"),
    Step.SUBMIT: _("submit"),
    Step.OVERRIDE_ELIGIBILITY: _("override the eligibility rules for"),
    Step.START_REVIEW: _("take into review"),
    Step.APPROVE: _("approve"),
    Step.WAITLIST: _("waitlist"),
    Step.REJECT: _("reject"),
    Step.ACTIVATE: _("activate"),
    Step.GRADUATE: _("graduate"),
    Step.REVOKE: _("revoke"),
    Step.WITHDRAW: _("withdraw"),
    Step.PROMOTE: _("promote from the waitlist"),
    Step.EXPIRE: _("expire"),
}


def may(roles: frozenset[Role], step: str) -> bool:
    """Whether any of ``roles`` may take ``step``."""
    return bool(roles & PERMISSIONS[step])


def target_state(state: str, step: str) -> str | None:
    """The state ``step`` leads to from ``state``, or None when the graph has no such edge."""
    source = EnrollmentWorkflow.states_map[state]
    for transition in source.transitions:
        if step in transition.event.split():
            return transition.target.value
    return None


def available_steps(state: str, roles: frozenset[Role]) -> list[str]:
    """The steps a user with ``roles`` may try from ``state``, in the graph's order (for the
    buttons of a page; the services still check window, eligibility and seats)."""
    source = EnrollmentWorkflow.states_map[state]
    steps = dict.fromkeys(
        event for transition in source.transitions for event in transition.event.split()
    )
    return [step for step in steps if may(roles, step)]


def apply(enrollment, step: str) -> tuple[str, str]:
    """Move ``enrollment`` (in memory) along ``step``; return (from, to).

    Raises ``TransitionNotAllowed`` when its state has no such edge."""
    before = enrollment.state
    EnrollmentWorkflow(model=enrollment).send(step)
    return before, enrollment.state


__all__ = [
    "PERMISSIONS",
    "STEP_LABELS",
    "USER_STEPS",
    "EnrollmentWorkflow",
    "Role",
    "Step",
    "TransitionNotAllowed",
    "apply",
    "available_steps",
    "may",
    "target_state",
]
