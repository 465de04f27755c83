"""Template context every page gets from the merchants app."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import inbox_unread_count


def inbox(request: HttpRequest) -> dict:
    """The unread count for the nav's inbox badge: one query, and only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox_unread_count": 0}
    return {"inbox_unread_count": SimpleLazyObject(lambda: inbox_unread_count(user=user))}
