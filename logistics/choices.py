from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    SELF_OPERATED = "self_operated", _("Self-operated network")
    CONTRACTED = "contracted", _("Contracted carrier")


class ShipmentStatus(models.TextChoices):
    CREATED = "created", _("Created")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    INSTALLED = "installed", _("Installed")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class LegKind(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    LINE_HAUL = "line_haul", _("Line haul")
    LAST_MILE = "last_mile", _("Last-mile delivery")
    INSTALLATION = "installation", _("Installation")


class Condition(models.TextChoices):
    INTACT = "intact", _("Intact")
    DAMAGED = "damaged", _("Damaged")
    MISSING_PARTS = "missing_parts", _("Missing parts")
    # Handed over without looking: the hand-over happened, the goods' condition is unknown.
    NOT_CHECKED = "not_checked", _("Not checked")


# Worse is higher: a hand-over that recorded two checks in the old model keeps the worse grade.
CONDITION_SEVERITY = {
    Condition.NOT_CHECKED: 0,
    Condition.INTACT: 1,
    Condition.MISSING_PARTS: 2,
    Condition.DAMAGED: 3,
}


class IncidentKind(models.TextChoices):
    DAMAGE = "damage", _("Damage")
    DELAY = "delay", _("Delay")
    MISSING_PART = "missing_part", _("Missing part")
    INSTALLATION_DEFECT = "installation_defect", _("Installation defect")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")  # reported, no leg named (yet)
    ATTRIBUTED = "attributed", _("Attributed")  # a leg named, not resolved
    RESOLVED = "resolved", _("Resolved")


OPEN_INCIDENT_STATES = (IncidentStatus.OPEN, IncidentStatus.ATTRIBUTED)


class AttributionStatus(models.TextChoices):
    ATTRIBUTED = "attributed", _("Attributed")
    UNATTRIBUTED = "unattributed", _("Unattributed")
    BEFORE_CHAIN = "before_chain", _("Before the chain (the merchant's)")


class Resolution(models.TextChoices):
    """What was done about an incident, as the article lists them: merchants of bulky goods
    would rather resend a new one than take the broken one back."""

    RESEND_NEW = "resend_new", _("Resend a new item, no return")
    RETURN_REFUND = "return_refund", _("Return and refund")
    REPAIR = "repair", _("Repair on site")
    PARTIAL_REFUND = "partial_refund", _("Partial refund")


class CostBearer(models.TextChoices):
    PROVIDER = "provider", _("The attributed provider")
    MERCHANT = "merchant", _("The merchant")
    PLATFORM = "platform", _("The platform")


class BreachKind(models.TextChoices):
    OPEN_OVERDUE = "open_overdue", _("Past due, not completed")
    COMPLETED_LATE = "completed_late", _("Completed late")
