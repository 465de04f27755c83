"""Pages that compose several apps: the portal home (the console home is
``config.console.ConsoleSite.index``)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_safe


@require_safe
@login_required(login_url="portal:login")
def portal_home(request: HttpRequest) -> HttpResponse:
    # Until the cross-app dashboard arrives, the metrics page is the portal's home.
    return redirect("merchants:metrics")
