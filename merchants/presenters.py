"""How a notification reads on the portal's pages: the page it is about, and the link's words.

Shared by every page that lists notifications (the inbox, the portal's home). The pages belong
to other apps (programs, logistics), which this app may not import: their URL names are
resolved at render time, and a name that does not resolve gives no link.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .choices import NotificationKind
from .models import Notification

StrOrPromise = str | Promise


def _applications(notification: Notification, payload: dict[str, Any]) -> str | None:
    enrollment = payload.get("enrollment")
    if not isinstance(enrollment, int):
        return None
    url = reverse("programs:applications")
    # The page of the merchant's applications, at this one (its card's id).
    return f"{url}?{urlencode({'merchant': notification.merchant_id})}#application-{enrollment:d}"


def _eligibility(notification: Notification, payload: dict[str, Any]) -> str:
    return f"{reverse('programs:eligibility')}?{urlencode({'merchant': notification.merchant_id})}"


def _shipment(notification: Notification, payload: dict[str, Any]) -> str | None:
    shipment = payload.get("shipment")
    if not isinstance(shipment, int):
        return None
    return reverse("logistics:shipment", args=[shipment])


# Per kind: the URL of the page it is about (None when the payload lacks what it needs) and
# the link's words.
NOTIFICATION_LINKS: dict[
    str, tuple[Callable[[Notification, dict[str, Any]], str | None], StrOrPromise]
] = {
    NotificationKind.ENROLLMENT_CHANGED: (_applications, _("Open the application")),
    NotificationKind.ELIGIBILITY_GAINED: (_eligibility, _("See your eligibility")),
    NotificationKind.ELIGIBILITY_LOST: (_eligibility, _("See your eligibility")),
    NotificationKind.SHIPMENT_INCIDENT: (_shipment, _("Open the shipment")),
    NotificationKind.SLA_BREACH: (_shipment, _("Open the shipment")),
}


def notification_link(
    notification: Notification, *, merchant_ids: Collection[int]
) -> tuple[str, StrOrPromise] | None:
    """The portal page ``notification`` is about and the link's words, or None.

    ``merchant_ids``: the merchants the reader is a member of. Only a notification about one of
    them links anywhere: the pages are the merchant's own, and a message addressed to the
    reader as staff (a review awaiting) has no portal page. Pure Python: no query per row."""
    target = NOTIFICATION_LINKS.get(notification.kind)
    if target is None or notification.merchant_id not in merchant_ids:
        return None
    build, label = target
    try:
        url = build(notification, notification.payload or {})
    except NoReverseMatch:
        return None
    return (url, label) if url else None
