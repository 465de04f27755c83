"""Writes of the merchants app: metrics, and the belt figures derived from them."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from belts.choices import BeltTier
from belts.models import (
    BeltTierChange,
    BeltYearStat,
    IndustrialBelt,
    OperationCenterMembership,
    TierPolicy,
)

from .choices import NotificationKind
from .exceptions import MetricError
from .models import Merchant, MonthlyMetric
from .notifications import bilingual, drafts_for_users, notifications_create
from .signals import metrics_changed

logger = logging.getLogger(__name__)

METRIC_FIELDS = (
    "gmv",
    "orders",
    "live_gmv",
    "live_sessions",
    "followers",
    "refund_rate",
    "new_listings",
)
GROWTH_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


# Metrics -----------------------------------------------------------------------------------------
def _metric_row(row: Mapping, index: int) -> MonthlyMetric:
    month = row.get("month")
    if not isinstance(month, datetime.date) or month.day != 1:
        raise MetricError(
            _("Row %(row)s: the month must be the first day of a month, not “%(value)s”.")
            % {"row": index, "value": month},
            field="month",
        )
    values = {name: row[name] for name in METRIC_FIELDS if row.get(name) is not None}
    for name in ("gmv", "live_gmv"):
        if name in values and Decimal(values[name]) < 0:
            raise MetricError(
                _("Row %(row)s: %(field)s cannot be negative.") % {"row": index, "field": name},
                field=name,
            )
    if Decimal(values.get("live_gmv", 0)) > Decimal(values.get("gmv", 0)):
        raise MetricError(
            _("Row %(row)s: live-stream GMV cannot exceed GMV.") % {"row": index},
            field="live_gmv",
        )
    rate = values.get("refund_rate")
    if rate is not None and not Decimal(0) <= Decimal(rate) <= Decimal(1):
        raise MetricError(
            _("Row %(row)s: the refund rate is a share between 0 and 1.") % {"row": index},
            field="refund_rate",
        )
    for name in ("orders", "live_sessions", "followers", "new_listings"):
        if name in values and int(values[name]) < 0:
            raise MetricError(
                _("Row %(row)s: %(field)s cannot be negative.") % {"row": index, "field": name},
                field=name,
            )
    return MonthlyMetric(merchant_id=row["merchant_id"], month=month, **values)


def monthly_metrics_upsert(*, rows: Sequence[Mapping]) -> int:
    """Insert or update monthly metrics by (merchant, month), all or nothing.

    Guarantees: every row is checked before anything is written (a bad row raises MetricError
    naming the row and field, and nothing is written); rerunning the same rows changes nothing
    but ``updated_at``; after the commit, ``metrics_changed`` is sent with the merchants' ids,
    so their eligibility is recomputed."""
    metrics = [_metric_row(row, index) for index, row in enumerate(rows, start=1)]
    merchant_ids = sorted({metric.merchant_id for metric in metrics})
    known = set(Merchant.objects.filter(id__in=merchant_ids).values_list("id", flat=True))
    unknown = [merchant_id for merchant_id in merchant_ids if merchant_id not in known]
    if unknown:
        raise MetricError(
            _("Unknown merchant ids: %(ids)s.") % {"ids": ", ".join(map(str, unknown[:20]))},
            field="merchant_id",
        )
    now = timezone.now()
    for metric in metrics:
        metric.updated_at = now
    with transaction.atomic():
        MonthlyMetric.objects.bulk_create(
            metrics,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["merchant", "month"],
            update_fields=[*METRIC_FIELDS, "updated_at"],
        )
        transaction.on_commit(
            lambda: metrics_changed.send(sender=MonthlyMetric, merchant_ids=merchant_ids)
        )
    return len(metrics)


# Belt year figures and tiers ---------------------------------------------------------------------
def classify_belts(
    figures: Iterable[tuple[int, Decimal, Decimal | None]], policy: TierPolicy
) -> dict[int, str]:
    """The tier of each belt from ``(belt id, GMV, YoY growth)`` under ``policy``.

    Ten-billion: GMV at least the policy's threshold. Growth: GMV at least the growth minimum and
    among the top N by growth; ten-billion belts hold the higher tier and are left out of that
    ranking, so N growth belts are named whenever N candidates exist. Ties in growth go to the
    larger GMV, then to the older belt (lower id): the same figures always give the same tiers."""
    figures = list(figures)
    tiers = {belt_id: BeltTier.STANDARD.value for belt_id, _gmv, _growth in figures}
    candidates = []
    for belt_id, gmv, growth in figures:
        if gmv >= policy.ten_billion_gmv:
            tiers[belt_id] = BeltTier.TEN_BILLION.value
        elif gmv >= policy.growth_min_gmv and growth is not None:
            candidates.append((-growth, -gmv, belt_id))
    for _growth, _gmv, belt_id in sorted(candidates)[: policy.growth_top_n]:
        tiers[belt_id] = BeltTier.GROWTH.value
    return tiers


def _tier_policy(year: int) -> TierPolicy:
    policy = TierPolicy.objects.filter(year=year).first()
    return policy or TierPolicy(year=year)  # the source's defaults: 10 bn, 1 bn, top 30


def belt_year_stats_recompute(*, year: int | None = None) -> dict:
    """Recompute every belt's figures for ``year`` (default: last calendar year) from the
    merchants' metrics and classify the belts by that year's tier policy.

    Guarantees: one transaction; a belt whose tier moved gets a BeltTierChange and a
    notification to the staff of every center serving it (deduplicated, so a rerun tells no
    one twice); a rerun with unchanged metrics changes no tier."""
    year = year or timezone.localdate().year - 1
    per_belt = (
        MonthlyMetric.objects.filter(month__gte=datetime.date(year - 1, 1, 1))
        .filter(month__lt=datetime.date(year + 1, 1, 1))
        .values("merchant__belt_id")
        .annotate(
            year_gmv=Sum("gmv", filter=Q(month__gte=datetime.date(year, 1, 1)), default=Decimal(0)),
            prior_gmv=Sum("gmv", filter=Q(month__lt=datetime.date(year, 1, 1)), default=Decimal(0)),
            active_merchants=Count(
                "merchant_id",
                filter=Q(month__gte=datetime.date(year, 1, 1), gmv__gt=0),
                distinct=True,
            ),
        )
    )
    sums = {row["merchant__belt_id"]: row for row in per_belt}
    belts = list(IndustrialBelt.objects.order_by("id").values_list("id", "name"))
    figures = []
    for belt_id, _name in belts:
        row = sums.get(belt_id, {})
        gmv = Decimal(row.get("year_gmv") or 0).quantize(CENTS)
        prior = Decimal(row.get("prior_gmv") or 0).quantize(CENTS)
        growth = ((gmv - prior) / prior).quantize(GROWTH_PLACES) if prior else None
        figures.append((belt_id, gmv, growth, row.get("active_merchants", 0)))
    policy = _tier_policy(year)
    tiers = classify_belts([(b, g, y) for b, g, y, _m in figures], policy)
    names = dict(belts)
    with transaction.atomic():
        before = dict(BeltYearStat.objects.filter(year=year).values_list("belt_id", "tier"))
        BeltYearStat.objects.bulk_create(
            [
                BeltYearStat(
                    belt_id=belt_id,
                    year=year,
                    gmv=gmv,
                    yoy_growth=growth,
                    merchant_count=merchants,
                    tier=tiers[belt_id],
                    computed_at=timezone.now(),
                )
                for belt_id, gmv, growth, merchants in figures
            ],
            update_conflicts=True,
            unique_fields=["belt", "year"],
            update_fields=["gmv", "yoy_growth", "merchant_count", "tier", "computed_at"],
        )
        changes = [
            BeltTierChange(
                belt_id=belt_id, year=year, from_tier=before.get(belt_id, ""), to_tier=tier
            )
            for belt_id, tier in tiers.items()
            if _tier_moved(before.get(belt_id), tier)
        ]
        BeltTierChange.objects.bulk_create(changes)
        _notify_tier_changes(changes, names)
    return {
        "year": year,
        "belts": len(figures),
        "changed": len(changes),
        "ten_billion": sum(1 for t in tiers.values() if t == BeltTier.TEN_BILLION),
        "growth": sum(1 for t in tiers.values() if t == BeltTier.GROWTH),
    }


def _tier_moved(previous: str | None, tier: str) -> bool:
    if previous is None:  # the year's first classification: only a named tier is news
        return tier != BeltTier.STANDARD
    return previous != tier


def _notify_tier_changes(changes: Sequence[BeltTierChange], names: Mapping[int, str]) -> None:
    if not changes:
        return
    staff: dict[int, set[int]] = {}
    for belt_id, user_id in OperationCenterMembership.objects.filter(
        center__belts__in=[change.belt_id for change in changes]
    ).values_list("center__belts", "user_id"):
        staff.setdefault(belt_id, set()).add(user_id)
    drafts = []
    for change in changes:
        users = staff.get(change.belt_id)
        if not users:
            continue

        def render(change=change):
            values = {
                "belt": names[change.belt_id],
                "year": change.year,
                "from": BeltTier(change.from_tier).label if change.from_tier else _("unclassified"),
                "to": BeltTier(change.to_tier).label,
            }
            return (
                _("%(belt)s is now a %(to)s") % values,
                _("For %(year)s, %(belt)s moved from %(from)s to %(to)s.") % values,
            )

        drafts += drafts_for_users(
            user_ids=users,
            kind=NotificationKind.BELT_TIER_CHANGED,
            key=f"belt-tier:{change.belt_id}:{change.year}:{change.from_tier}:{change.to_tier}:"
            f"{change.pk}",
            texts=bilingual(render),
            payload={"belt_id": change.belt_id, "year": change.year, "tier": change.to_tier},
        )
    notifications_create(drafts)
