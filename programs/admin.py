"""Staff console for support programs, rule sets, eligibility, cohorts and enrollments.

What the console may not do, it refuses here rather than trusting the services to catch it:
a published or retired rule set is immutable, eligibility is computed, enrollment events are an
append-only audit log, and an enrollment changes state only through the workflow (its guards
keep seats from being overbooked), never by editing the ``state`` field.
"""

from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .choices import SEAT_HOLDING_STATES, EnrollmentState, RuleSetStatus
from .criteria import criteria_from_json
from .exceptions import CriterionError, as_validation_error
from .models import Cohort, Eligibility, Enrollment, EnrollmentEvent, Program, RuleSet


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "name_zh", "is_active", "published_version", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "name_zh", "code")
    prepopulated_fields = {"code": ("name",)}
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        published = RuleSet.objects.filter(program=OuterRef("pk"), status=RuleSetStatus.PUBLISHED)
        return (
            super()
            .get_queryset(request)
            .annotate(published_version=Subquery(published.values("version")[:1]))
        )

    @admin.display(description=_("published rule set"), ordering="published_version")
    def published_version(self, obj):
        if obj.published_version is None:
            return None
        return _("v%(version)s") % {"version": obj.published_version}


class RuleSetForm(forms.ModelForm):
    class Meta:
        model = RuleSet
        fields = ("program", "version", "criteria", "notes")

    def clean_criteria(self):
        """Refuse a draft whose criteria the eligibility engine could not read."""
        criteria = self.cleaned_data["criteria"]
        try:
            criteria_from_json(criteria)
        except CriterionError as error:
            raise as_validation_error(error) from error
        return criteria


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Drafts are edited here; published and retired versions are immutable: view only.

    The lifecycle fields are read-only even on drafts: publishing and retiring go through the
    rule-set services, which also retire the previous version and stamp the times.
    """

    list_display = (
        "program",
        "version",
        "status",
        "criterion_count",
        "created_by",
        "created_at",
        "published_at",
        "retired_at",
    )
    list_select_related = ("program", "created_by")
    list_filter = ("status", "program")
    search_fields = ("program__name", "program__code", "notes")
    form = RuleSetForm
    readonly_fields = ("status", "created_by", "created_at", "published_at", "retired_at")
    fields = (
        "program",
        "version",
        "criteria",
        "notes",
        "status",
        "created_by",
        "created_at",
        "published_at",
        "retired_at",
    )

    @staticmethod
    def _is_frozen(obj) -> bool:
        return obj is not None and obj.status != RuleSetStatus.DRAFT

    def has_change_permission(self, request, obj=None):
        if self._is_frozen(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # Also consulted per object by the bulk delete action and by cascades from a program.
        if self._is_frozen(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("criteria"))
    def criterion_count(self, obj):
        return len(obj.criteria or ())


@admin.register(Eligibility)
class EligibilityAdmin(admin.ModelAdmin):
    """Computed by the recompute tasks: shown with its reasons, never typed by hand.

    Deleting is allowed (the next recompute writes the row again), so that deleting a merchant
    or a program is not blocked by its derived rows.
    """

    list_display = (
        "merchant",
        "program",
        "rule_set_version",
        "is_eligible",
        "failed_criteria",
        "changed_at",
        "computed_at",
    )
    list_select_related = ("merchant", "program", "rule_set")
    list_filter = ("is_eligible", "program", "merchant__belt")
    search_fields = ("merchant__shop_name", "merchant__legal_name")
    fields = (
        "merchant",
        "program",
        "rule_set",
        "is_eligible",
        "reasons_table",
        "changed_at",
        "status_changes",
        "computed_at",
    )
    readonly_fields = fields
    # The model orders by the program's and the merchant's names, a sort over joined tables for
    # every page; the unique (merchant, program) index serves this order instead.
    ordering = ("merchant_id", "program_id")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rule set"), ordering="rule_set__version")
    def rule_set_version(self, obj):
        return _("v%(version)s") % {"version": obj.rule_set.version}

    @admin.display(description=_("failed criteria"))
    def failed_criteria(self, obj):
        return sum(1 for reason in obj.reasons or () if not reason.get("passed"))

    @admin.display(description=_("reasons"))
    def reasons_table(self, obj):
        """One row per criterion: passed or not, with the actual and the required value."""
        if not obj.reasons:
            return None

        def shown(value):
            return "—" if value is None or value == "" else value

        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reason.get("type", ""),
                    _("passed") if reason.get("passed") else _("failed"),
                    shown(reason.get("actual")),
                    shown(reason.get("required")),
                    shown(reason.get("shortfall")),
                )
                for reason in obj.reasons
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("criterion"),
            _("result"),
            _("actual"),
            _("required"),
            _("shortfall"),
            rows,
        )


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "program",
        "application_opens_at",
        "application_closes_at",
        "seats",
        "seats_taken",
        "waitlisted",
        "belt",
    )
    list_select_related = ("program", "belt")
    list_filter = ("program", "belt__category")
    date_hierarchy = "application_opens_at"
    search_fields = ("name", "program__name", "program__code")
    autocomplete_fields = ("belt",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seats_taken=Count(
                    "enrollments", filter=Q(enrollments__state__in=SEAT_HOLDING_STATES)
                ),
                waitlisted=Count(
                    "enrollments", filter=Q(enrollments__state=EnrollmentState.WAITLISTED)
                ),
            )
        )

    @admin.display(description=_("seats taken"), ordering="seats_taken")
    def seats_taken(self, obj):
        return obj.seats_taken

    @admin.display(description=_("waitlisted"), ordering="waitlisted")
    def waitlisted(self, obj):
        return obj.waitlisted


class CohortListFilter(admin.RelatedFieldListFilter):
    """Lists cohorts with their program in one query (a cohort's name includes its program's)."""

    def field_choices(self, field, request, model_admin):
        cohorts = Cohort.objects.select_related("program").order_by(
            "program__name", "-application_opens_at", "name"
        )
        return [(cohort.pk, str(cohort)) for cohort in cohorts]


class EnrollmentEventInline(admin.TabularInline):
    """The enrollment's history, read-only: the audit log is append-only."""

    model = EnrollmentEvent
    fields = ("created_at", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Enrollments are created by applications (portal, API) and move by workflow transitions;
    the console shows them and edits only the override reason."""

    list_display = (
        "merchant",
        "program",
        "cohort_name",
        "state",
        "submitted_at",
        "decided_at",
        "state_changed_at",
        "created_at",
    )
    # The cohort's program too: the row's action checkbox is labelled with str(enrollment).
    list_select_related = ("merchant", "program", "cohort__program")
    # No date hierarchy on this big table: it scans every row for its range on each page view.
    list_filter = (
        "state",
        "program",
        ("cohort", CohortListFilter),
        "merchant__belt",
        "submitted_at",
        "created_at",
    )
    search_fields = ("merchant__shop_name", "merchant__legal_name", "cohort__name")
    # Newest first by key: the model's "-created_at" order has no index and would sort the whole
    # table for every page; ids grow with creation time, so the order is the same.
    ordering = ("-pk",)
    readonly_fields = (
        "merchant",
        "cohort",
        "program",
        "state",
        "created_by",
        "created_at",
        "submitted_at",
        "decided_at",
        "waitlisted_at",
        "state_changed_at",
    )
    fieldsets = (
        (None, {"fields": ("merchant", "cohort", "program", "state")}),
        (_("Eligibility"), {"fields": ("eligibility_override_reason",)}),
        (
            _("Timeline"),
            {
                "fields": (
                    "created_by",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                    "waitlisted_at",
                    "state_changed_at",
                )
            },
        ),
    )
    inlines = (EnrollmentEventInline,)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("cohort"), ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.name


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(admin.ModelAdmin):
    """The append-only audit log of enrollment transitions: viewable, never added, changed or
    deleted through the console (deleting an enrollment or a merchant that has history is
    refused for the same reason)."""

    list_display = ("enrollment", "from_state", "to_state", "actor", "created_at")
    list_select_related = ("enrollment__merchant", "enrollment__cohort__program", "actor")
    list_filter = ("to_state", "from_state", "created_at")
    search_fields = ("enrollment__merchant__shop_name", "reason", "actor__username")
    # Newest first by key: the model orders by enrollment, hence by the enrollment's own order,
    # a join and a sort of the whole log for each page.
    ordering = ("-pk",)
    fields = ("enrollment", "from_state", "to_state", "actor", "reason", "created_at")
    readonly_fields = fields
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
