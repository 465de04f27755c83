"""Serializers of the merchants app's API.

The domain error shape lives here, at the lowest app with a domain error family, so that every
app above it (programs, logistics) can document the same shape in the schema without importing
across. ``config/api_exceptions.py`` renders it.
"""

from rest_framework import serializers


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
