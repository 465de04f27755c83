"""Serializers of the merchants app's API.

The domain error shape lives here, at the lowest app with a domain error family, so that every
app above it (programs, logistics) can document the same shape in the schema without importing
across. ``config/api_exceptions.py`` renders it.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from merchants import selectors
from merchants.choices import NotificationKind, WebhookEvent
from merchants.models import Notification, WebhookEndpoint
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
