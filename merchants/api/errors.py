"""The API's one error shape, built in one place: ``{"error": {code, message, field, details}}``.

It lives at the lowest app with an API so that every layer above (the merchants views, the
project's exception handler and middleware in ``config``) builds it the same way.
"""

# Problems listed in ``details`` at most; a request may carry thousands of bad rows.
MAX_DETAILS = 100


def error_body(
    *, code: str, message: str, field: str | None = None, details: list[dict] | None = None
) -> dict:
    return {
        "error": {
            "code": code,
            "message": str(message),
            "field": field,
            "details": (details or [])[:MAX_DETAILS],
        }
    }
