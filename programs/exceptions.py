"""Errors a user can cause in the programs domain: one family, one clear message each."""

from core.exceptions import DomainError


class ProgramError(DomainError):
    """Base of the errors a user (staff, merchant, integration) can cause here."""


class CriterionError(ProgramError):
    """A criterion's type or parameters are not valid, or a rule set holds too many.

    ``param`` names the parameter at fault (``None``: the criterion as a whole); raised for a
    whole list of criteria, ``details`` holds one entry per bad criterion, ``index`` counting
    from 0 as in the JSON list (the messages count from 1, for people)."""

    default_field = "criteria"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: list[dict] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field, details=details)
        self.param = param


class RuleSetInvalid(ProgramError):
    """A rule set's own fields (its notes) are not acceptable."""


class RuleSetNotEvaluable(CriterionError):
    """The database could not prepare the rule set's evaluation: publishing it is refused, so
    that no published rule set can stop the recompute."""

    default_code = "not_evaluable"


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


class EnrollmentProgramInactive(EnrollmentError):
    """The cohort's program is switched off: it takes no applications."""

    default_code = "program_inactive"


class EnrollmentBeltRestricted(EnrollmentError):
    """The cohort is restricted to another belt than the merchant's."""

    default_code = "belt_restricted"


class EnrollmentAlreadyOpen(EnrollmentError):
    """The merchant already has an open enrollment in this program."""

    default_code = "already_open"


class EnrollmentReasonRequired(EnrollmentError):
    """The step needs a written reason (a rejection), and none was given."""

    default_code = "reason_required"
    default_field = "reason"


class EnrollmentReasonInvalid(EnrollmentError):
    """A reason is too long or holds characters that cannot be stored."""

    default_field = "reason"


class EnrollmentCohortFull(EnrollmentError):
    """Every seat of the cohort is taken (an approval of a waitlisted enrollment must wait)."""

    default_code = "cohort_full"
