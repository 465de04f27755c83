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


class CheckpointStage(models.TextChoices):
    RECEIVED = "received", _("Received at the start of the leg")
    HANDED_OVER = "handed_over", _("Handed over at the end of the leg")


class IncidentKind(models.TextChoices):
    DAMAGE = "damage", _("Damage")
    DELAY = "delay", _("Delay")
    MISSING_PART = "missing_part", _("Missing part")
    INSTALLATION_DEFECT = "installation_defect", _("Installation defect")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ATTRIBUTED = "attributed", _("Attributed")
    RESOLVED = "resolved", _("Resolved")


class Resolution(models.TextChoices):
    RESEND_NEW = "resend_new", _("Resend a new item")
    RETURN = "return", _("Return")
    REPAIR = "repair", _("Repair")
    REFUND = "refund", _("Refund")
