"""Reads of the merchants app."""

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet
from django.utils import timezone

from .models import MerchantMembership, MonthlyMetric


def membership_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[MerchantMembership]:
    """The user's memberships, each with its merchant, belt and category loaded."""
    return (
        MerchantMembership.objects.filter(user_id=user.pk)
        .select_related("merchant__belt", "merchant__category")
        .order_by("merchant__shop_name", "merchant_id")
    )


def complete_months_window(
    *, months: int, as_of: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first days of the first and the last of the ``months`` complete calendar months before
    ``as_of``'s month (today by default): the same trailing window as the merchant facts."""
    as_of = as_of or timezone.localdate()
    index = as_of.year * 12 + (as_of.month - 1)

    def first_day(i: int) -> datetime.date:
        return datetime.date(i // 12, i % 12 + 1, 1)

    return first_day(index - months), first_day(index - 1)


def monthly_metric_list(
    *, merchant_id: int, months: int = 12, as_of: datetime.date | None = None
) -> QuerySet[MonthlyMetric]:
    """The merchant's figures for the ``months`` complete months before ``as_of``'s month, newest
    first. ``refund_rate_percent`` is the refund rate times 100, for display."""
    first, last = complete_months_window(months=months, as_of=as_of)
    return (
        MonthlyMetric.objects.filter(merchant_id=merchant_id, month__range=(first, last))
        .annotate(
            refund_rate_percent=ExpressionWrapper(
                F("refund_rate") * 100, output_field=DecimalField(max_digits=7, decimal_places=2)
            )
        )
        .order_by("-month")
    )
