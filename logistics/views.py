"""Portal pages of the logistics app, mounted under ``/portal/``: the selected merchant's
shipments, and one shipment's chain as a timeline with its incidents, where a member may report
one. Read-only otherwise: hand-overs are recorded by the carriers and the staff.

Thin callers of ``logistics.selectors`` (scoped by ``logistics.scoping``: a shipment outside the
user's scope is a 404, like one that does not exist), ``logistics.presenters`` and
``services.incidents``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from core.language import localized_name
from core.money import format_cny_exact
from merchants import selectors as merchant_selectors
from merchants.models import MerchantMembership

from . import presenters, selectors
from .choices import IncidentKind
from .exceptions import LogisticsError
from .models import Shipment
from .photo_files import photo_response
from .services.incidents import incident_report

SHIPMENTS_PAGE_SIZE = 20


@require_safe
@login_required(login_url="portal:login")
def photo_file(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """A hand-over photo, for whoever may see its shipment (a member, the serving staff, a
    carrier on the chain); a 404 for anyone else, as for a photo that does not exist."""
    photo = selectors.photo_get(user=request.user, photo_id=photo_id)
    if photo is None:
        raise Http404(_("No such photo."))
    return photo_response(photo)


@dataclass(frozen=True, slots=True)
class ShipmentRow:
    shipment: Shipment
    position: str
    overdue: bool
    incident_open: bool
    resolved: bool


def _memberships_and_selected(
    request: HttpRequest,
) -> tuple[list[MerchantMembership], MerchantMembership | None]:
    """The user's memberships and the one ``?merchant=`` asks for (default: the first); 404 for
    a merchant that is not one's own."""
    memberships = list(merchant_selectors.membership_list(user=request.user))
    try:
        selected = merchant_selectors.membership_choose(
            memberships, merchant_id=request.GET.get("merchant")
        )
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None
    return memberships, selected


def _row(shipment: Shipment) -> ShipmentRow:
    return ShipmentRow(
        shipment=shipment,
        position=presenters.shipment_position(shipment),
        overdue=shipment.is_overdue,  # type: ignore[attr-defined]
        incident_open=shipment.has_open_incident,  # type: ignore[attr-defined]
        resolved=shipment.has_resolved_incident,  # type: ignore[attr-defined]
    )


@require_safe
@login_required(login_url="portal:login")
def shipment_list(request: HttpRequest) -> HttpResponse:
    """The selected merchant's shipments, newest first, a page at a time, each with where it is
    in the chain and its flags: a fixed number of queries whatever the page size."""
    memberships, selected = _memberships_and_selected(request)
    context: dict = {
        "memberships": memberships,
        "selected": selected,
        "merchant": selected.merchant if selected else None,
    }
    if selected:
        shipments = (
            selectors.shipment_list(user=request.user)
            .filter(merchant_id=selected.merchant_id)
            .annotate(has_resolved_incident=selectors.resolved_incident_flag())
        )
        page = Paginator(shipments, SHIPMENTS_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.shipment_positions_prefetch(list(page.object_list))
        context.update(page=page, rows=[_row(shipment) for shipment in rows])
    return render(request, "logistics/shipment_list.html", context)


class IncidentReportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What happened"), choices=IncidentKind.choices)
    # Its length is the service's rule (a LogisticsError, shown on the field).
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        strip=False,
    )


def _incident_rows(timeline: presenters.Timeline) -> list[dict]:
    return [
        {
            "view": view,
            "cost": format_cny_exact(view.incident.resolution_cost),
            "bearer": _bearer_text(view),
        }
        for view in timeline.incidents
    ]


def _bearer_text(view: presenters.IncidentView) -> str | None:
    """Who bore the cost: the provider by name when it is one, else the bearer's label."""
    provider = view.incident.bearer_provider
    if provider is not None:
        return _("%(bearer)s (%(provider)s)") % {
            "bearer": view.bearer_label,
            "provider": localized_name(provider.name, provider.name_zh),
        }
    return view.bearer_label


@require_http_methods(["GET", "HEAD", "POST"])
@login_required(login_url="portal:login")
def shipment_detail(request: HttpRequest, shipment_id: int) -> HttpResponse:
    """One shipment's chain (hand-over, leg, hand-over, ...) with its photos and incidents; a
    POST reports an incident on it."""
    try:
        shipment = selectors.shipment_get(user=request.user, pk=shipment_id)
    except Shipment.DoesNotExist:
        raise Http404(_("No such shipment among your merchants'.")) from None
    status = 200
    form = IncidentReportForm()
    if request.method == "POST":
        form = IncidentReportForm(request.POST)
        if form.is_valid():
            try:
                incident_report(
                    actor=request.user,
                    shipment=shipment,
                    kind=form.cleaned_data["kind"],
                    description=form.cleaned_data["description"],
                )
            except LogisticsError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error.message)
            else:
                messages.success(
                    request,
                    _("Incident reported on shipment %(order)s.")
                    % {"order": shipment.order_reference},
                )
                return HttpResponseRedirect(
                    reverse("logistics:shipment", args=[shipment.pk]) + "#incidents"
                )
        status = 400
    timeline = presenters.shipment_timeline(shipment, now=timezone.now())
    return render(
        request,
        "logistics/shipment_detail.html",
        {
            "shipment": shipment,
            "timeline": timeline,
            "steps": [
                {"step": step, "is_leg": isinstance(step, presenters.LegStep)}
                for step in timeline.steps
            ],
            "incidents": _incident_rows(timeline),
            "destination": localized_name(
                shipment.destination_city.name, shipment.destination_city.name_zh
            ),
            "declared_value": format_cny_exact(shipment.declared_value),
            "form": form,
            "list_url": f"{reverse('logistics:shipments')}?merchant={shipment.merchant_id}",
        },
        status=status,
    )
