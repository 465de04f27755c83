"""The API's one error shape, for every error of every ``/api/v1/`` response::

    {"error": {"code": "invalid", "message": "…", "field": "criteria", "details": [...]}}

- ``code``: a stable, machine-readable word (``invalid``, ``not_found``, ``immutable``, …);
- ``message``: for a person, in the request's language (``Accept-Language``);
- ``field``: the input the error is about, or null (the first one when there are several);
- ``details``: one ``{"field", "code", "message"}`` per problem (``index`` too for the rows of a
  bulk request); empty when the error is one problem.

Domain errors (``core.exceptions.DomainError``: ``ProgramError``, ``MerchantError``, ...) keep
their status: 409 for a conflict with the object's state, 403 for a step the user may not take,
400 otherwise. DRF's own errors keep
DRF's status and headers (``WWW-Authenticate`` on 401, ``Retry-After`` on 429). Errors outside
any view, an unknown path and an unexpected exception, come in the same shape from
``config.api_errors``.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from core.exceptions import DomainError
from logistics.exceptions import LogisticsForbidden
from merchants.api.errors import error_body
from merchants.exceptions import ApiKeyForbidden
from programs.exceptions import (
    CriterionError,
    EnrollmentAlreadyOpen,
    EnrollmentCohortFull,
    EnrollmentForbidden,
    EnrollmentStateError,
    RuleSetImmutable,
)

# The first class in the exception's MRO found here decides; a new subclass inherits its
# family's status until it is listed.
STATUS_BY_ERROR: dict[type[Exception], int] = {
    RuleSetImmutable: status.HTTP_409_CONFLICT,
    EnrollmentStateError: status.HTTP_409_CONFLICT,
    EnrollmentAlreadyOpen: status.HTTP_409_CONFLICT,
    EnrollmentCohortFull: status.HTTP_409_CONFLICT,
    EnrollmentForbidden: status.HTTP_403_FORBIDDEN,
    ApiKeyForbidden: status.HTTP_403_FORBIDDEN,
    LogisticsForbidden: status.HTTP_403_FORBIDDEN,
    CriterionError: status.HTTP_400_BAD_REQUEST,
    DomainError: status.HTTP_400_BAD_REQUEST,
}

# Codes of DRF's errors, as this API names them.
DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def _lookup(table: dict[type[Exception], Any], error: Exception, default: Any) -> Any:
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return default


def domain_error_response(error: DomainError) -> Response:
    return Response(
        error_body(
            code=error.code,
            message=error.message,
            field=error.field,
            details=list(getattr(error, "details", None) or []),
        ),
        status=_lookup(STATUS_BY_ERROR, error, status.HTTP_400_BAD_REQUEST),
    )


def _flatten(detail: Any, path: tuple[str, ...] = ()) -> list[dict]:
    """DRF's nested ``{field: [ErrorDetail]}`` as ``[{"field": "a.0.b", "code", "message"}]``."""
    if isinstance(detail, dict):
        return [row for key, value in detail.items() for row in _flatten(value, (*path, str(key)))]
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [row for item in detail for row in _flatten(item, path)]
        return [
            row for index, item in enumerate(detail) for row in _flatten(item, (*path, str(index)))
        ]
    field = ".".join(part for part in path if part != "non_field_errors") or None
    return [{"field": field, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def _validation_response(error: exceptions.ValidationError, response: Response) -> Response:
    details = _flatten(error.detail)
    first = details[0] if details else {"field": None, "message": _("The request is not valid.")}
    message = _("%(field)s: %(message)s") % first if first["field"] else first["message"]
    response.data = error_body(
        code="invalid", message=message, field=first["field"], details=details
    )
    return response


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        # Like DRF's own handler: roll back an atomic request before answering.
        set_rollback()
        return domain_error_response(exc)
    # DRF's own for Django's, with DRF's default wording: the model's name in Django's
    # "No <model> matches the given query." says what the caller looked for.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)  # None: not an API error, a 500
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return _validation_response(exc, response)
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.APIException):
        code = _lookup(DRF_CODES, exc, None) or exc.get_codes()
        if not isinstance(code, str):
            code = exc.default_code
        message = detail if isinstance(detail, str) else exc.default_detail
    else:
        code, message = "error", str(detail or "")
    response.data = error_body(code=code, message=str(message))
    return response
