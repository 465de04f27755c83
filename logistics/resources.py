"""What the console exports (django-import-export): shipments with their flags, and incidents
with their attribution and resolution.

The resources only shape rows. The rows come from the admin's changelist queryset, already
limited to the staff member's operation centers and to the list's filters and search, and
already annotated with the shipments' flags: an export runs one query, whatever its size."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields

from core.imports import SheetExportResource

from .choices import (
    AttributionStatus,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    Resolution,
    ShipmentStatus,
)
from .models import Incident, Shipment


def _local(value):
    """A time as the console shows it, without the zone (xlsx refuses aware datetimes)."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


def _label(choices, value) -> str:
    return str(choices(value).label) if value else ""


class ShipmentResource(SheetExportResource):
    merchant = fields.Field(attribute="merchant__shop_name", column_name=_("merchant"))
    order_reference = fields.Field(attribute="order_reference", column_name=_("order reference"))
    item = fields.Field(attribute="item_description", column_name=_("item"))
    declared_value = fields.Field(attribute="declared_value", column_name=_("declared value"))
    destination = fields.Field(column_name=_("destination"))
    promised_delivery_on = fields.Field(
        attribute="promised_delivery_on", column_name=_("promised delivery")
    )
    status = fields.Field(column_name=_("status"))
    overdue = fields.Field(attribute="is_overdue", column_name=_("overdue"))
    damaged = fields.Field(attribute="is_damaged", column_name=_("damaged"))
    open_incident = fields.Field(attribute="has_open_incident", column_name=_("open incident"))
    created_at = fields.Field(column_name=_("created at"))

    class Meta:
        model = Shipment
        fields = (
            "id",
            "merchant",
            "order_reference",
            "item",
            "declared_value",
            "destination",
            "promised_delivery_on",
            "status",
            "overdue",
            "damaged",
            "open_incident",
            "created_at",
        )
        export_order = fields

    def dehydrate_destination(self, obj) -> str:
        return str(obj.destination_city)

    def dehydrate_status(self, obj) -> str:
        return _label(ShipmentStatus, obj.status)

    def dehydrate_created_at(self, obj):
        return _local(obj.created_at)


class IncidentResource(SheetExportResource):
    shipment = fields.Field(attribute="shipment__order_reference", column_name=_("shipment"))
    merchant = fields.Field(attribute="shipment__merchant__shop_name", column_name=_("merchant"))
    kind = fields.Field(column_name=_("kind"))
    status = fields.Field(column_name=_("status"))
    reported_at = fields.Field(column_name=_("reported at"))
    attribution_status = fields.Field(column_name=_("attribution status"))
    responsible_leg = fields.Field(column_name=_("responsible leg"))
    responsible_provider = fields.Field(column_name=_("responsible provider"))
    resolution = fields.Field(column_name=_("resolution"))
    resolution_cost = fields.Field(attribute="resolution_cost", column_name=_("resolution cost"))
    cost_bearer = fields.Field(column_name=_("cost borne by"))
    bearer_provider = fields.Field(column_name=_("provider bearing the cost"))
    resolved_at = fields.Field(column_name=_("resolved at"))

    class Meta:
        model = Incident
        fields = (
            "id",
            "shipment",
            "merchant",
            "kind",
            "status",
            "reported_at",
            "attribution_status",
            "responsible_leg",
            "responsible_provider",
            "resolution",
            "resolution_cost",
            "cost_bearer",
            "bearer_provider",
            "resolved_at",
        )
        export_order = fields

    def dehydrate_kind(self, obj) -> str:
        return _label(IncidentKind, obj.kind)

    def dehydrate_status(self, obj) -> str:
        return _label(IncidentStatus, obj.status)

    def dehydrate_reported_at(self, obj):
        return _local(obj.reported_at)

    def dehydrate_attribution_status(self, obj) -> str:
        return _label(AttributionStatus, obj.attribution_status)

    def dehydrate_responsible_leg(self, obj) -> str:
        leg = obj.responsible_leg
        return f"#{leg.sequence} {leg.get_kind_display()}" if leg else ""

    def dehydrate_responsible_provider(self, obj) -> str:
        leg = obj.responsible_leg
        return leg.provider.name if leg else ""

    def dehydrate_resolution(self, obj) -> str:
        return _label(Resolution, obj.resolution)

    def dehydrate_cost_bearer(self, obj) -> str:
        return _label(CostBearer, obj.cost_bearer)

    def dehydrate_bearer_provider(self, obj) -> str:
        return obj.bearer_provider.name if obj.bearer_provider else ""

    def dehydrate_resolved_at(self, obj):
        return _local(obj.resolved_at)
