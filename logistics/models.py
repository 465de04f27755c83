"""Delivery and installation of bulky goods: providers, shipments, their legs, the condition
checks at each hand-over, and incidents attributed to the leg that caused them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.models import City
from core.language import localized_name
from merchants.models import Merchant

from .choices import (
    AttributionStatus,
    BreachKind,
    Condition,
    CostBearer,
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
        return localized_name(self.name, self.name_zh)


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
            # The SLA check's sweep of legs completed late in the last days.
            models.Index(
                fields=["completed_at"],
                condition=Q(completed_at__isnull=False),
                name="leg_completed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment} #{self.sequence} {self.get_kind_display()}"


class ProviderMembership(models.Model):
    """A user who acts for a provider: the user of a provider's API key (a carrier or an
    installer recording hand-overs), as a center's key acts through a center membership."""

    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("provider"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="provider_membership",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("provider membership")
        verbose_name_plural = _("provider memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"


class ConditionCheck(models.Model):
    """A hand-over and the goods' condition recorded at it: the evidence for attributing damage.

    A shipment of ``n`` legs has hand-overs ``0..n``: hand-over 0 is the pickup from the merchant
    (no giver leg), hand-over ``k`` closes leg ``k`` and opens leg ``k + 1``, hand-over ``n`` gives
    the goods to the buyer (no receiver leg). ``logistics.services.handovers`` keeps them in
    order and the legs' start and completion in step with them."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="checks", verbose_name=_("shipment")
    )
    index = models.PositiveSmallIntegerField(_("hand-over"))
    giver = models.OneToOneField(
        Leg,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outgoing_check",
        verbose_name=_("giver leg"),
        help_text=_("Empty at the pickup: the merchant gives the goods."),
    )
    receiver = models.OneToOneField(
        Leg,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="incoming_check",
        verbose_name=_("receiver leg"),
        help_text=_("Empty at the last hand-over: the buyer receives the goods."),
    )
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    checked_at = models.DateTimeField(_("handed over at"))
    corrections = models.PositiveSmallIntegerField(_("corrections"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["shipment", "index"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "index"], name="check_unique_handover"),
            models.CheckConstraint(
                condition=Q(giver__isnull=False) | Q(receiver__isnull=False),
                name="check_has_a_leg",
            ),
            models.CheckConstraint(
                condition=Q(index=0) | Q(giver__isnull=False), name="check_giver_after_pickup"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(shipment)s hand-over %(index)s: %(condition)s") % {
            "shipment": self.shipment,
            "index": self.index,
            "condition": self.get_condition_display(),
        }


class ConditionCheckPhoto(models.Model):
    """A photo taken at a hand-over: checked to be an image by its content, re-encoded without
    its metadata (EXIF, GPS), stored through Django's storage API."""

    check_record = models.ForeignKey(
        ConditionCheck,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("hand-over"),
    )
    image = models.FileField(_("photo"), upload_to="condition-checks/%Y/%m/", max_length=255)
    content_type = models.CharField(_("content type"), max_length=40)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over photo")
        verbose_name_plural = _("hand-over photos")
        ordering = ["check_record", "id"]

    def __str__(self) -> str:
        return self.image.name

    def get_absolute_url(self) -> str:
        """Where a signed-in reader fetches it: checked against their scope, never public."""
        return reverse("logistics:photo", args=[self.pk])


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
    # logistics.attribution.Attribution.as_json(): recomputed whenever a check is added or
    # corrected; responsible_leg and attribution_status are read from it.
    attribution = models.JSONField(_("attribution"), default=dict, blank=True)
    attribution_status = models.CharField(
        _("attribution status"),
        max_length=20,
        choices=AttributionStatus.choices,
        default=AttributionStatus.UNATTRIBUTED,
    )
    attributed_at = models.DateTimeField(_("attributed at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolution_cost = models.DecimalField(
        _("resolution cost (CNY)"), **MONEY, null=True, blank=True
    )
    cost_bearer = models.CharField(
        _("cost borne by"), max_length=20, choices=CostBearer.choices, blank=True
    )
    # The provider that bears the cost, fixed when resolved (the attribution may change later).
    bearer_provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="borne_incidents",
        verbose_name=_("provider bearing the cost"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
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
                | (Q(resolved_at__isnull=False) & ~Q(resolution="") & ~Q(cost_bearer="")),
                name="incident_resolved_has_resolution",
            ),
            models.CheckConstraint(
                condition=~Q(cost_bearer=CostBearer.PROVIDER) | Q(bearer_provider__isnull=False),
                name="incident_provider_bearer_named",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "reported_at"], name="incident_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.shipment}"


class SlaBreach(models.Model):
    """A leg that overran its SLA: recorded once per leg, however often the check runs."""

    leg = models.OneToOneField(
        Leg, on_delete=models.CASCADE, related_name="sla_breach", verbose_name=_("leg")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BreachKind.choices)
    detected_at = models.DateTimeField(_("detected at"))
    due_at = models.DateTimeField(_("was due at"))

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["detected_at"], name="slabreach_detected_idx")]

    def __str__(self) -> str:
        return f"{self.leg}: {self.get_kind_display()}"
