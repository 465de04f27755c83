"""The merchants app's data as people read it on the portal's pages.

- A merchant's monthly figures: the rows of the metrics table and the data of the GMV chart, in
  the active language and the product's money style (``core.money``). Shared by the metrics page
  and the portal's home.
- A notification's link: the page it is about, and the link's words. Shared by every page that
  lists notifications (the inbox, the portal's home). The pages belong to other apps (programs,
  logistics), which this app may not import: their URL names are resolved at render time, and a
  name that does not resolve gives no link.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import cny_axis_unit, format_cny, format_percent
from core.months import add_months

from .choices import NotificationKind
from .models import MonthlyMetric, Notification

StrOrPromise = str | Promise


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


# Notifications ---------------------------------------------------------------------------------
def _applications(notification: Notification, payload: dict[str, Any]) -> str | None:
    enrollment = payload.get("enrollment")
    if not isinstance(enrollment, int):
        return None
    url = reverse("programs:applications")
    # The page of the merchant's applications, at this one (its card's id).
    return f"{url}?{urlencode({'merchant': notification.merchant_id})}#application-{enrollment:d}"


def _eligibility(notification: Notification, payload: dict[str, Any]) -> str:
    return f"{reverse('programs:eligibility')}?{urlencode({'merchant': notification.merchant_id})}"


def _shipment(notification: Notification, payload: dict[str, Any]) -> str | None:
    shipment = payload.get("shipment")
    if not isinstance(shipment, int):
        return None
    return reverse("logistics:shipment", args=[shipment])


# Per kind: the URL of the page it is about (None when the payload lacks what it needs) and
# the link's words.
NOTIFICATION_LINKS: dict[
    str, tuple[Callable[[Notification, dict[str, Any]], str | None], StrOrPromise]
] = {
    NotificationKind.ENROLLMENT_CHANGED: (_applications, gettext_lazy("Open the application")),
    NotificationKind.ELIGIBILITY_GAINED: (_eligibility, gettext_lazy("See your eligibility")),
    NotificationKind.ELIGIBILITY_LOST: (_eligibility, gettext_lazy("See your eligibility")),
    NotificationKind.SHIPMENT_INCIDENT: (_shipment, gettext_lazy("Open the shipment")),
    NotificationKind.SLA_BREACH: (_shipment, gettext_lazy("Open the shipment")),
}


def notification_link(
    notification: Notification, *, merchant_ids: Collection[int]
) -> tuple[str, StrOrPromise] | None:
    """The portal page ``notification`` is about and the link's words, or None.

    ``merchant_ids``: the merchants the reader is a member of. Only a notification about one of
    them links anywhere: the pages are the merchant's own, and a message addressed to the
    reader as staff (a review awaiting) has no portal page. Pure Python: no query per row."""
    target = NOTIFICATION_LINKS.get(notification.kind)
    if target is None or notification.merchant_id not in merchant_ids:
        return None
    build, label = target
    try:
        url = build(notification, notification.payload or {})
    except NoReverseMatch:
        return None
    return (url, label) if url else None
