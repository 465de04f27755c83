"""Errors a user can cause in the programs domain: one family, one clear message each."""

from django.core.exceptions import ValidationError


class ProgramError(Exception):
    """Base of the errors a user (staff, merchant, integration) can cause here."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CriterionError(ProgramError):
    """A criterion's type or parameters are not valid."""


class RuleSetImmutable(ProgramError):
    """A published or retired rule set cannot change."""


def as_validation_error(error: ProgramError) -> ValidationError:
    return ValidationError(error.message, code=error.code)
