"""People as a page names them: by their full name, else by what they are, never by a login."""

from typing import Any

from django.utils.translation import gettext as _


def person_display(user: Any) -> str:
    """Who took a step, for any reader: the user's full name; without one, their role
    ("Operation center staff", "Merchant user"); "System" for the workflow itself (no user).

    A username is a login, not a name: it is never shown, also because it may be an English
    handle in a Chinese page or say more about an account than its reader may know."""
    if user is None:
        return _("System")
    full_name = (user.get_full_name() or "").strip()
    if full_name:
        return full_name
    if user.is_staff or user.is_superuser:
        return _("Operation center staff")
    return _("Merchant user")
