"""The one base of the errors a user (staff, merchant, integration) can cause: each app's family
(``MerchantError``, ``ProgramError``, ...) derives from it, and every surface answers it the same
way (the console a message, the portal a form error, the API ``{"error": {...}}``)."""


class DomainError(Exception):
    """A refused request, with one clear message.

    ``code`` is stable for programs to branch on, ``field`` names the input at fault (if any),
    and ``details`` holds one entry per problem when there are several (e.g. each bad row of a
    bulk upsert: ``{"index", "field", "code", "message"}``); the API shows them under
    ``details``."""

    default_code: str = "invalid"
    default_field: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: list[dict] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field or self.default_field
        self.details = details or []
