"""One FilterSet per model of the belts app, for the REST API."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import BeltTier
from .models import BeltYearStat, Category, City, IndustrialBelt, OperationCenter


class BoundedIntegerField(forms.IntegerField):
    """An id or a year: a whole number the database's bigint holds, so a huge one is a 400, not
    an overflow in the query (a 500)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class IntegerFilter(django_filters.NumberFilter):
    """A number filter for ids and years: "1.5" is refused, not rounded to 1, and a number past
    a bigint is refused too."""

    field_class = BoundedIntegerField


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with ``q``: a case-insensitive search over ``search_fields``."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="search", label=_("Search"))

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class CityFilterSet(SearchFilterSet):
    search_fields = ("name", "name_zh")

    province = django_filters.CharFilter(lookup_expr="iexact", label=_("Province"))

    class Meta:
        model = City
        fields = ["province", "is_prefecture_level"]


class CategoryFilterSet(SearchFilterSet):
    search_fields = ("name", "name_zh", "slug")

    class Meta:
        model = Category
        fields = ["slug"]


class IndustrialBeltFilterSet(SearchFilterSet):
    search_fields = ("name", "name_zh")

    category = django_filters.CharFilter(field_name="category__slug", label=_("Category (slug)"))
    city = IntegerFilter(field_name="city", label=_("City (id)"))
    province = django_filters.CharFilter(
        field_name="city__province", lookup_expr="iexact", label=_("Province")
    )

    class Meta:
        model = IndustrialBelt
        fields = ["category", "city", "province"]


class OperationCenterFilterSet(SearchFilterSet):
    search_fields = ("name", "name_zh")

    city = IntegerFilter(field_name="city", label=_("City (id)"))
    province = django_filters.CharFilter(
        field_name="city__province", lookup_expr="iexact", label=_("Province")
    )
    belt = IntegerFilter(field_name="belts", label=_("Serves belt (id)"))

    class Meta:
        model = OperationCenter
        fields = ["city", "province", "belt"]


class BeltYearStatFilterSet(django_filters.FilterSet):
    year = IntegerFilter(label=_("Year"))
    tier = django_filters.ChoiceFilter(choices=BeltTier.choices, label=_("Tier"))
    belt = IntegerFilter(field_name="belt", label=_("Belt (id)"))
    belt_slug = django_filters.CharFilter(field_name="belt__slug", label=_("Belt (slug)"))

    class Meta:
        model = BeltYearStat
        fields = ["year", "tier", "belt", "belt_slug"]
