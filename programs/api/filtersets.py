"""FilterSets of the programs API's eligibility and rule set lists.

They belong in ``programs/filtersets.py`` beside ``ProgramFilterSet`` (one FilterSet per model,
shared with the console); they sit here until that module's owner takes them in.
"""

import django_filters
from django.utils.translation import gettext_lazy as _

from programs.choices import RuleSetStatus
from programs.models import Eligibility, RuleSet


class EligibilityFilterSet(django_filters.FilterSet):
    # Plain numbers and codes, not model choices: a filter costs no query of its own.
    merchant = django_filters.NumberFilter(field_name="merchant_id", label=_("Merchant id"))
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
