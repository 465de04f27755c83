"""What keeps every ``/api/v1/`` answer JSON in the one error shape, outside the views too.

- ``ApiErrorMiddleware``: a body larger than the view accepts is a 413 before anything reads it;
  an unexpected exception is logged and answered 500 in the error shape, never an HTML page; a
  database that does not answer is a 503 with ``Retry-After``, on every page (``server_error``
  too, for a middleware that needed the database).
- ``api_not_found``: the last route under ``/api/v1/``, so an unknown path is a JSON 404.

The parser that refuses what the database could not store is ``config.api_parsers``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from .api_exceptions import error_body

logger = logging.getLogger("config.api")

API_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def max_body_bytes(view_func: Callable | None) -> int:
    """The largest body the view accepts: the setting its class names in ``max_body_setting``
    (the bulk metrics take more), else ``API_MAX_BODY_BYTES``."""
    view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    name = getattr(view_class, "max_body_setting", None) or "API_MAX_BODY_BYTES"
    return getattr(settings, name)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not is_api_request(request):
            return None
        limit = max_body_bytes(view_func)
        if _content_length(request) > limit:
            return JsonResponse(
                error_body(
                    code="too_large",
                    message=_("The request body is larger than %(limit)s bytes.")
                    % {"limit": f"{limit:,}"},
                ),
                status=413,
            )
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return database_unavailable(request, exception)
        if not is_api_request(request):
            return None
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return JsonResponse(
            error_body(
                code="server_error",
                message=_("Something went wrong on our side. It has been logged; try again."),
            ),
            status=500,
        )


@csrf_exempt  # any method reaches it; the answer is the same 404 and changes nothing
def api_not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return JsonResponse(
        error_body(code="not_found", message=_("There is no such address in this API.")),
        status=404,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: a request refused before any view (a ``Host`` not allowed, a body Django
    would not read) is JSON in the error shape under ``/api/``, Django's page elsewhere."""
    if is_api_request(request):
        return JsonResponse(
            error_body(code="bad_request", message=_("The request could not be accepted.")),
            status=400,
        )
    return defaults.bad_request(request, exception)


# The database does not answer (down, restarting, failing over, a connection cut): not a defect.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """503 with ``Retry-After``, logged as one warning line: JSON in the error shape under
    ``/api/``, a short page elsewhere (rendered without the context processors, which read the
    database). The request's transaction, if any, was rolled back: nothing is half written."""
    logger.warning(
        "database unavailable for %s %s: %s",
        request.method,
        request.path,
        str(exception).strip().splitlines()[0] if str(exception).strip() else type(exception),
    )
    if is_api_request(request):
        response: HttpResponse = JsonResponse(
            error_body(
                code="unavailable",
                message=_("The service is briefly unavailable. Try again in a minute."),
            ),
            status=503,
        )
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a fault outside the API's views (in a middleware) is JSON under
    ``/api/`` too; the database not answering there (the session, the user) is a 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_UNAVAILABLE):
        return database_unavailable(request, exception)
    if is_api_request(request):
        return JsonResponse(
            error_body(
                code="server_error",
                message=_("Something went wrong on our side. It has been logged; try again."),
            ),
            status=500,
        )
    return defaults.server_error(request)
