"""One FilterSet per model of the merchants app, for the REST API.

Filters take plain ids, slugs and codes, not model choices: a filter costs no query of its own,
and an id outside the caller's scope simply matches nothing.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from belts.filtersets import IntegerFilter

from .choices import BrandStage, MerchantStatus, MerchantType, NotificationKind
from .models import Merchant, MonthlyMetric, Notification

SEARCH_MAX_LENGTH = 100


class MerchantFilterSet(django_filters.FilterSet):
    belt = IntegerFilter(field_name="belt_id", label=_("Belt (id)"))
    category = django_filters.CharFilter(field_name="category__slug", label=_("Category (slug)"))
    merchant_type = django_filters.ChoiceFilter(
        choices=MerchantType.choices, label=_("Merchant type")
    )
    brand_stage = django_filters.ChoiceFilter(choices=BrandStage.choices, label=_("Brand stage"))
    status = django_filters.ChoiceFilter(choices=MerchantStatus.choices, label=_("Status"))
    is_smb = django_filters.BooleanFilter(label=_("Small or medium business"))
    # A substring of the shop or legal name. No B-tree index serves a substring match: on
    # PostgreSQL at 100,000 merchants it is a scan of the (small) merchant table, bounded by the
    # page; a trigram index (pg_trgm) is the step up if it ever shows in the slow log.
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=SEARCH_MAX_LENGTH,
        label=_("Search the shop and legal names"),
    )

    class Meta:
        model = Merchant
        fields = ["belt", "category", "merchant_type", "brand_stage", "status", "is_smb"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(shop_name__icontains=value) | Q(legal_name__icontains=value))


class MonthField(forms.DateField):
    """A date that is the first day of a month."""

    def validate(self, value: datetime.date | None) -> None:
        super().validate(value)
        if value is not None and value.day != 1:
            raise forms.ValidationError(
                _("Give the first day of a month, e.g. 2026-10-01."), code="not_first_day"
            )


class MonthFilter(django_filters.DateFilter):
    field_class = MonthField


class MonthlyMetricFilterSet(django_filters.FilterSet):
    merchant = IntegerFilter(field_name="merchant_id", label=_("Merchant (id)"))
    month_after = MonthFilter(
        field_name="month", lookup_expr="gte", label=_("From this month on (first day)")
    )
    month_before = MonthFilter(
        field_name="month", lookup_expr="lte", label=_("Up to this month (first day)")
    )

    class Meta:
        model = MonthlyMetric
        fields = ["merchant", "month_after", "month_before"]


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label=_("Unread only (true) or read (false)")
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices, label=_("Kind"))

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
