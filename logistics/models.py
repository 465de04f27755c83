"""Delivery and installation of bulky goods: providers, shipments, their legs, the condition
checks at each hand-over, and incidents attributed to the leg that caused them."""

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from belts.models import City
from merchants.models import Merchant

from .choices import (
    CheckpointStage,
    Condition,
    IncidentKind,
    IncidentStatus,
    LegKind,
    ProviderKind,
    Resolution,
    ShipmentStatus,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


class ServiceProvider(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProviderKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Shipment(models.Model):
    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="shipments", verbose_name=_("merchant")
    )
    order_reference = models.CharField(_("order reference"), max_length=64)
    item_description = models.CharField(_("item"), max_length=200)
    declared_value = models.DecimalField(_("declared value (CNY)"), **MONEY)
    destination_city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="+", verbose_name=_("destination city")
    )
    promised_delivery_on = models.DateField(_("promised delivery"))
    promised_installation_on = models.DateField(_("promised installation"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "order_reference"], name="shipment_unique_order"
            ),
            models.CheckConstraint(
                condition=Q(declared_value__gte=0), name="shipment_value_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(promised_installation_on__isnull=True)
                | Q(promised_installation_on__gte=F("promised_delivery_on")),
                name="shipment_installation_after_delivery",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "promised_delivery_on"], name="shipment_status_idx"),
        ]

    def __str__(self) -> str:
        return self.order_reference


class Leg(models.Model):
    """One stretch of a shipment's journey, run by one provider, with an SLA."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="legs", verbose_name=_("shipment")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LegKind.choices)
    sequence = models.PositiveSmallIntegerField(_("sequence"))
    provider = models.ForeignKey(
        ServiceProvider, on_delete=models.PROTECT, related_name="legs", verbose_name=_("provider")
    )
    sla_due_at = models.DateTimeField(_("SLA due"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("leg")
        verbose_name_plural = _("legs")
        ordering = ["shipment", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "sequence"], name="leg_unique_sequence"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="leg_sequence_positive"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True)
                | (Q(started_at__isnull=False) & Q(completed_at__gte=F("started_at"))),
                name="leg_completed_after_started",
            ),
        ]
        indexes = [
            models.Index(
                fields=["sla_due_at"],
                condition=Q(completed_at__isnull=True),
                name="leg_open_sla_idx",
            ),
            models.Index(fields=["provider", "kind"], name="leg_provider_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} #{self.sequence} {self.get_kind_display()}"


class ConditionCheck(models.Model):
    """The goods' condition recorded at a hand-over: the evidence for attributing damage."""

    leg = models.ForeignKey(
        Leg, on_delete=models.CASCADE, related_name="condition_checks", verbose_name=_("leg")
    )
    stage = models.CharField(_("stage"), max_length=20, choices=CheckpointStage.choices)
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    photo = models.FileField(
        _("photo"),
        upload_to="condition-checks/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "heic"])],
    )
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("condition check")
        verbose_name_plural = _("condition checks")
        ordering = ["leg", "checked_at"]
        constraints = [
            models.UniqueConstraint(fields=["leg", "stage"], name="conditioncheck_unique_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.leg}: {self.get_condition_display()}"


class Incident(models.Model):
    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="incidents", verbose_name=_("shipment")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=IncidentKind.choices)
    description = models.TextField(_("description"), blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    responsible_leg = models.ForeignKey(
        Leg,
        # A leg blamed for an incident cannot be deleted on its own, but goes with its shipment.
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("responsible leg"),
    )
    attribution_note = models.TextField(_("attribution"), blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolution_cost = models.DecimalField(
        _("resolution cost (CNY)"), **MONEY, null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_cost__isnull=True) | Q(resolution_cost__gte=0),
                name="incident_cost_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status=IncidentStatus.RESOLVED)
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="incident_resolved_has_resolution",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "reported_at"], name="incident_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.shipment}"
