"""The notes the enrollment workflow writes on its own, as codes rendered in the reader's language.

An ``EnrollmentEvent`` keeps two kinds of why: ``reason``, the text a person typed (a reviewer's
reason, a staff override), stored as typed; and ``reason_code`` with ``reason_params``, what the
workflow itself says (a full cohort, a freed seat, a closed window), stored as a code so that
every reader gets it in their language, also for events written before they switched.
``event_reason_text`` is the one rendering, used by the portal, the console, the API and the
notifications.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ReasonCode(models.TextChoices):
    """What the workflow writes itself. The label is the note without parameters."""

    APPLICATION_STARTED = "application_started", _("Application started.")
    APPLICATION_SUBMITTED = "application_submitted", _("Application submitted.")
    REVIEW_STARTED = "review_started", _("Picked up for review.")
    SEAT_GRANTED = "seat_granted", _("Meets the program's criteria; a seat is granted.")
    NO_SEAT_WAITLISTED = "no_seat_waitlisted", _("No seat left: waitlisted.")
    PROMOTED = "promoted", _("Promoted from the waitlist: a seat became free.")
    WINDOW_CLOSED = (
        "window_closed",
        _("The application window closed before the draft was submitted."),
    )
    ELIGIBILITY_OVERRIDDEN = (
        "eligibility_overridden",
        _("Admitted by staff despite the eligibility rules."),
    )
    COHORT_STARTED = "cohort_started", _("The cohort started.")
    GRADUATION_PROPOSED = (
        "graduation_proposed",
        _("Graduation proposed: the merchant meets the cohort's graduation criteria."),
    )


# The notes that say more with their parameters. Rendered only when every parameter is there;
# else the code's label (an event migrated from free text has none).
REASON_TEMPLATES: dict[str, Any] = {
    ReasonCode.NO_SEAT_WAITLISTED: _("All %(seats)s seats are taken: waitlisted."),
}


def reason_note(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The workflow's note for ``code`` in the active language; empty for no code. An unknown
    code (written by a newer release, say) is shown as the code, never dropped."""
    if not code:
        return ""
    template = REASON_TEMPLATES.get(code)
    if template is not None and params:
        try:
            return str(template) % dict(params)
        except (KeyError, TypeError, ValueError):
            pass
    try:
        return str(ReasonCode(code).label)
    except ValueError:
        return code


def event_reason_text(*, code: str, params: Mapping[str, Any] | None, reason: str) -> str:
    """An event's why, as a reader sees it: the workflow's note, then what a person typed."""
    note = reason_note(code, params)
    if note and reason:
        return gettext("%(note)s %(reason)s") % {"note": note, "reason": reason}
    return note or reason
