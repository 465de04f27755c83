"""The enrollment workflow: which state may follow which, and who may take each step.

The graph is a ``python-statemachine`` machine bound to an enrollment's ``state`` field; it holds
no business rule beyond the graph itself. The guards that need the database (window, eligibility,
belt, seats) and the writes (events, notifications) live in ``programs.enrollments``, which drives
the machine inside its transactions::

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


_STAFF = frozenset({Role.REVIEWER, Role.MANAGER, Role.SUPERUSER})

# Who may take each step. A manager may do whatever a reviewer may; staff create and submit on a
# merchant's behalf (that is how an eligibility override is given); only the merchant withdraws.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "create_draft": _STAFF | {Role.MERCHANT},
    "submit": _STAFF | {Role.MERCHANT},
    "override_eligibility": _STAFF,
    "start_review": _STAFF,
    "approve": _STAFF,
    "waitlist": _STAFF,
    "reject": _STAFF,
    "activate": frozenset({Role.MANAGER, Role.SUPERUSER}),
    "graduate": frozenset({Role.MANAGER, Role.SUPERUSER}),
    "revoke": frozenset({Role.MANAGER, Role.SUPERUSER}),
    "withdraw": frozenset({Role.MERCHANT, Role.SUPERUSER}),
    "promote": frozenset({Role.SYSTEM}),
    "expire": frozenset({Role.SYSTEM}),
}

# What each step does, in "You cannot <step> this application" and "You are not allowed to
# <step> the application of <merchant>".
STEP_LABELS = {
    "create_draft": _("start"),
    "submit": _("submit"),
    "override_eligibility": _("override the eligibility rules for"),
    "start_review": _("take into review"),
    "approve": _("approve"),
    "waitlist": _("waitlist"),
    "reject": _("reject"),
    "activate": _("activate"),
    "graduate": _("graduate"),
    "revoke": _("revoke"),
    "withdraw": _("withdraw"),
    "promote": _("promote from the waitlist"),
    "expire": _("expire"),
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
    "EnrollmentWorkflow",
    "Role",
    "TransitionNotAllowed",
    "apply",
    "available_steps",
    "may",
    "target_state",
]
