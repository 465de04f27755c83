"""Serializers of the logistics API: shipments with their chain, hand-overs with their photos,
incidents with their attribution worded in the request's language, providers and scorecards.

Rules live in the services: the write serializers only type and bound the input; the services
check order, times, photos, who may do what, and answer in the one error shape."""

from __future__ import annotations

import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from belts.models import City
from logistics.attribution import attribution_text
from logistics.choices import (
    AttributionStatus,
    Condition,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    LegKind,
    ProviderKind,
    Resolution,
    ShipmentStatus,
)
from logistics.models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    ServiceProvider,
    Shipment,
)
from logistics.photos import max_count
from logistics.presenters import handover_title, leg_label, position_text
from logistics.scoping import scoped_shipments
from logistics.scorecards import DEFAULT_DAYS
from logistics.services.handovers import MAX_NOTE
from logistics.services.incidents import MAX_COST, MAX_TEXT
from logistics.services.shipments import MAX_LEGS, MAX_VALUE
from merchants.api.serializers import MerchantBriefSerializer
from merchants.scoping import visible_merchants

MAX_HANDOVER = MAX_LEGS  # hand-overs 0..n of at most MAX_LEGS legs
NULLABLE_INT = serializers.IntegerField(allow_null=True)
NULLABLE_STR = serializers.CharField(allow_null=True)
# No shipment is older, and times far from now have no ISO 8601 form in every time zone (the
# local mean time of old dates has seconds in its offset).
EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


class BoundedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time between the years 2000 and 2100."""

    def to_internal_value(self, value: Any) -> datetime.datetime:
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed <= LATEST:
            raise serializers.ValidationError(
                _("Give a time between the years 2000 and 2100."), code="out_of_range"
            )
        return parsed


# Providers --------------------------------------------------------------------------------------
class ProviderSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ProviderKind.choices, read_only=True)

    class Meta:
        model = ServiceProvider
        fields = ["id", "name", "name_zh", "kind", "is_active"]
        read_only_fields = fields


class ProviderBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_zh = serializers.CharField()


class CityBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    name_zh = serializers.CharField()


# Shipments: the list's rows ---------------------------------------------------------------------
SHIPMENT_FIELDS = [
    "id",
    "merchant",
    "order_reference",
    "item_description",
    "declared_value",
    "destination_city",
    "promised_delivery_on",
    "promised_installation_on",
    "status",
    "created_at",
    "is_overdue",
    "is_damaged",
    "has_open_incident",
]


class ShipmentBaseSerializer(serializers.ModelSerializer):
    merchant = MerchantBriefSerializer(read_only=True)
    destination_city = CityBriefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, read_only=True)


class ShipmentSerializer(ShipmentBaseSerializer):
    """A shipment as a list shows it, with its flags (computed in the list's one query)."""

    is_overdue = serializers.BooleanField(
        read_only=True, help_text="A leg is past its SLA and not completed."
    )
    is_damaged = serializers.BooleanField(
        read_only=True,
        help_text="An incident of damage, a missing part or an installation defect was reported.",
    )
    has_open_incident = serializers.BooleanField(
        read_only=True, help_text="An incident is not resolved."
    )

    class Meta:
        model = Shipment
        fields = SHIPMENT_FIELDS
        read_only_fields = fields


# The chain --------------------------------------------------------------------------------------
class LegSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=LegKind.choices, read_only=True)
    provider = ProviderBriefSerializer(read_only=True)
    title = serializers.SerializerMethodField(
        help_text="The leg in words, in the request's language (“Line haul by Carrier X”)."
    )
    is_overdue = serializers.SerializerMethodField(help_text="Not completed and past its SLA now.")
    is_late = serializers.SerializerMethodField(help_text="Completed after its SLA.")
    sla_breached = serializers.SerializerMethodField(help_text="An SLA breach was recorded.")

    class Meta:
        model = Leg
        fields = [
            "id",
            "sequence",
            "kind",
            "title",
            "provider",
            "sla_due_at",
            "started_at",
            "completed_at",
            "is_overdue",
            "is_late",
            "sla_breached",
        ]
        read_only_fields = fields

    def get_title(self, leg: Leg) -> str:
        return leg_label(leg)

    def get_is_overdue(self, leg: Leg) -> bool:
        return leg.completed_at is None and leg.sla_due_at < self.context["now"]

    def get_is_late(self, leg: Leg) -> bool:
        return leg.completed_at is not None and leg.completed_at > leg.sla_due_at

    def get_sla_breached(self, leg: Leg) -> bool:
        return hasattr(leg, "sla_breach")


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where to fetch the stored photo.")

    class Meta:
        model = ConditionCheckPhoto
        fields = ["id", "url", "content_type", "width", "height", "size", "uploaded_at"]
        read_only_fields = fields

    def get_url(self, photo: ConditionCheckPhoto) -> str:
        # The API's own address, answered to the caller's key or session after its scope.
        url = reverse("api:photo-file", args=[photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class HandoverSerializer(serializers.ModelSerializer):
    """A recorded hand-over: ``index`` 0 is the pickup from the merchant, ``k`` closes leg ``k``
    and opens leg ``k + 1``, ``n`` gives the goods to the buyer."""

    giver_leg = serializers.SerializerMethodField(
        help_text="The sequence of the leg giving the goods; null at the pickup (the merchant)."
    )
    receiver_leg = serializers.SerializerMethodField(
        help_text="The sequence of the leg receiving them; null at the last (the buyer)."
    )
    condition = serializers.ChoiceField(choices=Condition.choices, read_only=True)
    checked_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ConditionCheck
        fields = [
            "index",
            "giver_leg",
            "receiver_leg",
            "condition",
            "note",
            "checked_at",
            "checked_by",
            "corrections",
            "updated_at",
            "photos",
        ]
        read_only_fields = fields

    def _sequence(self, leg_id: int | None) -> int | None:
        # The shipment's detail passes its loaded legs' sequences: no query per hand-over.
        sequences: dict[int, int] = self.context["leg_sequences"]
        return None if leg_id is None else sequences[leg_id]

    @extend_schema_field(NULLABLE_INT)
    def get_giver_leg(self, check: ConditionCheck) -> int | None:
        if "leg_sequences" in self.context:
            return self._sequence(check.giver_id)
        return check.giver.sequence if check.giver is not None else None

    @extend_schema_field(NULLABLE_INT)
    def get_receiver_leg(self, check: ConditionCheck) -> int | None:
        if "leg_sequences" in self.context:
            return self._sequence(check.receiver_id)
        return check.receiver.sequence if check.receiver is not None else None


class HandoverStepSerializer(serializers.Serializer):
    """Every hand-over of the chain, recorded or not, in order."""

    index = serializers.IntegerField()
    title = serializers.CharField(help_text="In the request's language (“Line haul → buyer”).")
    recorded = serializers.BooleanField()
    check = HandoverSerializer(allow_null=True, help_text="Null until it is recorded.")


class AttributionSerializer(serializers.Serializer):
    """Which leg caused the incident and why (``logistics.attribution``)."""

    status = serializers.ChoiceField(choices=AttributionStatus.choices)
    rule = serializers.CharField(
        help_text="Why: `worse_at_leg`, `missing_check`, `bad_at_pickup`, `packing`, "
        "`installation`, `first_overrun`, `no_overrun`, `no_leg`, `good_at_end`."
    )
    leg = serializers.IntegerField(allow_null=True, help_text="The responsible leg's sequence.")
    candidates = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Unattributed for missing checks: the legs that may have caused it.",
    )
    missing_handovers = serializers.ListField(
        child=serializers.IntegerField(), help_text="The hand-overs whose check is missing."
    )
    evidence = serializers.ListField(
        child=serializers.IntegerField(), help_text="The hand-overs whose checks decided it."
    )
    also = serializers.ListField(
        child=serializers.IntegerField(), help_text="Later legs that made it worse again."
    )
    overrun_minutes = serializers.IntegerField(
        allow_null=True, help_text="For a delay: how far the leg overran its SLA."
    )
    text = serializers.CharField(help_text="The reasoning in the request's language.")


class IncidentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=IncidentKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=IncidentStatus.choices, read_only=True)
    attribution_status = serializers.ChoiceField(choices=AttributionStatus.choices, read_only=True)
    attribution = serializers.SerializerMethodField()
    responsible = serializers.SerializerMethodField(
        help_text="The responsible leg in words, in the request's language; null if none."
    )
    responsible_provider = serializers.SerializerMethodField(
        help_text="The id of the responsible leg's provider; null if none."
    )
    resolution = serializers.ChoiceField(
        choices=Resolution.choices, read_only=True, allow_blank=True
    )
    cost_bearer = serializers.ChoiceField(
        choices=CostBearer.choices, read_only=True, allow_blank=True
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "shipment",
            "kind",
            "description",
            "reported_at",
            "status",
            "attribution_status",
            "attribution",
            "attributed_at",
            "responsible",
            "responsible_provider",
            "resolution",
            "resolution_cost",
            "cost_bearer",
            "bearer_provider",
            "resolution_note",
            "resolved_at",
        ]
        read_only_fields = fields

    @extend_schema_field(AttributionSerializer)
    def get_attribution(self, incident: Incident) -> dict[str, Any]:
        stored = incident.attribution or {}
        return {
            "status": stored.get("status", incident.attribution_status),
            "rule": stored.get("rule", ""),
            "leg": stored.get("leg"),
            "candidates": stored.get("candidates", []),
            "missing_handovers": stored.get("missing_handovers", []),
            "evidence": stored.get("evidence", []),
            "also": stored.get("also", []),
            "overrun_minutes": stored.get("overrun_minutes"),
            "text": attribution_text(stored) if stored else "",
        }

    @extend_schema_field(NULLABLE_STR)
    def get_responsible(self, incident: Incident) -> str | None:
        leg = incident.responsible_leg
        return leg_label(leg) if leg is not None else None

    @extend_schema_field(NULLABLE_INT)
    def get_responsible_provider(self, incident: Incident) -> int | None:
        leg = incident.responsible_leg
        return leg.provider_id if leg is not None else None


