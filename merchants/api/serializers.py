"""Serializers of the merchants app's API.

The domain error shape lives here, at the lowest app with a domain error family, so that every
app above it (programs, logistics) can document the same shape in the schema without importing
across. ``config/api_exceptions.py`` renders it.
"""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from belts.api.serializers import BriefBeltSerializer, CategorySerializer
from belts.choices import BeltTier
from merchants import selectors
from merchants.choices import (
    BrandStage,
    MerchantStatus,
    MerchantType,
    NotificationKind,
    WebhookEvent,
)
from merchants.models import Merchant, MonthlyMetric, Notification, WebhookEndpoint
from merchants.services.metrics import MAX_METRIC_ROWS, METRIC_FIELDS
from merchants.services.notifications import notification_texts
from merchants.webhooks import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="The input at fault, as a dotted path (`rows.3.gmv`), or null."
    )
    code = serializers.CharField(help_text="A stable, machine-readable code.")
    message = serializers.CharField(help_text="What is wrong, in the request's language.")
    index = serializers.IntegerField(
        required=False, help_text="For the rows of a bulk request: the row's position, from 0."
    )


class DomainErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="A stable, machine-readable code, e.g. `immutable` or `invalid`."
    )
    message = serializers.CharField(help_text="What went wrong, in the request's language.")
    field = serializers.CharField(
        allow_null=True, help_text="The request field at fault, or null when it is not one field."
    )
    details = ErrorItemSerializer(
        many=True, help_text="One entry per problem when there are several; else empty."
    )


class DomainErrorSerializer(serializers.Serializer):
    """The API's one error shape, for every error: a business rule that refused the request
    (400, 403, 409), bad input, missing credentials, a missing object, a spent rate."""

    error = DomainErrorDetailSerializer()


class MerchantBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop_name = serializers.CharField()


# Webhooks ---------------------------------------------------------------------------------------
class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as read back: never its secret, which is shown on create and rotate only."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        help_text="The notification kinds it receives.",
    )
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "merchant",
            "operation_center",
            "url",
            "events",
            "description",
            "is_active",
            "consecutive_failures",
            "disabled_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (HMAC-SHA256 key). Shown now and after a rotation only: "
        "keep it.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class _ScopedOwnerField(serializers.PrimaryKeyRelatedField):
    """An owner the requesting user may manage endpoints of; any other id reads as one that
    does not exist."""

    def __init__(self, selector, **kwargs):
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.selector(user=request.user if request else AnonymousUser())


