"""One FilterSet per model, shared by the REST API and, later, the console lists."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Program

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
