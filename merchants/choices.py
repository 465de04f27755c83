from django.db import models
from django.utils.translation import gettext_lazy as _


class MerchantType(models.TextChoices):
    SOURCE_FACTORY = "source_factory", _("Source factory")
    OEM = "oem", _("OEM manufacturer")
    BRAND = "brand", _("Brand")
    DISTRIBUTOR = "distributor", _("Distributor")
    LIVE_STUDIO = "live_studio", _("Live-stream studio")


class BrandStage(models.TextChoices):
    ME_TOO = "me_too", _("Me too")
    ME_BETTER = "me_better", _("Me better")
    ME_ONLY = "me_only", _("Me only")


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class StorefrontChannel(models.TextChoices):
    TAOBAO = "taobao", _("Taobao")
    TMALL = "tmall", _("Tmall")
    ALIBABA_1688 = "1688", _("1688")
    TAOBAO_LIVE = "taobao_live", _("Taobao Live")


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    OPERATOR = "operator", _("Operator")


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class NotificationKind(models.TextChoices):
    ELIGIBILITY_GAINED = "eligibility_gained", _("Became eligible")
    ELIGIBILITY_LOST = "eligibility_lost", _("Lost eligibility")
    BELT_TIER_CHANGED = "belt_tier_changed", _("Belt tier changed")
    ENROLLMENT_CHANGED = "enrollment_changed", _("Enrollment changed")
    REVIEW_AWAITING = "review_awaiting", _("Awaiting review")
    SHIPMENT_INCIDENT = "shipment_incident", _("Shipment incident")
    SLA_BREACH = "sla_breach", _("SLA breach")
    GENERAL = "general", _("General")
    # Webhooks: a test event sent on request, and an endpoint switched off after failing.
    PING = "ping", _("Webhook test")
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook disabled")


class WebhookEvent(models.TextChoices):
    """The kinds of notification a webhook endpoint may subscribe to: the events addressed to a
    merchant as a whole, one per event. A subset of ``NotificationKind``, same values and names."""

    ELIGIBILITY_GAINED = NotificationKind.ELIGIBILITY_GAINED.value, _("Became eligible")
    ELIGIBILITY_LOST = NotificationKind.ELIGIBILITY_LOST.value, _("Lost eligibility")
    ENROLLMENT_CHANGED = NotificationKind.ENROLLMENT_CHANGED.value, _("Enrollment changed")
    BELT_TIER_CHANGED = NotificationKind.BELT_TIER_CHANGED.value, _("Belt tier changed")
    SHIPMENT_INCIDENT = NotificationKind.SHIPMENT_INCIDENT.value, _("Shipment incident")
    SLA_BREACH = NotificationKind.SLA_BREACH.value, _("SLA breach")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
