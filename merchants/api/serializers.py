"""Serializers of the merchants app's API.

The domain error shape lives here, at the lowest app with a domain error family, so that every
app above it (programs, logistics) can document the same shape in the schema without importing
across. ``config/api_exceptions.py`` renders it.
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from belts.api.serializers import BriefBeltSerializer, CategorySerializer
from belts.choices import BeltTier
from merchants.choices import BrandStage, MerchantStatus, MerchantType, NotificationKind
from merchants.models import Merchant, MonthlyMetric, Notification
from merchants.notifications import notification_texts
from merchants.services import MAX_METRIC_ROWS, METRIC_FIELDS


class DomainErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="A stable, machine-readable code, e.g. `immutable` or `invalid`."
    )
    message = serializers.CharField(help_text="What went wrong, in the request's language.")
    field = serializers.CharField(
        allow_null=True, help_text="The request field at fault, or null when it is not one field."
    )


class DomainErrorSerializer(serializers.Serializer):
    """A business rule refused the request (``ProgramError``, ``MerchantError``): 400 when the
    request itself is wrong, 409 when it conflicts with the object's state."""

    error = DomainErrorDetailSerializer()


class MerchantBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop_name = serializers.CharField()


class ErrorProblemSerializer(serializers.Serializer):
    """One problem of a request that has several, e.g. one bad field of one row of a batch."""

    index = serializers.IntegerField(
        help_text="The position of the row in the request's list, from 0."
    )
    field = serializers.CharField(
        allow_null=True, help_text="The row's field at fault, or null for the row as a whole."
    )
    code = serializers.CharField(
        help_text="e.g. `invalid`, `required`, `null`, `negative`, `too_precise`, `too_large`, "
        "`out_of_range`, `not_first_day`, `future`, `unknown_merchant`, `duplicate`, "
        "`unknown_field`, `live_gmv_exceeds_gmv`."
    )
    message = serializers.CharField(help_text="What is wrong, in the request's language.")


class DomainErrorWithDetailsDetailSerializer(DomainErrorDetailSerializer):
    details = ErrorProblemSerializer(
        many=True,
        help_text="One entry per problem (at most 100; the message counts the bad rows). Empty "
        "when the request as a whole is refused.",
    )


class DomainErrorWithDetailsSerializer(serializers.Serializer):
    """A refusal listing each of its problems: a batch with bad rows writes nothing and names
    every bad row."""

    error = DomainErrorWithDetailsDetailSerializer()


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
