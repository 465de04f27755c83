"""Errors a user can cause in the merchants domain: one family, one clear message each."""


class MerchantError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        field: str | None = None,
        details: list[dict] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        # One entry per problem when there are several (e.g. each bad row of a bulk upsert:
        # {"index", "field", "code", "message"}); the API shows them under "details".
        self.details = details or []


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
