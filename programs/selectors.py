"""Reads of the programs app."""

from django.db.models import Prefetch, QuerySet

from .choices import RuleSetStatus
from .models import Program, RuleSet


def program_list() -> QuerySet[Program]:
    """Programs with their published rule set (at most one, the database guarantees it) loaded
    into ``published_rule_sets``: a list of zero or one rule set."""
    published = Prefetch(
        "rule_sets",
        queryset=RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED),
        to_attr="published_rule_sets",
    )
    return Program.objects.prefetch_related(published).order_by("name", "id")
