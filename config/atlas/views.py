"""The belt atlas's pages, in the portal and in the console.

The portal's map highlights the selected merchant's belt; a belt's page shows what
``config.atlas.access`` lets the reader see (a merchant of the belt sees it trimmed). The
console's pages are the same context in the console's frame, reached through
``config.console.ConsoleSite`` (staff only).
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from belts.models import IndustrialBelt
from belts.selectors import AtlasBelt
from config.atlas.access import BeltAccess
from config.atlas.figures import FactoryPoint, belt_figures_get
from config.atlas.pages import atlas_context, belt_page_context
from merchants import selectors as merchant_selectors
from merchants.models import MerchantMembership


def _selected_membership(request: HttpRequest) -> MerchantMembership | None:
    memberships = list(merchant_selectors.membership_list(user=request.user))
    try:
        return merchant_selectors.membership_choose(
            memberships, merchant_id=request.GET.get("merchant")
        )
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None


@require_safe
@login_required(login_url="portal:login")
def portal_atlas(request: HttpRequest) -> HttpResponse:
    """The map of every belt, the selected merchant's belt highlighted, with its table."""
    selected = _selected_membership(request)
    own_belt_id = selected.merchant.belt_id if selected else None

    def belt_url(belt: AtlasBelt) -> str:
        return reverse("portal:atlas-belt", args=[belt.slug])

    context = atlas_context(
        request.GET,
        belt_url=belt_url,
        highlight_ids=[own_belt_id] if own_belt_id else [],
    )
    own = next((row for row in context["rows"] if row.belt.id == own_belt_id), None)
    context.update(
        selected=selected,
        merchant=selected.merchant if selected else None,
        own=own,
        highlight_legend=own is not None,
    )
    return render(request, "atlas/portal_atlas.html", context)


@require_safe
@login_required(login_url="portal:login")
def portal_atlas_belt(request: HttpRequest, slug: str) -> HttpResponse:
    """A belt's page in the portal: trimmed for a merchant of the belt (its own factory marked,
    its peers unnamed), the reference figures only for any other belt."""
    try:
        figures = belt_figures_get(user=request.user, slug=slug)
    except IndustrialBelt.DoesNotExist:
        raise Http404(_("No such belt.")) from None
    context = belt_page_context(figures)
    context["atlas_url"] = reverse("portal:atlas")
    return render(request, "atlas/portal_belt.html", context)


# The console ------------------------------------------------------------------------------------


def console_atlas(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The console's map: every belt, the table beside it, each linking to the belt's page."""

    def belt_url(belt: AtlasBelt) -> str:
        return reverse("admin:atlas-belt", args=[belt.slug], current_app=site.name)

    context = {
        **site.each_context(request),
        **atlas_context(request.GET, belt_url=belt_url),
        "title": _("Belt atlas"),
    }
    request.current_app = site.name
    return render(request, "atlas/console_atlas.html", context)


def console_atlas_belt(request: HttpRequest, site: AdminSite, slug: str) -> HttpResponse:
    """A belt's page in the console: everything for the staff of a center serving it, the
    reference figures for other staff."""
    try:
        figures = belt_figures_get(user=request.user, slug=slug)
    except IndustrialBelt.DoesNotExist:
        raise Http404(_("No such belt.")) from None
    full = figures.access == BeltAccess.FULL

    def factory_url(factory: FactoryPoint) -> str | None:
        if not full or factory.merchant_id is None:
            return None
        return reverse(
            "admin:merchants_merchant_change", args=[factory.merchant_id], current_app=site.name
        )

    context = {
        **site.each_context(request),
        **belt_page_context(figures, factory_url=factory_url),
        "atlas_url": reverse("admin:atlas", current_app=site.name),
        "full": full,
    }
    if full:
        belt_filter = urlencode({"belt__id__exact": figures.belt.pk})
        context["merchants_url"] = (
            reverse("admin:merchants_merchant_changelist", current_app=site.name)
            + f"?{belt_filter}"
        )
        context["edit_url"] = reverse(
            "admin:belts_industrialbelt_change", args=[figures.belt.pk], current_app=site.name
        )
    context["title"] = context["belt_name"]
    request.current_app = site.name
    return render(request, "atlas/console_belt.html", context)
