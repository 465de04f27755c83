"""Enrollments in the console: shown with their history, moved on only by the workflow's
services (the center's managers start programs and confirm graduations), and the append-only
log of their transitions."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from belts.admin_scoping import CenterScopedAdminMixin
from core.pagination import BigTablePaginator
from core.people import person_display

from ..exceptions import ProgramError
from ..models import Enrollment, EnrollmentEvent
from ..services.enrollments import REASON_MAX_LENGTH, enrollment_activate, enrollment_graduate
from .cohorts import CohortListFilter


class EnrollmentEventInline(admin.TabularInline):
    """The enrollment's history, read-only: the audit log is append-only."""

    model = EnrollmentEvent
    fields = ("created_at", "from_state", "to_state", "actor_name", "reason_note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("actor"))
    def actor_name(self, obj):
        return obj.actor_display

    @admin.display(description=_("reason"))
    def reason_note(self, obj):
        return obj.reason_text

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EnrollmentForm(forms.ModelForm):
    """The one field the console edits on an enrollment, bounded as every reason is."""

    eligibility_override_reason = forms.CharField(
        label=_("eligibility override reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    class Meta:
        model = Enrollment
        fields = ("eligibility_override_reason",)


@admin.register(Enrollment)
class EnrollmentAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """Enrollments are created by applications (portal, API) and move by workflow transitions;
    the console shows them and edits only the override reason."""

    belt_path = "merchant__belt"
    form = EnrollmentForm

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
        "created_by_name",
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
                    "created_by_name",
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
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50
    actions = ("activate_selected", "graduate_selected")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("cohort"), ordering="cohort__name")
    def cohort_name(self, obj):
        return obj.cohort.display_name

    @admin.display(description=_("created by"))
    def created_by_name(self, obj):
        return person_display(obj.created_by) if obj.created_by_id else "—"

    # After approval: the center's managers start the program and confirm graduations ----------
    @admin.action(description=_("Start the program for the selected approved enrollments"))
    def activate_selected(self, request, queryset):
        self._step_each(request, queryset, enrollment_activate)

    @admin.action(description=_("Confirm graduation of the selected active enrollments"))
    def graduate_selected(self, request, queryset):
        self._step_each(request, queryset, enrollment_graduate)

    def _step_each(self, request, queryset, service) -> None:
        """One service call per enrollment (each its own transaction, its own checks of state
        and role); what was refused is reported, never forced."""
        done, refused = 0, []
        for enrollment in queryset.select_related("merchant", "cohort"):
            try:
                service(enrollment=enrollment, actor=request.user)
            except ProgramError as error:
                refused.append(f"{enrollment.merchant}: {error.message}")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("%(count)d enrollment moved on.", "%(count)d enrollments moved on.", done)
                % {"count": done},
                messages.SUCCESS,
            )
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(CenterScopedAdminMixin, admin.ModelAdmin):
    """The append-only audit log of enrollment transitions: viewable, never added, changed or
    deleted through the console (deleting an enrollment or a merchant that has history is
    refused for the same reason)."""

    belt_path = "enrollment__merchant__belt"

    list_display = ("enrollment", "from_state", "to_state", "actor_name", "created_at")
    list_select_related = ("enrollment__merchant", "enrollment__cohort__program", "actor")
    list_filter = ("to_state", "from_state", "created_at")
    search_fields = ("enrollment__merchant__shop_name", "reason", "actor__username")
    # Newest first by key: the model orders by enrollment, hence by the enrollment's own order,
    # a join and a sort of the whole log for each page.
    ordering = ("-pk",)
    fields = (
        "enrollment",
        "from_state",
        "to_state",
        "actor_name",
        "reason_note",
        "created_at",
    )
    readonly_fields = fields
    show_full_result_count = False
    paginator = BigTablePaginator  # estimated or capped counts, deep pages by key
    list_per_page = 50

    @admin.display(description=_("actor"), ordering="actor")
    def actor_name(self, obj):
        return obj.actor_display

    @admin.display(description=_("reason"))
    def reason_note(self, obj):
        return obj.reason_text

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
