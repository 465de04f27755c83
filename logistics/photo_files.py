"""A hand-over photo as an HTTP answer, after the caller's scope was checked.

Photos are never served from a public ``/media/`` location: the portal (``logistics:photo``) and
the API (``api:photo-file``) answer them to whoever may see the shipment, and a 404 to anyone
else. With ``MEDIA_X_ACCEL_REDIRECT`` set (production behind nginx), the app only decides and
the proxy sends the file from an ``internal`` location; otherwise the app streams it.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase

from .models import ConditionCheckPhoto


def photo_response(photo: ConditionCheckPhoto) -> HttpResponseBase:
    name = photo.image.name
    prefix = settings.MEDIA_X_ACCEL_REDIRECT
    if prefix:
        response: HttpResponseBase = HttpResponse(content_type=photo.content_type)
        response["X-Accel-Redirect"] = f"{prefix.rstrip('/')}/{quote(name)}"
    else:
        try:
            stored = photo.image.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(stored, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="{posixpath.basename(name)}"'
    # The browser may keep it; no shared cache may (it is not for everyone).
    response["Cache-Control"] = "private, max-age=86400"
    return response