class WebhookEndpointCreateSerializer(serializers.Serializer):
    merchant = _ScopedOwnerField(
        selectors.webhook_owner_merchants,
        required=False,
        allow_null=True,
        help_text="The merchant it belongs to: one you own. Give this or `operation_center`.",
    )
    operation_center = _ScopedOwnerField(
        selectors.webhook_owner_centers,
        required=False,
        allow_null=True,
        help_text="The operation center it belongs to: one you are staff of.",
    )
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="An `https` address whose host resolves to public addresses only.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.choices),
        help_text="The notification kinds to receive: at least one.",
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    """Only the fields sent change. Switching an endpoint on again starts its run of failures
    over."""

    url = serializers.CharField(max_length=URL_MAX_LENGTH, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        min_length=1,
        max_length=len(WebhookEvent.choices),
        required=False,
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(required=False)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One delivery (a webhook notification) and what its last attempt got."""

    id = serializers.UUIDField(
        source="delivery_id", read_only=True, help_text="Sent as `Belt-Ops-Delivery`."
    )
    event = serializers.ChoiceField(source="kind", choices=NotificationKind.choices, read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "response_code",
            "latency_ms",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


# Merchants ------------------------------------------------------------------------------------
class MerchantSerializer(serializers.ModelSerializer):
    belt = BriefBeltSerializer(read_only=True)
    category = CategorySerializer(read_only=True)

    class Meta:
        model = Merchant
        fields = [
            "id",
            "legal_name",
            "shop_name",
            "belt",
            "category",
            "merchant_type",
            "brand_stage",
            "is_smb",
            "opened_on",
            "returned_on",
            "status",
            "district",
            "latitude",
            "longitude",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


EARLIEST_AS_OF = datetime.date(2000, 1, 1)


class MerchantFactsQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        help_text="The day the facts are computed as of (default today): the trailing twelve "
        "months are the twelve complete months before its month. Not in the future, not "
        "before 2000.",
    )

    def validate_as_of(self, value: datetime.date) -> datetime.date:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The facts cannot be computed as of a future day."))
        if value < EARLIEST_AS_OF:
            raise serializers.ValidationError(_("The facts start in 2000."))
        return value


def _money(help_text: str, **kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=2, help_text=help_text, **kwargs)


def _ratio(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text=help_text
    )


class MerchantFactsSerializer(serializers.Serializer):
    """What the eligibility rules look at for one merchant, as of one day."""

    merchant_id = serializers.IntegerField()
    as_of = serializers.DateField()
    belt_id = serializers.IntegerField()
    belt_tier = serializers.ChoiceField(
        choices=BeltTier.choices,
        allow_null=True,
        help_text="The belt's tier for the last complete calendar year; null while unclassified.",
    )
    category = serializers.CharField(help_text="The category's slug.")
    merchant_type = serializers.ChoiceField(choices=MerchantType.choices)
    brand_stage = serializers.ChoiceField(choices=BrandStage.choices)
    is_smb = serializers.BooleanField()
    status = serializers.ChoiceField(choices=MerchantStatus.choices)
    gmv_12m = _money("GMV (CNY) over the trailing twelve complete months.")
    gmv_prior_12m = _money("GMV (CNY) over the twelve months before those.")
    yoy_growth = _ratio("(gmv_12m - gmv_prior_12m) / gmv_prior_12m; null without a prior year.")
    live_gmv_12m = _money("Live-stream GMV (CNY) over the trailing twelve months.")
    live_share = _ratio("live_gmv_12m / gmv_12m; null without GMV.")
    live_sessions_90d = serializers.IntegerField(
        help_text="Live sessions in the last three complete months."
    )
    refund_rate = _ratio("The mean monthly refund rate over the months with data (0 to 1).")
    months_with_data = serializers.IntegerField(
        help_text="Months of the trailing twelve with figures."
    )
    store_age_months = serializers.IntegerField(help_text="Whole months since opening.")
    months_since_return = serializers.IntegerField(
        allow_null=True, help_text="Whole months since returning to the platform, if it did."
    )


# Monthly metrics ------------------------------------------------------------------------------
class MonthlyMetricSerializer(serializers.ModelSerializer):
    merchant = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MonthlyMetric
        fields = ["id", "merchant", "month", *METRIC_FIELDS, "updated_at"]
        read_only_fields = fields


class MetricRowSerializer(serializers.Serializer):
    """One merchant's figures for one month, for the schema: the service checks the rows, so
    that every bad row of a batch is listed at once. A figure left out keeps the value stored
    for the month (0 for a new month); a figure sent is written, 0 included; null is refused."""

    merchant = serializers.IntegerField(help_text="The merchant's id.")
    month = serializers.DateField(
        help_text="The first day of the month, e.g. `2026-10-01`; not later than this month."
    )
    gmv = _money("GMV (CNY), at most 2 decimals, under 10^14.", required=False)
    orders = serializers.IntegerField(min_value=0, required=False)
    live_gmv = _money("Live-stream GMV (CNY), at most the month's GMV.", required=False)
    live_sessions = serializers.IntegerField(min_value=0, required=False)
    followers = serializers.IntegerField(min_value=0, required=False)
    refund_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=0,
        max_value=1,
        required=False,
        help_text="A share between 0 and 1, at most 4 decimals.",
    )
    new_listings = serializers.IntegerField(min_value=0, required=False)


class MetricsBulkRequestSerializer(serializers.Serializer):
    rows = MetricRowSerializer(
        many=True,
        max_length=MAX_METRIC_ROWS,
        help_text="1 to 5,000 rows, each merchant and month at most once.",
    )


class MetricsBulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Months that had no figures before.")
    updated = serializers.IntegerField(help_text="Months whose figures changed.")
    unchanged = serializers.IntegerField(
        help_text="Rows equal to what was stored: not written, no recompute."
    )


# Notifications --------------------------------------------------------------------------------
class NotificationSerializer(serializers.ModelSerializer):
    """An inbox message with its subject and body in the request's language."""

    merchant = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The merchant it is about, if any."
    )
    subject = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    payload = serializers.SerializerMethodField(
        help_text="The event's data (ids, states, amounts), as the kind defines it."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "merchant", "subject", "body", "payload", "created_at", "read_at"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_payload(self, notification: Notification) -> dict:
        payload = notification.payload if isinstance(notification.payload, dict) else {}
        return {key: value for key, value in payload.items() if key != "texts"}

    def to_representation(self, notification: Notification) -> dict:
        data = super().to_representation(notification)
        texts = notification_texts(notification, self.context.get("language"))
        data["subject"] = texts.get("subject") or notification.subject
        data["body"] = texts.get("body") or notification.body
        return data


class NotificationsMarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notifications are now read.")


class NotificationPreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    label = serializers.CharField(help_text="The kind's name, in the request's language.")
    email_enabled = serializers.BooleanField(
        help_text="Whether an e-mail is sent too (in-app is always on); true unless turned off."
    )


class NotificationPreferenceUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NotificationKind.choices)
    email_enabled = serializers.BooleanField()


class NotificationPreferenceUpdateListSerializer(serializers.ListSerializer):
    """Several kinds at once, each at most once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("child", NotificationPreferenceUpdateSerializer())
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", len(NotificationKind.choices))
        super().__init__(*args, **kwargs)

    def validate(self, attrs: list[dict]) -> list[dict]:
        kinds = [item["kind"] for item in attrs]
        if len(set(kinds)) != len(kinds):
            raise serializers.ValidationError(_("Each kind at most once."))
        return attrs
