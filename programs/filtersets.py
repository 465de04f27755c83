"""One FilterSet per model of the programs app, for the REST API."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from belts.filtersets import IntegerFilter

from .choices import EnrollmentState, RuleSetStatus
from .models import Eligibility, Enrollment, Program, RuleSet

# The longest search a person types; a longer one is refused (400), not sent to the database.
SEARCH_MAX_LENGTH = 100


class ProgramFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=SEARCH_MAX_LENGTH)
    code = django_filters.CharFilter(
        label=_("code"), max_length=Program._meta.get_field("code").max_length
    )

    class Meta:
        model = Program
        fields = ["code", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(name_zh__icontains=value))


# Bounded like the columns they are compared with: a longer code or a bigger id matches nothing,
# so it is refused (400) rather than sent to the database.
PROGRAM_CODE_MAX_LENGTH = Program._meta.get_field("code").max_length
ID_MAX = 2**63 - 1


class IdFilter(IntegerFilter):
    """A row's id: a whole number from 1 to the largest id the database holds."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)
        # The schema says so too (a NumberFilter alone documents a decimal number).
        extend_schema_field(
            {
                "type": "integer",
                "minimum": 1,
                "maximum": ID_MAX,
                "description": str(self.label or ""),
            }
        )(self)


def program_code_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        field_name="program__code",
        label=_("Program code, e.g. source-power"),
        max_length=PROGRAM_CODE_MAX_LENGTH,
    )


class EligibilityFilterSet(django_filters.FilterSet):
    # Plain numbers and codes, not model choices: a filter costs no query of its own.
    merchant = IdFilter(field_name="merchant_id", label=_("Merchant id"))
    program = program_code_filter()
    is_eligible = django_filters.BooleanFilter(label=_("Eligible"))

    class Meta:
        model = Eligibility
        fields = ["merchant", "program", "is_eligible"]


class RuleSetFilterSet(django_filters.FilterSet):
    program = program_code_filter()
    status = django_filters.ChoiceFilter(choices=RuleSetStatus.choices, label=_("Status"))

    class Meta:
        model = RuleSet
        fields = ["program", "status"]


class EnrollmentFilterSet(django_filters.FilterSet):
    # Plain numbers and codes, not model choices: a filter costs no query of its own, and an id
    # outside the user's scope simply matches nothing.
    state = django_filters.ChoiceFilter(choices=EnrollmentState.choices, label=_("State"))
    program = program_code_filter()
    cohort = IdFilter(field_name="cohort_id", label=_("Cohort id"))
    merchant = IdFilter(field_name="merchant_id", label=_("Merchant id"))

    class Meta:
        model = Enrollment
        fields = ["state", "program", "cohort", "merchant"]
