"""The shipments: a list with their overdue, damaged and open-incident flags, and one page per
shipment that reads as its timeline (hand-over, leg, hand-over, ... with the conditions, photos,
SLAs and incidents with their attribution), from which the next hand-over is recorded, a
recorded one corrected, and incidents reported and resolved, each step a small page of its own
that calls its service with the staff member as the actor.

Nothing on these pages writes a row itself: a step's refusal (``LogisticsError``) is shown on
the form's field it names and nothing is saved (the services are atomic). Shipments are created
with their legs by ``services.shipments.shipment_create``, from the API and the merchants'
portal: the console has no add form (a leg's times and the status are the hand-overs' to set,
and the admin's add form with inline legs would bypass the service's rules)."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from core.admin import ConsoleExportMixin, object_missing_redirect
from core.money import format_cny_exact as format_cny
from core.pagination import BigTablePaginator

from ..exceptions import LogisticsError
from ..models import Shipment
from ..presenters import HandoverStep, incident_view, shipment_timeline
from ..resources import ShipmentResource
from ..selectors import shipment_get, with_flags
from ..services.handovers import handover_correct, handover_record
from ..services.incidents import incident_report, incident_resolve
from .forms import (
    HandoverCorrectForm,
    HandoverRecordForm,
    IncidentReportForm,
    IncidentResolveForm,
)


class FlagFilter(admin.SimpleListFilter):
    """Yes or no on one of ``selectors.with_flags``' annotations (no query of its own)."""

    annotation = ""

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{self.annotation: self.value() == "yes"})
        return queryset


class OverdueFilter(FlagFilter):
    title = _("overdue")
    parameter_name = "overdue"
    annotation = "is_overdue"


class DamagedFilter(FlagFilter):
    title = _("damaged")
    parameter_name = "damaged"
    annotation = "is_damaged"


class OpenIncidentFilter(FlagFilter):
    title = _("open incident")
    parameter_name = "open_incident"
    annotation = "has_open_incident"


# The steps of the shipment page: the Django permission each needs (the services then check
# that the staff member serves the merchant's belt).
STEP_PERMISSIONS = {
    "handover": "logistics.add_conditioncheck",
    "correct": "logistics.change_conditioncheck",
    "report": "logistics.add_incident",
    "resolve": "logistics.change_incident",
}


