"""``Authorization: Api-Key <key>`` for integrations (``merchants.ApiKey``).

Listed first among the API's authentication classes, so a request without credentials is
answered 401 with ``WWW-Authenticate: Api-Key``; a browser's session still works after it.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from merchants.api_keys import api_key_authenticate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme, or none: the next class may know it
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as “Authorization: Api-Key <key>”, with nothing else.")
            )
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raw_key = ""
        api_key = api_key_authenticate(raw_key)
        if api_key is None:
            # One message for unknown, revoked and expired keys: nothing to probe.
            raise exceptions.AuthenticationFailed(_("This API key is not valid."))
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "merchants.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key of a merchant (acting as its operator) or of "
            "an operation center (acting as its reviewer).",
        }
