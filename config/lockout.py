"""Logins locked out after repeated failures (django-axes): the page a refused user sees, and
unlocking from the console.

django-axes counts failures per username and address together (``AXES_*`` in the settings)
and, once the limit is reached, refuses the login before a password is checked. Its middleware
then answers with ``lockout_response`` (``AXES_LOCKOUT_CALLABLE``): the portal's look on the
portal's login, the console's on the console's, with 429 Too Many Requests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import ngettext

LOCKOUT_STATUS = 429


def _minutes(cool_off: timedelta | None) -> int | None:
    if cool_off is None:
        return None
    return max(1, int(-(-cool_off.total_seconds() // 60)))  # rounded up: never promise too early


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page for the login that refused ``request``."""
    minutes = _minutes(get_cool_off(request))
    context: dict[str, Any] = {
        "cool_off_minutes": minutes,
        "try_again": (
            ngettext(
                "Try again in %(minutes)d minute.",
                "Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
            if minutes
            else ""
        ),
    }
    if request.path.startswith(reverse("admin:index")):
        context.update(admin.site.each_context(request))
        return render(request, "admin/lockout.html", context, status=LOCKOUT_STATUS)
    return render(request, "registration/lockout.html", context, status=LOCKOUT_STATUS)


def login_lockouts_reset(*, attempts: QuerySet[AccessAttempt]) -> int:
    """Unlock the logins of ``attempts``: their failure counts are dropped, so the next login
    with the right password goes through at once. Returns how many records were removed;
    the failure log (``AccessFailureLog``) is kept, for the record."""
    with transaction.atomic():
        deleted, _per_model = attempts.delete()
    return deleted