@admin.register(Shipment)
class ShipmentAdmin(CenterScopedAdminMixin, ConsoleExportMixin, admin.ModelAdmin):
    belt_path = "merchant__belt"
    resource_classes = [ShipmentResource]
    list_display = (
        "order_reference",
        "merchant",
        "item_description",
        "declared_value_cny",
        "destination_city",
        "promised_delivery_on",
        "status",
        "overdue",
        "damaged",
        "open_incident",
        "created_at",
    )
    list_select_related = ("merchant", "destination_city")
    # No date hierarchy on this big table: it scans every row for its range on each page view.
    list_filter = (
        "status",
        OverdueFilter,
        DamagedFilter,
        OpenIncidentFilter,
        "promised_delivery_on",
        "created_at",
        "merchant__belt",
        "destination_city__province",
    )
    search_fields = ("order_reference", "merchant__shop_name", "item_description")
    autocomplete_fields = ("merchant", "destination_city")
    # Newest first by key: the model's "-created_at" order has no index and would sort the whole
    # table for every page; ids grow with creation time, so the order is the same.
    ordering = ("-pk",)
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50
    timeline_template = "admin/logistics/shipment/timeline.html"
    step_template = "admin/logistics/shipment/step_form.html"

    def get_queryset(self, request):
        return with_flags(super().get_queryset(request), now=timezone.now())

    def has_add_permission(self, request):
        return False  # created with its legs by services.shipments (the API, the portal)

    # Columns --------------------------------------------------------------------------------------
    @admin.display(description=_("declared value"), ordering="declared_value")
    def declared_value_cny(self, obj):
        return format_cny(obj.declared_value)

    @admin.display(description=_("overdue"), boolean=True, ordering="is_overdue")
    def overdue(self, obj):
        return obj.is_overdue

    @admin.display(description=_("damaged"), boolean=True, ordering="is_damaged")
    def damaged(self, obj):
        return obj.is_damaged

    @admin.display(description=_("open incident"), boolean=True, ordering="has_open_incident")
    def open_incident(self, obj):
        return obj.has_open_incident

    # URLs -----------------------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/handover/",
                view(self.handover_record_view),
                name="{}_{}_handover".format(*info),
            ),
            path(
                "<path:object_id>/handover/<int:index>/correct/",
                view(self.handover_correct_view),
                name="{}_{}_handover_correct".format(*info),
            ),
            path(
                "<path:object_id>/incident/",
                view(self.incident_report_view),
                name="{}_{}_incident".format(*info),
            ),
            path(
                "<path:object_id>/incident/<int:incident_id>/resolve/",
                view(self.incident_resolve_view),
                name="{}_{}_incident_resolve".format(*info),
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
            current_app=self.admin_site.name,
        )

    def may(self, request, step: str) -> bool:
        return request.user.has_perm(STEP_PERMISSIONS[step])

    def _shipment(self, request, object_id):
        """The shipment with its timeline's rows, or the console's answer to a missing one: 404
        for staff (out of scope or missing alike), a warning and the index for a superuser."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None, object_missing_redirect(self, request, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        try:
            return shipment_get(user=request.user, pk=obj.pk), None
        except Shipment.DoesNotExist:
            raise Http404("No shipment in scope.") from None

    # The timeline ---------------------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The shipment as its timeline, read-only; the steps are links to their pages."""
        shipment, answer = self._shipment(request, object_id)
        if answer is not None:
            return answer
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"])
        timeline = shipment_timeline(shipment)
        handovers = timeline.handovers
        recorded = {step.index for step in handovers if step.recorded}
        next_index = next((step.index for step in handovers if not step.recorded), None)
        may_correct = self.may(request, "correct")
        may_resolve = self.may(request, "resolve")
        steps = [
            {
                "type": "handover" if isinstance(step, HandoverStep) else "leg",
                "step": step,
                "correct_url": self._url("handover_correct", shipment.pk, step.index)
                if isinstance(step, HandoverStep) and step.index in recorded and may_correct
                else None,
            }
            for step in timeline.steps
        ]
        incidents = [
            {
                "view": view,
                "cost": format_cny(view.incident.resolution_cost)
                if view.incident.resolution_cost is not None
                else None,
                "resolve_url": self._url("incident_resolve", shipment.pk, view.incident.pk)
                if may_resolve and not view.incident.resolved_at
                else None,
            }
            for view in timeline.incidents
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Shipment %(order)s") % {"order": shipment.order_reference},
            "subtitle": None,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": shipment,
            "shipment": shipment,
            "timeline": timeline,
            "steps": steps,
            "incidents": incidents,
            "declared_value": format_cny(shipment.declared_value),
            "next_handover": handovers[next_index] if next_index is not None else None,
            "handover_url": self._url("handover", shipment.pk)
            if next_index is not None and self.may(request, "handover")
            else None,
            "report_url": self._url("incident", shipment.pk)
            if self.may(request, "report")
            else None,
            "history_url": self._url("history", shipment.pk),
            "has_delete_permission": self.has_delete_permission(request, shipment),
            "delete_url": self._url("delete", shipment.pk),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.timeline_template, context)

    # The steps ------------------------------------------------------------------------------------
    def _step(self, request, object_id, step: str):
        shipment, answer = self._shipment(request, object_id)
        if answer is None and not self.may(request, step):
            raise PermissionDenied
        return shipment, answer

    def _step_page(self, request, shipment, *, title, form, intro="", done_url=None):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": shipment,
            "shipment": shipment,
            "shipment_url": self._url("change", shipment.pk),
            "intro": intro,
            "form": form,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.step_template, context)

    def _done(self, request, shipment, message: str, anchor: str):
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(f"{self._url('change', shipment.pk)}#{anchor}")

    def handover_record_view(self, request, object_id):
        """Record a hand-over (the next one by default) with its grade, time, note and photos."""
        shipment, answer = self._step(request, object_id, "handover")
        if answer is not None:
            return answer
        timeline = shipment_timeline(shipment)
        open_handovers = [
            (step.index, step.title) for step in timeline.handovers if not step.recorded
        ]
        if not open_handovers:
            self.message_user(request, gettext("Every hand-over is recorded."), messages.WARNING)
            return HttpResponseRedirect(self._url("change", shipment.pk))
        form = HandoverRecordForm(
            request.POST or None,
            request.FILES or None,
            handovers=open_handovers,
            initial={"index": open_handovers[0][0]},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                check = handover_record(
                    actor=request.user,
                    shipment=shipment,
                    index=data["index"],
                    condition=data["condition"],
                    checked_at=data["checked_at"],
                    note=data["note"],
                    photos=form.uploads(),
                )
            except LogisticsError as error:
                form.add_domain_error(error)
            else:
                title = dict(open_handovers)[check.index]
                return self._done(
                    request,
                    shipment,
                    gettext("Hand-over recorded: %(title)s, %(condition)s.")
                    % {"title": title, "condition": check.get_condition_display()},
                    f"handover-{check.index}",
                )
        return self._step_page(
            request,
            shipment,
            title=gettext("Record a hand-over of %(order)s") % {"order": shipment.order_reference},
            intro=timeline.position,
            form=form,
        )

    def handover_correct_view(self, request, object_id, index):
        """Correct a recorded hand-over: its grade, time or note; photos are added."""
        shipment, answer = self._step(request, object_id, "correct")
        if answer is not None:
            return answer
        check = next((c for c in shipment.checks.all() if c.index == index), None)
        if check is None:
            raise Http404("No such hand-over recorded.")
        timeline = shipment_timeline(shipment)
        title = timeline.handovers[index].title
        form = HandoverCorrectForm(
            request.POST or None,
            request.FILES or None,
            initial={
                "condition": check.condition,
                "checked_at": timezone.localtime(check.checked_at),
                "note": check.note,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            # The time field shows minutes: the recorded time, to the minute, is no change.
            shown_time = timezone.localtime(check.checked_at).replace(second=0, microsecond=0)
            changes = {
                "condition": data["condition"] if data["condition"] != check.condition else None,
                "note": data["note"] if data["note"] != check.note else None,
                "checked_at": data["checked_at"]
                if data["checked_at"] and data["checked_at"] != shown_time
                else None,
            }
            try:
                handover_correct(actor=request.user, check=check, photos=form.uploads(), **changes)
            except LogisticsError as error:
                form.add_domain_error(error)
            else:
                return self._done(
                    request,
                    shipment,
                    gettext("Hand-over corrected: %(title)s.") % {"title": title},
                    f"handover-{index}",
                )
        return self._step_page(
            request,
            shipment,
            title=gettext("Correct the hand-over “%(title)s”") % {"title": title},
            form=form,
        )

    def incident_report_view(self, request, object_id):
        """Report an incident; it is attributed at once from the hand-overs recorded."""
        shipment, answer = self._step(request, object_id, "report")
        if answer is not None:
            return answer
        form = IncidentReportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                incident = incident_report(
                    actor=request.user,
                    shipment=shipment,
                    kind=data["kind"],
                    description=data["description"],
                    reported_at=data["reported_at"],
                )
            except LogisticsError as error:
                form.add_domain_error(error)
            else:
                view = incident_view(incident)
                return self._done(
                    request,
                    shipment,
                    gettext("Incident reported: %(kind)s. %(reasoning)s")
                    % {"kind": view.kind_label, "reasoning": view.reasoning},
                    f"incident-{incident.pk}",
                )
        return self._step_page(
            request,
            shipment,
            title=gettext("Report an incident on %(order)s") % {"order": shipment.order_reference},
            form=form,
        )

    def incident_resolve_view(self, request, object_id, incident_id):
        """Resolve an incident: what was done, what it cost, who bears it."""
        shipment, answer = self._step(request, object_id, "resolve")
        if answer is not None:
            return answer
        incident = next((i for i in shipment.incidents.all() if i.pk == incident_id), None)
        if incident is None:
            raise Http404("No such incident on this shipment.")
        view = incident_view(incident)
        form = IncidentResolveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                incident_resolve(
                    actor=request.user,
                    incident=incident,
                    resolution=data["resolution"],
                    cost=data["cost"],
                    bearer=data["bearer"],
                    note=data["note"],
                )
            except LogisticsError as error:
                form.add_domain_error(error)
            else:
                return self._done(
                    request,
                    shipment,
                    gettext("Incident resolved: %(kind)s.") % {"kind": view.kind_label},
                    f"incident-{incident.pk}",
                )
        intro = " ".join(
            part
            for part in (
                f"{capfirst(view.kind_label)} · {view.attribution_status_label}",
                view.reasoning,
            )
            if part
        )
        return self._step_page(
            request,
            shipment,
            title=gettext("Resolve the incident: %(kind)s") % {"kind": view.kind_label},
            intro=intro,
            form=form,
        )
