"""Errors a user can cause in the programs domain: one family, one clear message each."""

from django.core.exceptions import ValidationError


class ProgramError(Exception):
    """Base of the errors a user (staff, merchant, integration) can cause here."""

    default_field: str | None = None

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field or self.default_field


class CriterionError(ProgramError):
    """A criterion's type or parameters are not valid."""

    default_field = "criteria"


class RuleSetImmutable(ProgramError):
    """A published or retired rule set cannot change."""


def as_validation_error(error: ProgramError) -> ValidationError:
    return ValidationError(error.message, code=error.code)
