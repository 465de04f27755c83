"""What the console exports (django-import-export): the review queue and the cohorts.

The resources only shape rows. The rows come from the admin's changelist queryset, already
limited to the staff member's operation centers and to the list's filters and search, and
already annotated (eligibility now, seats used, waitlist, applications): an export runs one
query, whatever its size.
"""

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields

from core.imports import SheetExportResource

from .choices import EnrollmentState
from .models import Cohort, ReviewQueueItem


def _local(value):
    """A time as the console shows it (the active time zone), without the zone: spreadsheets
    keep no zone and xlsx refuses aware datetimes."""
    if value is None:
        return None
    return timezone.localtime(value).replace(tzinfo=None)


class ReviewQueueResource(SheetExportResource):
    """One row per application awaiting a decision, oldest submission first."""

    merchant = fields.Field(attribute="merchant__shop_name", column_name=_("merchant"))
    belt = fields.Field(column_name=_("belt"))
    program = fields.Field(attribute="program__name", column_name=_("program"))
    cohort = fields.Field(attribute="cohort__name", column_name=_("cohort"))
    state = fields.Field(column_name=_("state"))
    submitted_at = fields.Field(column_name=_("submitted at"))
    eligible_now = fields.Field(column_name=_("eligible now"))
    seats_used = fields.Field(attribute="seats_used", column_name=_("seats used"))
    seats = fields.Field(attribute="cohort__seats", column_name=_("seats"))

    class Meta:
        model = ReviewQueueItem
        fields = (
            "id",
            "merchant",
            "belt",
            "program",
            "cohort",
            "state",
            "submitted_at",
            "eligible_now",
            "seats_used",
            "seats",
        )
        export_order = fields

    def dehydrate_belt(self, obj) -> str:
        return str(obj.merchant.belt)

    def dehydrate_state(self, obj) -> str:
        return str(EnrollmentState(obj.state).label)

    def dehydrate_submitted_at(self, obj):
        return _local(obj.submitted_at)

    def dehydrate_eligible_now(self, obj) -> str:
        if obj.eligible_now is None:
            return gettext("not computed")
        return gettext("eligible") if obj.eligible_now else gettext("not eligible")


class CohortResource(SheetExportResource):
    """One row per cohort: its program, window, seats and how they are taken."""

    program = fields.Field(attribute="program__name", column_name=_("program"))
    name = fields.Field(attribute="name", column_name=_("name"))
    application_opens_at = fields.Field(column_name=_("applications open"))
    application_closes_at = fields.Field(column_name=_("applications close"))
    seats = fields.Field(attribute="seats", column_name=_("seats"))
    seats_used = fields.Field(attribute="seats_taken", column_name=_("seats used"))
    waitlisted = fields.Field(attribute="waitlisted", column_name=_("waitlisted"))
    applications = fields.Field(attribute="applications", column_name=_("applications"))

    class Meta:
        model = Cohort
        fields = (
            "id",
            "program",
            "name",
            "application_opens_at",
            "application_closes_at",
            "seats",
            "seats_used",
            "waitlisted",
            "applications",
        )
        export_order = fields

    def dehydrate_application_opens_at(self, obj):
        return _local(obj.application_opens_at)

    def dehydrate_application_closes_at(self, obj):
        return _local(obj.application_closes_at)
