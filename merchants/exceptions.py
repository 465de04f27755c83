"""Errors a user can cause in the merchants domain: one family, one clear message each."""

from core.exceptions import DomainError


class MerchantError(DomainError):
    """Base of the errors a user can cause here."""


class MetricError(MerchantError):
    """A monthly metric row is not acceptable (bad month, negative money, unknown merchant)."""


class ApiKeyError(MerchantError):
    """An API key cannot be created or revoked as asked (name, expiry, owner, limits)."""


class ApiKeyForbidden(ApiKeyError):
    """The user may not manage keys of this owner."""

    def __init__(self, message: str, **kwargs) -> None:
        kwargs.setdefault("code", "forbidden")
        super().__init__(message, **kwargs)


class WebhookError(MerchantError):
    """A webhook endpoint cannot be written so (bad address, unknown event, too many)."""
