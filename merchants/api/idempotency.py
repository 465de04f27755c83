"""``Idempotency-Key`` for POSTs that write: a retry of the same request returns the first answer.

The first successful (200) answer to a key is kept for 24 hours in Django's cache (Redis in
production, shared by every web process), under the caller's user id, with a fingerprint of the
body. The same key and body from the same caller gets that answer again without running the
view; the same key with another body is refused (422, ``idempotency_key_reused``). While a request
with a key runs, a short lock (``cache.add``) refuses a concurrent one with the same key (409,
``idempotency_key_in_use``), so the two never both write. A refused request (4xx) keeps nothing:
it wrote nothing, and its retry is checked afresh.
"""

import hashlib
import json
import re
from collections.abc import Callable

from django.core.cache import cache
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from .errors import error_body

HEADER = "Idempotency-Key"
TTL_SECONDS = 24 * 60 * 60
# Longer than any one request may take; the lock is released when the request ends.
LOCK_SECONDS = 5 * 60
_KEY = re.compile(r"[\x20-\x7e]{1,255}")  # printable ASCII


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: list[dict] | None = None,
) -> Response:
    """The API's error shape, for the answers this layer gives itself."""
    return Response(
        error_body(code=code, message=message, field=field, details=details), status=status_code
    )


def answer_key(*, scope: str, user_id: int, key: str) -> str:
    """Where the answer to ``key`` is kept: hashed, so any printable key makes a valid name."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"idempotency:{scope}:{user_id}:{digest}"


def lock_key(*, scope: str, user_id: int, key: str) -> str:
    """Held while a request with ``key`` runs."""
    return answer_key(scope=scope, user_id=user_id, key=key) + ":lock"


def _fingerprint(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: dict, fingerprint: str) -> Response:
    if stored["fingerprint"] != fingerprint:
        return error_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            _("This Idempotency-Key was used for another request: use a new key."),
            field=HEADER,
        )
    response = Response(stored["data"], status=stored["status"])
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(request: Request, *, scope: str, run: Callable[[], Response]) -> Response:
    """``run()``'s answer, or the stored answer of an earlier request with the same key.

    ``scope`` names the operation (``metrics-bulk``): a key is the caller's for that operation.
    Without the header, ``run()`` runs as usual."""
    key = request.headers.get(HEADER)
    if key is None:
        return run()
    if not _KEY.fullmatch(key):
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            "invalid",
            _("The Idempotency-Key is 1 to 255 printable ASCII characters."),
            field=HEADER,
        )
    user_id = request.user.pk
    if user_id is None:  # no caller to remember answers for: authentication refuses it
        return run()
    result_key = answer_key(scope=scope, user_id=user_id, key=key)
    lock = lock_key(scope=scope, user_id=user_id, key=key)
    fingerprint = _fingerprint(request.data)

    stored = cache.get(result_key)
    if stored is not None:
        return _replay(stored, fingerprint)
    if not cache.add(lock, True, timeout=LOCK_SECONDS):
        return error_response(
            status.HTTP_409_CONFLICT,
            "idempotency_key_in_use",
            _("A request with this Idempotency-Key is still running: retry in a moment."),
            field=HEADER,
        )
    try:
        stored = cache.get(result_key)  # it may have finished between the look and the lock
        if stored is not None:
            return _replay(stored, fingerprint)
        response = run()
        if response.status_code == status.HTTP_200_OK:
            cache.set(
                result_key,
                {"fingerprint": fingerprint, "status": response.status_code, "data": response.data},
                timeout=TTL_SECONDS,
            )
        return response
    finally:
        cache.delete(lock)
