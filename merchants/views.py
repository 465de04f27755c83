"""Portal pages of the merchants app: thin callers of its selectors."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import selectors
from .models import MerchantMembership

METRIC_MONTHS = 12


def _selected_membership(
    request: HttpRequest, memberships: list[MerchantMembership]
) -> MerchantMembership | None:
    """The membership of ``?merchant=<id>``, or the first one. A merchant the user does not
    belong to is a 404, exactly like one that does not exist: the portal does not confirm ids."""
    wanted = request.GET.get("merchant")
    if wanted is None:
        return memberships[0] if memberships else None
    for membership in memberships:
        if str(membership.merchant_id) == wanted:
            return membership
    raise Http404(_("No such merchant among yours."))


@require_safe
@login_required(login_url="portal:login")
def merchant_metrics(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.membership_list(user=request.user))
    selected = _selected_membership(request, memberships)
    window_first, window_last = selectors.complete_months_window(months=METRIC_MONTHS)
    metrics = (
        list(selectors.monthly_metric_list(merchant_id=selected.merchant_id, months=METRIC_MONTHS))
        if selected
        else []
    )
    return render(
        request,
        "merchants/metrics.html",
        {
            "memberships": memberships,
            "selected": selected,
            "merchant": selected.merchant if selected else None,
            "metrics": metrics,
            "window_first": window_first,
            "window_last": window_last,
        },
    )
