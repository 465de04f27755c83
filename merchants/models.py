"""The sellers: merchants, their shops, portal users, monthly metrics, the notification outbox."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey

from belts.models import Category, IndustrialBelt, OperationCenter

from .choices import (
    BrandStage,
    MembershipRole,
    MerchantStatus,
    MerchantType,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    StorefrontChannel,
)

MONEY = {"max_digits": 16, "decimal_places": 2}


class Merchant(models.Model):
    legal_name = models.CharField(_("legal name"), max_length=200)
    shop_name = models.CharField(_("shop name"), max_length=200)
    belt = models.ForeignKey(
        IndustrialBelt,
        on_delete=models.PROTECT,
        related_name="merchants",
        verbose_name=_("primary belt"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="merchants", verbose_name=_("category")
    )
    merchant_type = models.CharField(
        _("merchant type"), max_length=20, choices=MerchantType.choices
    )
    brand_stage = models.CharField(
        _("brand stage"), max_length=20, choices=BrandStage.choices, default=BrandStage.ME_TOO
    )
    is_smb = models.BooleanField(_("small or medium business"), default=True)
    opened_on = models.DateField(_("opened on the platform"))
    returned_on = models.DateField(
        _("returned to the platform on"),
        null=True,
        blank=True,
        help_text=_("Set when a merchant that had left came back."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE
    )
    # Where a source factory makes its goods, shown on its belt's zoomed map: optional, both
    # coordinates or neither (WGS 84 degrees), and/or the district by name.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    district = models.CharField(
        _("district"),
        max_length=100,
        blank=True,
        help_text=_("The town or district the factory is in, e.g. Baigou or Shunde."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["shop_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(returned_on__isnull=True) | Q(returned_on__gte=F("opened_on")),
                name="merchant_returned_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="merchant_location_both_or_neither",
                violation_error_message=_("Give both the latitude and the longitude, or neither."),
            ),
        ]
        indexes = [
            models.Index(fields=["belt", "status"], name="merchant_belt_status_idx"),
            models.Index(fields=["category"], name="merchant_category_idx"),
            models.Index(fields=["merchant_type"], name="merchant_type_idx"),
            models.Index(fields=["status", "is_smb"], name="merchant_status_smb_idx"),
            models.Index(fields=["shop_name", "id"], name="merchant_shop_name_idx"),
        ]

    def __str__(self) -> str:
        return self.shop_name

    def clean(self) -> None:
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            missing = "latitude" if self.latitude is None else "longitude"
            raise ValidationError(
                {missing: _("Give both the latitude and the longitude, or neither.")}
            )

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Storefront(models.Model):
    """One of a merchant's shops on a channel (Taobao, Tmall, 1688, live)."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="storefronts", verbose_name=_("merchant")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=StorefrontChannel.choices)
    external_id = models.CharField(_("shop id on the channel"), max_length=64)
    name = models.CharField(_("shop name"), max_length=200)
    url = models.URLField(_("address"), blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("storefront")
        verbose_name_plural = _("storefronts")
        ordering = ["merchant_id", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="storefront_unique_channel_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"


class MerchantMembership(models.Model):
    """A portal user of a merchant: its owner or one of its operators."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("merchant")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="merchant_memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(
        _("role"), max_length=20, choices=MembershipRole.choices, default=MembershipRole.OPERATOR
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant membership")
        verbose_name_plural = _("merchant memberships")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="membership_unique_user"),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(role=MembershipRole.OWNER),
                name="membership_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.merchant} ({self.get_role_display()})"


class ApiKey(AbstractAPIKey):
    """A key for an integration: stored hashed (djangorestframework-api-key), shown once.

    A key belongs to a merchant, and acts as that merchant's operator, or to an operation center,
    and acts as its reviewer, or to neither: a service provider's key (a carrier's or an
    installer's), whose one membership is a ``logistics.ProviderMembership`` (merchants does not
    know logistics, so that owner is not a column here). It acts through a user of its own
    (``user``), holding exactly that membership and no password, so what a key may see and do is
    decided by the same selectors and services as for a person signed in with that role."""

    # The package's columns, named for the reader (its own names are not translatable).
    prefix = models.CharField(_("prefix"), max_length=8, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    name = models.CharField(
        _("name"),
        max_length=50,
        blank=False,
        default=None,
        help_text=_("What the key is for, at most 50 characters; need not be unique."),
    )
    revoked = models.BooleanField(
        _("revoked"),
        blank=True,
        default=False,
        help_text=_("A revoked key no longer works; a revocation cannot be undone."),
    )
    expiry_date = models.DateTimeField(
        _("expires"),
        blank=True,
        null=True,
        help_text=_("After this time the key no longer works."),
    )

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("merchant"),
    )
    center = models.ForeignKey(
        "belts.OperationCenter",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_keys",
        verbose_name=_("operation center"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_key",
        verbose_name=_("acts as"),
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            # At most one of merchant and center; neither: a provider's key (see above).
            models.CheckConstraint(
                condition=Q(merchant__isnull=True) | Q(center__isnull=True),
                name="api_key_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def owner(self):
        """The merchant or the center; None for a provider's key (its membership says which)."""
        return self.merchant or self.center


class MonthlyMetric(models.Model):
    """One merchant's figures for one calendar month. Written by idempotent upsert."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="metrics", verbose_name=_("merchant")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    gmv = models.DecimalField(_("GMV (CNY)"), **MONEY, default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    live_gmv = models.DecimalField(_("live-stream GMV (CNY)"), **MONEY, default=0)
    live_sessions = models.PositiveIntegerField(_("live sessions"), default=0)
    followers = models.PositiveIntegerField(_("followers"), default=0)
    refund_rate = models.DecimalField(_("refund rate"), max_digits=5, decimal_places=4, default=0)
    new_listings = models.PositiveIntegerField(_("new listings"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("monthly metric")
        verbose_name_plural = _("monthly metrics")
        ordering = ["merchant_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "month"], name="metric_unique_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="metric_month_first_day"),
            models.CheckConstraint(condition=Q(gmv__gte=0), name="metric_gmv_non_negative"),
            models.CheckConstraint(
                condition=Q(live_gmv__gte=0) & Q(live_gmv__lte=F("gmv")),
                name="metric_live_gmv_within_gmv",
            ),
            models.CheckConstraint(
                condition=Q(refund_rate__gte=0) & Q(refund_rate__lte=1),
                name="metric_refund_rate_unit_interval",
            ),
        ]
        indexes = [models.Index(fields=["month"], name="metric_month_idx")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.month:%Y-%m}"


class WebhookEndpoint(models.Model):
    """An integration's address that receives signed POSTs of the events about its owner: one
    merchant, or the merchants of the belts one operation center serves."""

    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("merchant"),
    )
    operation_center = models.ForeignKey(
        OperationCenter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("operation center"),
    )
    url = models.URLField(_("address"), max_length=500)
    events = models.JSONField(
        _("events"), default=list, help_text=_("The notification kinds it receives.")
    )
    # Kept as is: it signs every delivery (HMAC), so it must be readable, like any signing key.
    secret = models.CharField(_("signing secret"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failed deliveries"), default=0
    )
    disabled_at = models.DateTimeField(
        _("disabled at"),
        null=True,
        blank=True,
        help_text=_("Set when it was switched off after too many failed deliveries."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(merchant__isnull=False, operation_center__isnull=True)
                | Q(merchant__isnull=True, operation_center__isnull=False),
                name="webhookendpoint_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.url


class Notification(models.Model):
    """The outbox: every message to a user or an integration, written in the same transaction as
    the change that causes it and delivered after commit."""

    # No index of their own: the inbox's (recipient, read_at) and the merchant's (merchant,
    # created_at) lead with them (migration 0011).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        related_name="notifications",
        verbose_name=_("merchant"),
        help_text=_("The merchant the message is about or addressed to."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=NotificationChannel.choices,
        default=NotificationChannel.IN_APP,
    )
    kind = models.CharField(
        _("kind"), max_length=30, choices=NotificationKind.choices, default=NotificationKind.GENERAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"),
        max_length=200,
        unique=True,
        help_text=_("The same event never produces a second notification."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    claimed_at = models.DateTimeField(
        _("delivery started at"),
        null=True,
        blank=True,
        help_text=_("Set while a worker delivers it; a stale claim is retried by the sweeper."),
    )
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        null=True,
        blank=True,
        help_text=_("After a failure that may pass: the sweeper leaves it alone until then."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Webhook deliveries: the endpoint, the id receivers deduplicate by (the same on every
    # attempt), and what the last attempt got back.
    webhook_endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        # The (endpoint, -id) index below serves the endpoint's delivery list and this key.
        db_index=False,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    delivery_id = models.UUIDField(_("delivery id"), null=True, blank=True, unique=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False)
                | Q(merchant__isnull=False)
                | Q(webhook_endpoint__isnull=False),
                name="notification_has_addressee",
            ),
            models.CheckConstraint(
                condition=Q(channel=NotificationChannel.WEBHOOK, webhook_endpoint__isnull=False)
                | ~Q(channel=NotificationChannel.WEBHOOK),
                name="notification_webhook_has_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(status=NotificationStatus.DELIVERED, delivered_at__isnull=False)
                | ~Q(status=NotificationStatus.DELIVERED),
                name="notification_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["merchant", "-created_at"], name="notification_merchant_idx"),
            # The portal's unread badge: a merchant's unread messages to all its members.
            models.Index(
                fields=["merchant"],
                condition=Q(channel=NotificationChannel.IN_APP, read_at__isnull=True)
                & Q(recipient__isnull=True),
                name="notification_unread_merch_idx",
            ),
            models.Index(
                fields=["created_at"],
                condition=Q(status=NotificationStatus.PENDING),
                name="notification_pending_idx",
            ),
            models.Index(
                fields=["webhook_endpoint", "-id"],
                condition=Q(webhook_endpoint__isnull=False),
                name="notification_webhook_idx",
            ),
            # The operators' page: the deliveries that failed for good, newest first.
            models.Index(
                fields=["-id"],
                condition=Q(status=NotificationStatus.FAILED),
                name="notification_failed_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """Whether a user wants e-mail for one kind of notification. In-app is always on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    email_enabled = models.BooleanField(_("send e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notificationpref_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"