class ShipmentDetailSerializer(ShipmentBaseSerializer):
    """A shipment with its chain: legs, every hand-over (recorded or not) with its photos,
    incidents with their attribution, where the goods are now. Needs ``now`` in its context
    and a shipment loaded by ``selectors.shipment_get``; the flags are computed from the
    loaded chain."""

    is_overdue = serializers.SerializerMethodField(
        help_text="A leg is past its SLA and not completed."
    )
    is_damaged = serializers.SerializerMethodField(
        help_text="An incident of damage, a missing part or an installation defect was reported."
    )
    has_open_incident = serializers.SerializerMethodField(help_text="An incident is not resolved.")
    position = serializers.SerializerMethodField(
        help_text="Where the goods are, in the request's language (“Leg 2 of 4: …”)."
    )
    legs = LegSerializer(many=True, read_only=True)
    handovers = serializers.SerializerMethodField()
    incidents = IncidentSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [*SHIPMENT_FIELDS, "position", "legs", "handovers", "incidents"]
        read_only_fields = fields

    def get_is_overdue(self, shipment: Shipment) -> bool:
        now = self.context["now"]
        return any(leg.completed_at is None and leg.sla_due_at < now for leg in shipment.legs.all())

    def get_is_damaged(self, shipment: Shipment) -> bool:
        damage = {IncidentKind.DAMAGE, IncidentKind.MISSING_PART, IncidentKind.INSTALLATION_DEFECT}
        return any(incident.kind in damage for incident in shipment.incidents.all())

    def get_has_open_incident(self, shipment: Shipment) -> bool:
        return any(i.status != IncidentStatus.RESOLVED for i in shipment.incidents.all())

    def get_position(self, shipment: Shipment) -> str:
        legs = list(shipment.legs.all())
        return position_text(shipment, legs, {c.index: c for c in shipment.checks.all()})

    @extend_schema_field(HandoverStepSerializer(many=True))
    def get_handovers(self, shipment: Shipment) -> list[dict[str, Any]]:
        legs = list(shipment.legs.all())
        checks = {check.index: check for check in shipment.checks.all()}
        context = {**self.context, "leg_sequences": {leg.pk: leg.sequence for leg in legs}}
        return [
            {
                "index": index,
                "title": handover_title(index, legs),
                "recorded": index in checks,
                "check": HandoverSerializer(checks[index], context=context).data
                if index in checks
                else None,
            }
            for index in range(len(legs) + 1)
        ]


