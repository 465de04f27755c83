"""One FilterSet per model of the belts app, for the REST API; and the atlas's filter form."""

from dataclasses import dataclass
from typing import cast

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import BeltTier
from .models import BeltYearStat, Category, City, IndustrialBelt, OperationCenter
from .selectors import atlas_year_list


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


# The atlas ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AtlasFilter:
    """What the atlas shows, checked: the arguments of ``selectors.atlas_belt_list``."""

    year: int | None
    category_slug: str | None
    tier: str | None


class AtlasFilterForm(forms.Form):
    """The atlas's filter, for the API's ``belts/geo/`` and the atlas pages alike.

    A form rather than a FilterSet: the atlas is not a queryset the caller narrows, but rows
    the selector composes (every belt with one year's figures), so what is shared is the
    checking of the three inputs. Rendered as a GET form, it is the page's filter bar: the year
    and category selects list what exists.

    - ``year``: a year that has belt figures (empty: the newest one). Any other year is refused,
      so the input is bounded by the data and a typo is an error, not an empty map.
    - ``category``: a category's slug; an unknown slug is refused.
    - ``tier``: a ``BeltTier`` value.

    One query when made (the years with figures, for the select and the check), one more to
    check a category given.
    """

    year = forms.TypedChoiceField(
        label=_("Year"),
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": _("There are no belt figures for %(value)s.")},
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("name", "id"),
        to_field_name="slug",
        required=False,
        empty_label=_("All categories"),
        error_messages={"invalid_choice": _("There is no category “%(value)s”.")},
    )
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=[("", _("All tiers")), *BeltTier.choices],
        required=False,
        error_messages={"invalid_choice": _("“%(value)s” is not a belt tier.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.years = atlas_year_list()
        year_field = cast(forms.TypedChoiceField, self.fields["year"])
        year_field.choices = [
            ("", _("Newest year")),
            *((year, str(year)) for year in self.years),
        ]

    def atlas_filter(self) -> AtlasFilter:
        """The checked filter, after ``is_valid()``. The year is resolved here (the newest year
        with figures when none was chosen, None when there are none), so the selector need not
        look for it again."""
        data = self.cleaned_data
        category = data.get("category")
        return AtlasFilter(
            year=data.get("year") or (self.years[0] if self.years else None),
            category_slug=category.slug if category is not None else None,
            tier=data.get("tier") or None,
        )
