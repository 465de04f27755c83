"""Errors a user can cause in the programs domain: one family, one clear message each."""

from django.core.exceptions import ValidationError


class ProgramError(Exception):
    """Base of the errors a user (staff, merchant, integration) can cause here."""

    default_code: str = "invalid"
    default_field: str | None = None

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field or self.default_field


class CriterionError(ProgramError):
    """A criterion's type or parameters are not valid."""

    default_field = "criteria"


class RuleSetImmutable(ProgramError):
    """A published or retired rule set cannot change."""


# Enrollment ------------------------------------------------------------------------------------
class EnrollmentError(ProgramError):
    """A step of the enrollment workflow was refused."""


class EnrollmentForbidden(EnrollmentError):
    """The user holds no role that may take this step for this merchant."""

    default_code = "forbidden"


class EnrollmentStateError(EnrollmentError):
    """The enrollment's state does not allow this step."""

    default_code = "invalid_state"


class EnrollmentWindowClosed(EnrollmentError):
    """The cohort's application window is not open."""

    default_code = "window_closed"


class EnrollmentNotEligible(EnrollmentError):
    """The merchant is not currently eligible and no staff override was given."""

    default_code = "not_eligible"


class EnrollmentOverrideReasonRequired(EnrollmentError):
    """An eligibility override was asked for without a written reason."""

    default_code = "override_reason_required"
    default_field = "eligibility_override_reason"


class EnrollmentBeltRestricted(EnrollmentError):
    """The cohort is restricted to another belt than the merchant's."""

    default_code = "belt_restricted"


class EnrollmentAlreadyOpen(EnrollmentError):
    """The merchant already has an open enrollment in this program."""

    default_code = "already_open"


class EnrollmentCohortFull(EnrollmentError):
    """Every seat of the cohort is taken (an approval of a waitlisted enrollment must wait)."""

    default_code = "cohort_full"


def as_validation_error(error: ProgramError) -> ValidationError:
    return ValidationError(error.message, code=error.code)
