"""A merchant's monthly figures as people read them: the rows of the metrics table and the data
of the GMV chart, in the active language and the product's money style (``core.money``). Shared
by the metrics page and the portal's home."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from core.money import cny_axis_unit, format_cny, format_percent
from core.months import add_months

from .models import MonthlyMetric


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One month of the metrics table, every figure formatted."""

    month: datetime.date
    gmv: str
    orders: str
    live_gmv: str
    live_share: str
    live_sessions: str
    refund_rate: str


def metric_rows(metrics: Iterable[MonthlyMetric]) -> list[MetricRow]:
    """The months' figures as the table shows them: ¥777.8万 / CNY 7.8 M, 18.8%, 1,234."""
    return [
        MetricRow(
            month=metric.month,
            gmv=format_cny(metric.gmv),
            orders=number_format(metric.orders, force_grouping=True),
            live_gmv=format_cny(metric.live_gmv),
            live_share=format_percent(metric.live_gmv / metric.gmv if metric.gmv else None),
            live_sessions=number_format(metric.live_sessions, force_grouping=True),
            refund_rate=format_percent(metric.refund_rate),
        )
        for metric in metrics
    ]


def gmv_chart_data(
    metrics: Iterable[MonthlyMetric], *, first: datetime.date, months: int
) -> dict[str, Any]:
    """GMV and live-stream GMV of the ``months`` months from ``first``, oldest first, for
    ``static/js/portal-charts.js`` (through ``json_script``): a month without figures is a
    gap (null), never a zero the merchant did not report. Values are in the axis unit
    (``core.money.cny_axis_unit``); each point's words come formatted, so the chart reads
    amounts exactly as the pages do."""
    by_month = {metric.month: metric for metric in metrics}
    month_list = [add_months(first, number) for number in range(months)]
    known = [by_month[month] for month in month_list if month in by_month]
    divisor, unit = cny_axis_unit(max((metric.gmv for metric in known), default=Decimal(0)))

    def series(label: str, field: str) -> dict[str, Any]:
        values, words = [], []
        for month in month_list:
            metric = by_month.get(month)
            amount = getattr(metric, field) if metric else None
            values.append(None if amount is None else float(amount / divisor))
            words.append(None if amount is None else format_cny(amount))
        return {"label": label, "values": values, "words": words}

    return {
        "labels": [date_format(month, "YEAR_MONTH_FORMAT") for month in month_list],
        "axis": _("GMV (%(unit)s)") % {"unit": unit},
        "series": [
            series(_("GMV"), "gmv"),
            series(_("Live-stream GMV"), "live_gmv"),
        ],
    }
