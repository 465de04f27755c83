from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class EnrollmentState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    WAITLISTED = "waitlisted", _("Waitlisted")
    REJECTED = "rejected", _("Rejected")
    ACTIVE = "active", pgettext_lazy("enrollment state", "Active")
    GRADUATED = "graduated", _("Graduated")
    REVOKED = "revoked", _("Revoked")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


# An enrollment in one of these states blocks another for the same merchant and program.
OPEN_ENROLLMENT_STATES = (
    EnrollmentState.DRAFT,
    EnrollmentState.SUBMITTED,
    EnrollmentState.IN_REVIEW,
    EnrollmentState.APPROVED,
    EnrollmentState.WAITLISTED,
    EnrollmentState.ACTIVE,
)
# These hold one of the cohort's seats.
SEAT_HOLDING_STATES = (EnrollmentState.APPROVED, EnrollmentState.ACTIVE)
# The reviewers' queue: applications waiting for a decision.
REVIEW_QUEUE_STATES = (EnrollmentState.SUBMITTED, EnrollmentState.IN_REVIEW)
# For the figures of a program: never applied (a draft, or one that expired unsent), approved at
# some point, and started (running or run to its end).
NEVER_APPLIED_STATES = (EnrollmentState.DRAFT, EnrollmentState.EXPIRED)
EVER_APPROVED_STATES = (
    EnrollmentState.APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.GRADUATED,
)
STARTED_STATES = (EnrollmentState.ACTIVE, EnrollmentState.GRADUATED)


class RecomputeTrigger(models.TextChoices):
    NIGHTLY = "nightly", _("Nightly")
    PUBLISH = "publish", _("Rule set published")
    MANUAL = "manual", _("Started by hand")


class RecomputeStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    # Finished, but some program was left out (its rule set or evaluation failed; logged).
    PARTIAL = "partial", _("Finished without some programs")
