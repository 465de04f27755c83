"""Serializers of the merchants app's API.

The domain error shape lives here, at the lowest app with a domain error family, so that every
app above it (programs, logistics) can document the same shape in the schema without importing
across. ``config/api_exceptions.py`` renders it.
"""

from rest_framework import serializers


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
