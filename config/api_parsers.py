"""``BoundedJSONParser``, the API's only parser: JSON nested deeper than ``MAX_DEPTH`` or holding
a NUL character (which PostgreSQL cannot store in text) is a 400 ``parse_error``, never a
``RecursionError`` or a ``DataError`` (a 500).

Imported by DRF's settings, so it imports nothing that imports DRF's views.
"""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.settings import api_settings
from rest_framework.utils import json as drf_json

# No request of this API needs more than this; the deepest real one (a rule set's criteria in a
# request) is four levels.
MAX_DEPTH = 32


def _check(value) -> None:
    """Depth and NUL characters, walked without recursion limits of its own."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > MAX_DEPTH:
            raise ParseError(
                _("The JSON is nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            )
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(_("Text may not contain the NUL character (\\u0000)."))
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    raise ParseError(_("Text may not contain the NUL character (\\u0000)."))
                stack.append((child, level + 1))
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = drf_json.strict_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(
                _("The JSON is nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            ) from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}
            ) from None
        _check(data)
        return data
