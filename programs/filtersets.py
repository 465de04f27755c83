"""One FilterSet per model, shared by the REST API and, later, the console lists."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Program


class ProgramFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Program
        fields = ["code", "is_active"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(name_zh__icontains=value))
