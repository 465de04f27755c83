"""The API's OpenAPI schema: every operation documents the errors it can answer.

Beside what a view declares, each operation gets, in the one error shape (``DomainError``):
400 (bad input: query filters or a body), 401 (no or a wrong key), 403 (valid credentials, not
enough), 404 (an object outside the caller's scope, or none), 413 (a body too large), 429 (the
caller's rate spent) and 500, unless the view already documents that status.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from merchants.api.serializers import DomainErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "The request is not valid: the error names the field (and, for several problems, "
    "each one under `details`).",
    "401": "No credentials, or a key that is unknown, revoked or expired "
    "(`WWW-Authenticate: Api-Key`).",
    "403": "Valid credentials that may not do this.",
    "404": "No such object among those the caller may see (or, for a list, no such page).",
    "413": "The request body is larger than this operation accepts.",
    "429": "Too many requests from this caller: wait for the seconds in `Retry-After`.",
    "500": "An unexpected error on the server's side; it is logged.",
}


class ApiAutoSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "403", "429", "500"]
        if not any(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.append("401")
        # A detail's object out of scope, or a page number past the last page of a list.
        if "{" in self.path or self.method == "GET":
            codes.append("404")
        if self.method in {"POST", "PUT", "PATCH"}:
            codes.append("413")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(DomainErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return dict(sorted(responses.items()))
