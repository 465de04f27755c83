"""FilterSets of the programs API's eligibility, rule set and enrollment lists.

They belong in ``programs/filtersets.py`` beside ``ProgramFilterSet`` (one FilterSet per model,
shared with the console); they sit here until that module's owner takes them in.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from belts.filtersets import IntegerFilter
from programs.choices import EnrollmentState, RuleSetStatus
from programs.models import Eligibility, Enrollment, Program, RuleSet

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
