"""The notes the workflow wrote as English text become reason codes, rendered per language.

Frozen here (not imported from ``programs.reasons``): a migration must mean the same thing
whatever the code becomes. Reversible: a code goes back to its English text (an approval that
found no seat, with the reviewer's words after "; " as the workflow used to write them).
"""

from django.db import migrations

# The workflow's own notes, as enrollment services wrote them.
NO_SEAT = "no seat left: waitlisted"
WORKFLOW = {
    NO_SEAT: "no_seat_waitlisted",
    "promoted from the waitlist: a seat became free": "promoted",
    "the application window closed before the draft was submitted": "window_closed",
    "graduation proposed": "graduation_proposed",
}
# The notes of the demo's story (seed_demo).
DEMO = {
    "Application started.": "application_started",
    "Application submitted.": "application_submitted",
    "Picked up for review.": "review_started",
    "Meets the program's criteria; a seat is granted.": "seat_granted",
    "All seats are committed; placed on the waitlist.": "no_seat_waitlisted",
    "The cohort started.": "cohort_started",
}
KNOWN = {**DEMO, **WORKFLOW}  # the workflow's wording wins on the way back
BACK = {code: text for text, code in KNOWN.items()}
BACK["no_seat_waitlisted"] = NO_SEAT


def _params(event, code):
    if code == "no_seat_waitlisted":
        return {"seats": event.enrollment.cohort.seats}
    return {}


def forward(apps, schema_editor):
    EnrollmentEvent = apps.get_model("programs", "EnrollmentEvent")
    untagged = EnrollmentEvent.objects.filter(reason_code="").select_related("enrollment__cohort")
    for event in untagged.filter(reason__in=list(KNOWN)).iterator(chunk_size=2000):
        code = KNOWN[event.reason]
        event.reason_code, event.reason_params, event.reason = code, _params(event, code), ""
        event.save(update_fields=["reason_code", "reason_params", "reason"])
    # "no seat left: waitlisted; <what the reviewer typed>"
    for event in untagged.filter(reason__startswith=NO_SEAT + "; ").iterator(chunk_size=2000):
        code = WORKFLOW[NO_SEAT]
        event.reason_code, event.reason_params = code, _params(event, code)
        event.reason = event.reason[len(NO_SEAT) + 2 :]
        event.save(update_fields=["reason_code", "reason_params", "reason"])


def backward(apps, schema_editor):
    EnrollmentEvent = apps.get_model("programs", "EnrollmentEvent")
    for event in EnrollmentEvent.objects.exclude(reason_code="").iterator(chunk_size=2000):
        text = BACK.get(event.reason_code)
        if text is not None:
            event.reason = f"{text}; {event.reason}" if event.reason else text
        event.reason_code, event.reason_params = "", {}
        event.save(update_fields=["reason_code", "reason_params", "reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0008_program_benefits_cohort_name_zh_event_reason_code"),
    ]

    operations = [migrations.RunPython(forward, backward)]
