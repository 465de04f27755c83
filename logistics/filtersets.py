"""FilterSets of the logistics app, for the REST API: plain ids and codes, no query of their own.

The shipment flags (``overdue``, ``damaged``, ``has_open_incident``) filter on the annotations of
``selectors.shipment_list``, so they mean exactly what the list's columns say."""

import django_filters
from django.utils.translation import gettext_lazy as _

from belts.filtersets import IntegerFilter

from .choices import AttributionStatus, IncidentKind, IncidentStatus, ShipmentStatus
from .models import Incident, Shipment


class ShipmentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices, label=_("Status"))
    merchant = IntegerFilter(field_name="merchant_id", label=_("Merchant (id)"))
    overdue = django_filters.BooleanFilter(
        field_name="is_overdue", label=_("A leg is past its SLA and not completed")
    )
    damaged = django_filters.BooleanFilter(
        field_name="is_damaged", label=_("Damage, a missing part or an installation defect")
    )
    has_open_incident = django_filters.BooleanFilter(
        field_name="has_open_incident", label=_("An incident is not resolved")
    )
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Created at or after")
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lte", label=_("Created at or before")
    )

    class Meta:
        model = Shipment
        fields = ["status", "merchant"]


class IncidentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IncidentStatus.choices, label=_("Status"))
    kind = django_filters.ChoiceFilter(choices=IncidentKind.choices, label=_("Kind"))
    attribution_status = django_filters.ChoiceFilter(
        choices=AttributionStatus.choices, label=_("Attribution")
    )
    shipment = IntegerFilter(field_name="shipment_id", label=_("Shipment (id)"))

    class Meta:
        model = Incident
        fields = ["status", "kind", "attribution_status", "shipment"]
