"""Errors a user can cause in logistics: one family, one clear message each."""

from core.exceptions import DomainError


class LogisticsError(DomainError):
    """Base of the errors a user (staff, merchant, carrier, integration) can cause here."""


class LogisticsForbidden(LogisticsError):
    """The caller may see the shipment but not take this step on it."""

    default_code = "forbidden"


class PhotoError(LogisticsError):
    """An uploaded photo is not accepted: not an image, too large, too many."""

    default_code = "invalid_photo"
    default_field = "photos"
