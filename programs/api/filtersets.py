"""FilterSets of the programs API's eligibility, rule set and enrollment lists.

They belong in ``programs/filtersets.py`` beside ``ProgramFilterSet`` (one FilterSet per model,
shared with the console); they sit here until that module's owner takes them in.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from belts.filtersets import IntegerFilter
from programs.choices import EnrollmentState, RuleSetStatus
from programs.models import Eligibility, Enrollment, RuleSet


class EligibilityFilterSet(django_filters.FilterSet):
    # Plain numbers and codes, not model choices: a filter costs no query of its own.
    merchant = IntegerFilter(field_name="merchant_id", label=_("Merchant id"))
    program = django_filters.CharFilter(
        field_name="program__code", label=_("Program code, e.g. source-power")
    )
    is_eligible = django_filters.BooleanFilter(label=_("Eligible"))

    class Meta:
        model = Eligibility
        fields = ["merchant", "program", "is_eligible"]


class RuleSetFilterSet(django_filters.FilterSet):
    program = django_filters.CharFilter(
        field_name="program__code", label=_("Program code, e.g. source-power")
    )
    status = django_filters.ChoiceFilter(choices=RuleSetStatus.choices, label=_("Status"))

    class Meta:
        model = RuleSet
        fields = ["program", "status"]


class EnrollmentFilterSet(django_filters.FilterSet):
    # Plain numbers and codes, not model choices: a filter costs no query of its own, and an id
    # outside the user's scope simply matches nothing.
    state = django_filters.ChoiceFilter(choices=EnrollmentState.choices, label=_("State"))
    program = django_filters.CharFilter(
        field_name="program__code", label=_("Program code, e.g. source-power")
    )
    cohort = IntegerFilter(field_name="cohort_id", label=_("Cohort id"))
    merchant = IntegerFilter(field_name="merchant_id", label=_("Merchant id"))

    class Meta:
        model = Enrollment
        fields = ["state", "program", "cohort", "merchant"]
