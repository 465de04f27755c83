"""Cohorts in the console: a program's intake rounds, with their seats, exported as CSV or Excel."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core.admin import ConsoleExportMixin

from ..choices import EnrollmentState
from ..models import Cohort
from ..resources import CohortResource
from ..selectors import seats_used_annotation
from .rule_sets import CriteriaField, clean_criteria_field


class CohortForm(forms.ModelForm):
    """A cohort; its graduation criteria are validated as a rule set's are."""

    class Meta:
        model = Cohort
        fields = (
            "program",
            "name",
            "name_zh",
            "application_opens_at",
            "application_closes_at",
            "seats",
            "belt",
            "graduation_criteria",
        )
        field_classes = {"graduation_criteria": CriteriaField}
        widgets = {
            "graduation_criteria": forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})
        }

    def clean_graduation_criteria(self):
        return clean_criteria_field(self.cleaned_data["graduation_criteria"])


@admin.register(Cohort)
class CohortAdmin(ConsoleExportMixin, admin.ModelAdmin):
    form = CohortForm
    resource_classes = [CohortResource]
    list_display = (
        "name",
        "name_zh",
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
    search_fields = ("name", "name_zh", "program__name", "program__name_zh", "program__code")
    autocomplete_fields = ("belt",)
    readonly_fields = ("created_at",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                seats_taken=seats_used_annotation(),
                waitlisted=Count(
                    "enrollments", filter=Q(enrollments__state=EnrollmentState.WAITLISTED)
                ),
                # Every application that reached the reviewers, whatever became of it.
                applications=Count(
                    "enrollments", filter=Q(enrollments__submitted_at__isnull=False)
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
