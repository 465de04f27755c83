"""Merchant facts: what the eligibility rules look at, computed set-based in the database.

One query per chunk of merchants aggregates their monthly metrics into the figures below, as of a
date. The same selector serves one merchant (portal, API) and every merchant (the recompute).

The window: ``as_of`` falls in some month; the trailing twelve months are the twelve *complete*
months before it, the twelve months before those are the prior year, and "the last 90 days" of live
sessions are the last three complete months (metrics are monthly).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Max, Min, Q, Sum

from belts.models import BeltYearStat, Category
from core.months import add_months, month_start, months_between

from .models import Merchant

ZERO = Decimal("0")
CENTS = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
DEFAULT_CHUNK_SIZE = 5000


@dataclass(frozen=True, slots=True)
class FactsWindow:
    """The months that the facts as of one date cover."""

    as_of: datetime.date
    start: datetime.date  # first month of the trailing twelve
    end: datetime.date  # first month after the trailing twelve (the as-of month)
    prior_start: datetime.date
    live_start: datetime.date  # first of the last three complete months

    @classmethod
    def for_date(cls, as_of: datetime.date) -> FactsWindow:
        end = month_start(as_of)
        return cls(
            as_of=as_of,
            start=add_months(end, -12),
            end=end,
            prior_start=add_months(end, -24),
            live_start=add_months(end, -3),
        )

    @property
    def tier_year(self) -> int:
        """Belt tiers come from the last complete calendar year's figures."""
        return self.end.year - 1


@dataclass(frozen=True, slots=True)
class MerchantFacts:
    merchant_id: int
    as_of: datetime.date
    belt_id: int
    belt_tier: str | None
    category: str
    merchant_type: str
    brand_stage: str
    is_smb: bool
    status: str
    gmv_12m: Decimal
    gmv_prior_12m: Decimal
    yoy_growth: Decimal | None
    live_gmv_12m: Decimal
    live_share: Decimal | None
    live_sessions_90d: int
    refund_rate: Decimal | None
    months_with_data: int
    store_age_months: int
    months_since_return: int | None


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """``numerator / denominator`` to four places, rounded half away from zero (as PostgreSQL's
    ``round`` does, so both computations of a fact agree), never ``-0.0000``."""
    if not denominator:
        return None
    value = (numerator / denominator).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)
    return value if value else value.copy_abs()


def merchant_facts_queryset(window: FactsWindow):
    """The aggregation behind the facts: one row per merchant, grouped on the merchant's key."""
    in_window = FilteredRelation(
        "metrics",
        condition=Q(metrics__month__gte=window.prior_start, metrics__month__lt=window.end),
    )
    current = Q(window_metrics__month__gte=window.start)
    prior = Q(window_metrics__month__lt=window.start)
    live = Q(window_metrics__month__gte=window.live_start)
    return (
        Merchant.objects.annotate(window_metrics=in_window)
        .values("id")
        .annotate(
            belt_id_=F("belt_id"),
            category_id_=F("category_id"),
            merchant_type_=F("merchant_type"),
            brand_stage_=F("brand_stage"),
            is_smb_=F("is_smb"),
            status_=F("status"),
            opened_on_=Min("opened_on"),
            returned_on_=Max("returned_on"),
            gmv_12m=Sum("window_metrics__gmv", filter=current, default=ZERO),
            gmv_prior_12m=Sum("window_metrics__gmv", filter=prior, default=ZERO),
            live_gmv_12m=Sum("window_metrics__live_gmv", filter=current, default=ZERO),
            live_sessions_90d=Sum("window_metrics__live_sessions", filter=live, default=0),
            refund_rate_sum=Sum("window_metrics__refund_rate", filter=current, default=ZERO),
            months_with_data=Count("window_metrics__id", filter=current),
        )
        .order_by("id")
    )


def _belt_tiers(year: int) -> dict[int, str]:
    return dict(BeltYearStat.objects.filter(year=year).values_list("belt_id", "tier"))


def _category_slugs() -> dict[int, str]:
    return dict(Category.objects.values_list("id", "slug"))


