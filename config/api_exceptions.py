"""The API's one error shape for the errors users can cause in the domain.

``ProgramError`` and ``MerchantError`` (and their subclasses) become::

    {"error": {"code": "immutable", "message": "…", "field": null}}

with 409 for a conflict with the object's state, 403 for a step the user may not take, and 400
otherwise. Everything else, DRF's own
validation errors included, keeps DRF's handling and shape.
"""

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from merchants.exceptions import MerchantError
from programs.exceptions import (
    CriterionError,
    EnrollmentAlreadyOpen,
    EnrollmentCohortFull,
    EnrollmentForbidden,
    EnrollmentStateError,
    ProgramError,
    RuleSetImmutable,
)

DomainError = ProgramError | MerchantError

# The first class in the exception's MRO found here decides; a new subclass inherits its
# family's status until it is listed.
STATUS_BY_ERROR: dict[type[Exception], int] = {
    RuleSetImmutable: status.HTTP_409_CONFLICT,
    EnrollmentStateError: status.HTTP_409_CONFLICT,
    EnrollmentAlreadyOpen: status.HTTP_409_CONFLICT,
    EnrollmentCohortFull: status.HTTP_409_CONFLICT,
    EnrollmentForbidden: status.HTTP_403_FORBIDDEN,
    CriterionError: status.HTTP_400_BAD_REQUEST,
    ProgramError: status.HTTP_400_BAD_REQUEST,
    MerchantError: status.HTTP_400_BAD_REQUEST,
}


def _lookup(table: dict[type[Exception], Any], error: Exception, default: Any) -> Any:
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default


def domain_error_response(error: DomainError) -> Response:
    field = error.field
    return Response(
        {"error": {"code": error.code, "message": str(error.message), "field": field}},
        status=_lookup(STATUS_BY_ERROR, error, status.HTTP_400_BAD_REQUEST),
    )


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ProgramError | MerchantError):
        # Like DRF's own handler: roll back an atomic request before answering.
        set_rollback()
        return domain_error_response(exc)
    return exception_handler(exc, context)
