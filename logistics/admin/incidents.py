"""The incidents: who the attribution names and why, and how each was resolved. Read-only
here: incidents are reported and resolved from their shipment's page, through
``services.incidents``, and their attribution is computed."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from belts.admin_scoping import CenterScopedAdminMixin
from core.admin import ConsoleExportMixin
from core.money import format_cny_exact as format_cny

from ..attribution import attribution_text
from ..models import Incident
from ..resources import IncidentResource
from .chain import ReadOnlyAdminMixin


@admin.register(Incident)
class IncidentAdmin(
    CenterScopedAdminMixin, ConsoleExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    belt_path = "shipment__merchant__belt"
    resource_classes = [IncidentResource]
    list_display = (
        "shipment",
        "kind",
        "status",
        "attribution_status",
        "responsible_leg_label",
        "resolution",
        "resolution_cost_cny",
        "bearer",
        "reported_at",
        "resolved_at",
    )
    list_select_related = ("shipment", "responsible_leg__provider", "bearer_provider")
    list_filter = (
        "status",
        "attribution_status",
        "kind",
        "resolution",
        "cost_bearer",
        "responsible_leg__kind",
        "responsible_leg__provider",
    )
    date_hierarchy = "reported_at"
    search_fields = ("shipment__order_reference", "description")
    autocomplete_fields = ("shipment", "responsible_leg")
    fieldsets = (
        (None, {"fields": ("shipment_link", "kind", "description", "reported_at", "status")}),
        (
            _("Attribution"),
            {"fields": ("attribution_status", "responsible_leg", "reasoning", "attributed_at")},
        ),
        (
            _("Resolution"),
            {
                "fields": (
                    "resolution",
                    "resolution_cost",
                    "cost_bearer",
                    "bearer_provider",
                    "resolution_note",
                    "resolved_by",
                    "resolved_at",
                )
            },
        ),
    )
    readonly_fields = ("shipment_link", "reasoning")
    show_full_result_count = False

    @admin.display(description=_("responsible leg"), ordering="responsible_leg__kind")
    def responsible_leg_label(self, obj):
        leg = obj.responsible_leg
        if leg is None:
            return None
        return _("#%(sequence)s %(kind)s by %(provider)s") % {
            "sequence": leg.sequence,
            "kind": leg.get_kind_display(),
            "provider": leg.provider,
        }

    @admin.display(description=_("resolution cost"), ordering="resolution_cost")
    def resolution_cost_cny(self, obj):
        return format_cny(obj.resolution_cost)

    @admin.display(description=_("cost borne by"), ordering="cost_bearer")
    def bearer(self, obj):
        if not obj.cost_bearer:
            return None
        label = obj.get_cost_bearer_display()
        if obj.bearer_provider is None:
            return label
        return f"{label}: {obj.bearer_provider.name}"

    @admin.display(description=_("reasoning"))
    def reasoning(self, obj):
        return attribution_text(obj.attribution) if obj.attribution else "—"

    @admin.display(description=_("shipment"))
    def shipment_link(self, obj):
        """Its shipment's page: the timeline, where the incident is resolved."""
        url = reverse(
            "admin:logistics_shipment_change",
            args=[obj.shipment_id],
            current_app=self.admin_site.name,
        )
        return format_html('<a href="{}">{}</a>', url, obj.shipment)
