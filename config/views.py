"""Pages that compose several apps: the portal home and the console home."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from config.dashboard import console_dashboard


@require_safe
@login_required(login_url="portal:login")
def portal_home(request: HttpRequest) -> HttpResponse:
    # Until the cross-app dashboard arrives, the metrics page is the portal's home.
    return redirect("merchants:metrics")


def console_home(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The console's home: the admin index (its app list and recent actions) with the dashboard
    above them, drawn by ``templates/admin/index.html``.

    ``config/urls.py`` installs it as ``admin.site.index``, so the admin wraps it as it wraps its
    own index (staff only, never cached) and every link to "admin:index" lands here.
    """
    context = {"dashboard": console_dashboard(user=request.user), **(extra_context or {})}
    # The class's index, not the instance attribute this view replaces: no recursion, and
    # installing this view twice (a reloaded URLconf) changes nothing.
    return admin.site.__class__.index(admin.site, request, extra_context=context)