# Writes ------------------------------------------------------------------------------------------
@extend_schema_field(OpenApiTypes.INT)
class VisibleMerchantField(serializers.PrimaryKeyRelatedField):
    """A merchant the requesting user may see: any other id, like one that does not exist, gets
    the same answer, which names nothing."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("No merchant with this id among those you may see."),
    }

    def get_queryset(self):
        return visible_merchants(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleShipmentField(serializers.PrimaryKeyRelatedField):
    """A shipment the requesting user may see (``logistics.scoping``); any other id reads as
    one that does not exist."""

    default_error_messages = {
        "does_not_exist": gettext_lazy("No shipment with this id among those you may see."),
    }

    def get_queryset(self):
        return scoped_shipments(
            Shipment.objects.select_related("merchant"), self.context["request"].user
        )


class LegCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LegKind.choices)
    provider = serializers.PrimaryKeyRelatedField(
        queryset=ServiceProvider.objects.all(),
        error_messages={"does_not_exist": gettext_lazy("No provider with this id.")},
    )
    sla_due_at = BoundedDateTimeField(help_text="When the leg is due, with its time zone.")


class ShipmentCreateSerializer(serializers.Serializer):
    """A new shipment with its legs, in order (sequence 1..n)."""

    merchant = VisibleMerchantField(
        required=False,
        help_text="Required for staff; a merchant's key (or user of one merchant) may leave it "
        "out: its own merchant.",
    )
    order_reference = serializers.CharField(max_length=64)
    item_description = serializers.CharField(max_length=200)
    declared_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=MAX_VALUE
    )
    destination_city = serializers.PrimaryKeyRelatedField(
        queryset=City.objects.all(),
        error_messages={"does_not_exist": gettext_lazy("No city with this id.")},
    )
    promised_delivery_on = serializers.DateField()
    promised_installation_on = serializers.DateField(required=False, allow_null=True)
    legs = LegCreateSerializer(
        many=True, help_text=f"1 to {MAX_LEGS} legs, in order; installation, if any, last."
    )


@extend_schema_field({"type": "string", "format": "binary"})
class PhotoUploadField(serializers.FileField):
    """One photo file, a part of a ``multipart/form-data`` body."""


class HandoverJSONSerializer(serializers.Serializer):
    """Hand-over ``index`` (0..n) of the shipment, as JSON (photos need multipart)."""

    index = serializers.IntegerField(
        min_value=0,
        max_value=MAX_HANDOVER,
        help_text="0: the pickup from the merchant; k: leg k gives the goods to leg k + 1; n "
        "(the number of legs): the last leg gives them to the buyer. In order: k needs k - 1.",
    )
    condition = serializers.ChoiceField(choices=Condition.choices)
    checked_at = BoundedDateTimeField(
        required=False,
        help_text="When the goods changed hands, with its time zone; now if "
        "left out. Never before the previous hand-over, never in the future.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_NOTE)


class HandoverCreateSerializer(HandoverJSONSerializer):
    """Hand-over ``index`` (0..n) of the shipment, as multipart with its photos (or JSON)."""

    photos = serializers.ListField(
        child=PhotoUploadField(),
        required=False,
        default=list,
        max_length=max_count(),
        help_text="Up to 6 JPEG, PNG or WebP photos (8 MiB each), as repeated `photos` parts. "
        "Checked by content; stored without EXIF or GPS.",
    )


class HandoverUpdateJSONSerializer(serializers.Serializer):
    """A correction as JSON: only the fields sent change."""

    condition = serializers.ChoiceField(choices=Condition.choices, required=False)
    checked_at = BoundedDateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class HandoverUpdateSerializer(HandoverUpdateJSONSerializer):
    """A correction as multipart: only the fields sent change; photos sent are added."""

    photos = serializers.ListField(
        child=PhotoUploadField(),
        required=False,
        max_length=max_count(),
        help_text="Photos to add (at most 6 per hand-over in all), as repeated `photos` parts.",
    )


class IncidentCreateSerializer(serializers.Serializer):
    shipment = VisibleShipmentField()
    kind = serializers.ChoiceField(choices=IncidentKind.choices)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT
    )
    reported_at = BoundedDateTimeField(required=False, help_text="Now if left out.")


class IncidentResolveSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=MAX_COST, help_text="CNY."
    )
    bearer = serializers.ChoiceField(
        choices=CostBearer.choices,
        help_text="`provider` only when a leg is attributed (that provider bears it).",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_TEXT,
        help_text="Required for an unattributed incident: why it is resolved this way.",
    )


# Scorecards --------------------------------------------------------------------------------------
SCORECARD_MAX_DAYS = 366


class ScorecardQuerySerializer(serializers.Serializer):
    start = BoundedDateTimeField(
        required=False,
        help_text="The first SLA due time counted; 90 days before `end` if left out.",
    )
    end = BoundedDateTimeField(
        required=False, help_text="The end of the period (excluded); now if left out."
    )
    kind = serializers.ChoiceField(
        choices=LegKind.choices, required=False, help_text="One kind of leg only."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end") or timezone.now()
        start = attrs.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS)
        if start >= end:
            raise serializers.ValidationError({"start": [_("The start must be before the end.")]})
        if end - start > datetime.timedelta(days=SCORECARD_MAX_DAYS):
            raise serializers.ValidationError(
                {"start": [_("A period is at most %(days)d days.") % {"days": SCORECARD_MAX_DAYS}]}
            )
        return {**attrs, "start": start, "end": end}


def _decimal(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, allow_null=True, help_text=help_text
    )


class ScorecardRowSerializer(serializers.Serializer):
    """The provider's figures for one kind of leg (``logistics.scorecards``)."""

    kind = serializers.ChoiceField(choices=LegKind.choices)
    kind_label = serializers.CharField(help_text="In the request's language.")
    legs = serializers.IntegerField(help_text="Legs whose SLA fell due in the period.")
    due = serializers.IntegerField(help_text="Of them, completed or past due now.")
    on_time = serializers.IntegerField(help_text="Completed at or before their SLA.")
    on_time_rate = _decimal("on_time / due; null when nothing is due.")
    incidents_attributed = serializers.IntegerField(
        help_text="Damage, missing parts, installation defects attributed to these legs."
    )
    damage_rate_per_1000 = _decimal("incidents_attributed per 1,000 legs.")
    incidents_involved = serializers.IntegerField(
        help_text="Non-delay incidents of the shipments these legs were on, attributed or not."
    )
    unattributed = serializers.IntegerField(help_text="Of those, the unattributed ones.")
    unattributed_share = _decimal("unattributed / incidents_involved.")
    mean_hours_to_resolution = _decimal("Of the attributed incidents resolved.")
    cost_borne = serializers.DecimalField(
        max_digits=None, decimal_places=None, help_text="CNY the provider bore."
    )


class ScorecardSerializer(serializers.Serializer):
    provider = ProviderSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    rows = ScorecardRowSerializer(many=True, help_text="One per kind of leg the provider ran.")
