"""Pages that compose several apps: the landing page, the portal home (its content is
``config.portal``; the console home is ``config.console.ConsoleSite.index``), and the favicon
browsers ask for at the site's root."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from config.portal import portal_home_context
from merchants.models import MerchantMembership


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """``/``: what Belt Ops is, and the way to the portal, the console and the API docs. Open to
    anyone: it shows nothing but links."""
    return render(request, "landing.html")


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers request on their own: the static icon (pages link it)."""
    return redirect(static("favicon.svg"), permanent=False)


@require_safe
@login_required(login_url="portal:login")
def portal_home(request: HttpRequest) -> HttpResponse:
    """The merchant's dashboard: figures and chart, belt and operation center, standing in the
    programs, cohorts to apply to, open applications, recent notifications and shipments."""
    try:
        context = portal_home_context(request)
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None
    return render(request, "portal/home.html", context)
