"""Months relative to today, for tests of metrics and eligibility (arithmetic: core.months)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from core.months import add_months
from merchants.models import MonthlyMetric


def months_back(count: int, today: datetime.date | None = None) -> datetime.date:
    """The first day of the month ``count`` months before this one."""
    return add_months(today or timezone.localdate(), -count)


def add_trailing_gmv(merchant, monthly_gmv: Decimal | int | str, *, months: int = 12) -> None:
    """The same GMV in each of the ``months`` complete months before this one: the trailing
    twelve-month GMV the facts see is twelve times it."""
    MonthlyMetric.objects.bulk_create(
        MonthlyMetric(merchant=merchant, month=months_back(back), gmv=Decimal(monthly_gmv))
        for back in range(1, months + 1)
    )