def _facts_from_rows(
    rows: Iterable[dict], window: FactsWindow, tiers: dict[int, str], categories: dict[int, str]
) -> Iterator[MerchantFacts]:
    as_of = window.as_of
    for row in rows:
        # Quantized: SQLite returns sums without their scale, PostgreSQL with it.
        gmv = Decimal(row["gmv_12m"]).quantize(CENTS)
        prior = Decimal(row["gmv_prior_12m"]).quantize(CENTS)
        live_gmv = Decimal(row["live_gmv_12m"]).quantize(CENTS)
        months = row["months_with_data"]
        returned_on = row["returned_on_"]
        yield MerchantFacts(
            merchant_id=row["id"],
            as_of=as_of,
            belt_id=row["belt_id_"],
            belt_tier=tiers.get(row["belt_id_"]),
            category=categories.get(row["category_id_"], ""),
            merchant_type=row["merchant_type_"],
            brand_stage=row["brand_stage_"],
            is_smb=row["is_smb_"],
            status=row["status_"],
            gmv_12m=gmv,
            gmv_prior_12m=prior,
            yoy_growth=ratio(gmv - prior, prior),
            live_gmv_12m=live_gmv,
            live_share=ratio(live_gmv, gmv),
            live_sessions_90d=row["live_sessions_90d"],
            refund_rate=ratio(Decimal(row["refund_rate_sum"]), Decimal(months)) if months else None,
            months_with_data=months,
            store_age_months=months_between(row["opened_on_"], as_of),
            months_since_return=months_between(returned_on, as_of) if returned_on else None,
        )


def merchant_facts_list(
    *, as_of: datetime.date, merchant_ids: Sequence[int] | None = None
) -> list[MerchantFacts]:
    """Facts of the given merchants (or of all), ordered by merchant id, in one query."""
    window = FactsWindow.for_date(as_of)
    queryset = merchant_facts_queryset(window)
    if merchant_ids is not None:
        queryset = queryset.filter(id__in=list(merchant_ids))
    return list(
        _facts_from_rows(queryset, window, _belt_tiers(window.tier_year), _category_slugs())
    )


def merchant_facts_get(*, merchant_id: int, as_of: datetime.date) -> MerchantFacts | None:
    facts = merchant_facts_list(as_of=as_of, merchant_ids=[merchant_id])
    return facts[0] if facts else None


def merchant_id_ranges(*, chunk_size: int = DEFAULT_CHUNK_SIZE) -> list[tuple[int, int | None]]:
    """Id ranges ``[low, high)`` of ``chunk_size`` merchants each; the last is open (high None).

    Ranges over ids, not offsets, so that chunk tasks on many workers read disjoint index ranges
    and a merchant created meanwhile falls into exactly one range. One query: the database numbers
    the rows and returns only every ``chunk_size``-th id."""
    table = connection.ops.quote_name(Merchant._meta.db_table)
    with connection.cursor() as cursor:
        # Safe: the one interpolated name is the model's quoted table; chunk_size is a parameter.
        cursor.execute(
            f"SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS position "  # noqa: S608
            f"FROM {table}) numbered WHERE (position - 1) %% %s = 0 ORDER BY id",
            [chunk_size],
        )
        lows = [row[0] for row in cursor.fetchall()]
    return [(low, lows[i + 1] if i + 1 < len(lows) else None) for i, low in enumerate(lows)]


def merchant_facts_for_range(
    *,
    as_of: datetime.date,
    id_range: tuple[int, int | None],
    tiers: dict[int, str] | None = None,
    categories: dict[int, str] | None = None,
) -> list[MerchantFacts]:
    """Facts of the merchants whose id falls in ``[low, high)``: one query."""
    window = FactsWindow.for_date(as_of)
    low, high = id_range
    queryset = merchant_facts_queryset(window).filter(id__gte=low)
    if high is not None:
        queryset = queryset.filter(id__lt=high)
    return list(
        _facts_from_rows(
            queryset,
            window,
            tiers if tiers is not None else _belt_tiers(window.tier_year),
            categories if categories is not None else _category_slugs(),
        )
    )
