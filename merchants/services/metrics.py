"""Writes of the merchants app: metrics, and the belt figures derived from them."""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, TypedDict

from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Field, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from belts.choices import BeltTier
from belts.models import (
    BeltTierChange,
    BeltYearStat,
    IndustrialBelt,
    OperationCenterMembership,
    TierPolicy,
    growth_rank_key,
)
from belts.scoping import Viewer
from core.lookups import AnyOf

from ..choices import NotificationKind
from ..exceptions import MerchantError, MetricError
from ..models import Merchant, MonthlyMetric, NotificationPreference
from ..scoping import visible_merchants
from ..signals import metrics_changed
from .notifications import bilingual, drafts_for_users, notifications_create

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
MONEY_FIELDS = ("gmv", "live_gmv")
COUNT_FIELDS = ("orders", "live_sessions", "followers", "new_listings")
# A bulk upsert is one request's worth of rows, checked and written in one transaction.
MAX_METRIC_ROWS = 5000
# A refusal lists at most this many problems (its message counts every bad row).
MAX_ERROR_DETAILS = 100
# The columns' bounds: money has 16 digits, 2 of them decimals; counts are 32-bit on PostgreSQL.
MONEY_LIMIT = Decimal(10) ** 14
COUNT_LIMIT = 2_147_483_647
RATE_PLACES = Decimal("0.0001")
EARLIEST_MONTH = datetime.date(2000, 1, 1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class MetricsUpsertCounts(TypedDict):
    created: int
    updated: int
    unchanged: int


class _Invalid(Exception):
    """One field of one row is not acceptable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class _MetricRow:
    index: int
    merchant_id: int
    month: datetime.date
    values: dict[str, Decimal | int]  # the figures the row carries; the others are kept


def _number(value: object, name: str) -> Decimal:
    if isinstance(value, bool):
        raise _Invalid("invalid", _("%(field)s must be a number.") % {"field": name})
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that reads back as this float
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _Invalid("invalid", _("%(field)s must be a number.") % {"field": name}) from None
    else:
        raise _Invalid("invalid", _("%(field)s must be a number.") % {"field": name})
    if not number.is_finite():
        raise _Invalid("invalid", _("%(field)s must be a number.") % {"field": name})
    return number


def _money(value: object, name: str) -> Decimal:
    amount = _number(value, name)
    if amount < 0:
        raise _Invalid("negative", _("%(field)s cannot be negative.") % {"field": name})
    if amount != amount.quantize(CENTS, rounding=ROUND_DOWN):
        raise _Invalid(
            "too_precise", _("%(field)s has at most 2 decimal places.") % {"field": name}
        )
    if amount >= MONEY_LIMIT:
        raise _Invalid(
            "too_large",
            _("%(field)s must be less than CNY 100 trillion.") % {"field": name},
        )
    return amount.quantize(CENTS)


def _count(value: object, name: str) -> int:
    number = _number(value, name)
    if number != number.to_integral_value():
        raise _Invalid("invalid", _("%(field)s must be a whole number.") % {"field": name})
    if number < 0:
        raise _Invalid("negative", _("%(field)s cannot be negative.") % {"field": name})
    if number > COUNT_LIMIT:
        raise _Invalid(
            "too_large",
            _("%(field)s must be at most %(limit)s.") % {"field": name, "limit": COUNT_LIMIT},
        )
    return int(number)


def _refund_rate(value: object, name: str) -> Decimal:
    rate = _number(value, name)
    if not Decimal(0) <= rate <= Decimal(1):
        raise _Invalid("out_of_range", _("the refund rate is a share between 0 and 1."))
    if rate != rate.quantize(RATE_PLACES, rounding=ROUND_DOWN):
        raise _Invalid("too_precise", _("the refund rate has at most 4 decimal places."))
    return rate.quantize(RATE_PLACES)


def _month(value: object, today: datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        with contextlib.suppress(ValueError):  # 2025-02-30: not a date, said below
            value = datetime.date.fromisoformat(value.strip())
    if not isinstance(value, datetime.date):
        raise _Invalid("invalid", _("the month must be a date, written YYYY-MM-01."))
    if value.day != 1:
        raise _Invalid(
            "not_first_day",
            _("the month must be the first day of a month, not “%(value)s”.")
            % {"value": value.isoformat()},
        )
    if value > today.replace(day=1):
        raise _Invalid(
            "future", _("%(month)s has not started yet.") % {"month": value.strftime("%Y-%m")}
        )
    if value < EARLIEST_MONTH:
        raise _Invalid("out_of_range", _("months before 2000 are not accepted."))
    return value


def _merchant_id(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _Invalid("invalid", _("the merchant is given by its id, a whole number."))
    return value


_PARSERS: dict[str, Callable[[object, str], Decimal | int]] = {
    **dict.fromkeys(MONEY_FIELDS, _money),
    **dict.fromkeys(COUNT_FIELDS, _count),
    "refund_rate": _refund_rate,
}


class _Problems:
    """The problems found in a batch, one entry per bad field of each bad row."""

    def __init__(self) -> None:
        self.entries: list[dict] = []

    def add(self, index: int, field: str | None, code: str, message: str) -> None:
        self.entries.append({"index": index, "field": field, "code": code, "message": message})

    def refusal(self) -> MetricError:
        entries = sorted(self.entries, key=lambda entry: entry["index"])  # stable: field order
        rows = sorted({entry["index"] for entry in entries})
        if len(rows) == 1:
            first = entries[0]
            message = _("Row %(row)s: %(message)s") % {
                "row": first["index"] + 1,
                "message": first["message"],
            }
            field = first["field"]
        else:
            message = ngettext(
                "%(count)d row is invalid: nothing was written.",
                "%(count)d rows are invalid: nothing was written.",
                len(rows),
            ) % {"count": len(rows)}
            if len(entries) > MAX_ERROR_DETAILS:
                message += " " + _("The first %(limit)d problems are listed.") % {
                    "limit": MAX_ERROR_DETAILS
                }
            field = None
        return MetricError(
            message, code="invalid_rows", field=field, details=entries[:MAX_ERROR_DETAILS]
        )


def _parse_row(
    row: object, index: int, merchant_key: str, today: datetime.date, problems: _Problems
) -> _MetricRow | None:
    """The row's merchant, month and figures, or None after recording what is wrong with it."""
    if not isinstance(row, Mapping):
        problems.add(
            index, None, "invalid", _("a row is an object with a merchant, a month and figures.")
        )
        return None
    bad = False
    for key in row:
        if key != merchant_key and key != "month" and key not in METRIC_FIELDS:
            problems.add(
                index,
                str(key)[:100],
                "unknown_field",
                _("“%(field)s” is not a figure of a month.") % {"field": str(key)[:100]},
            )
            bad = True
    # The parsers give each field its type (an id, a first-of-month date, a figure).
    parsed: dict[str, Any] = {}
    for name, parse in (
        (merchant_key, lambda value, _name: _merchant_id(value)),
        ("month", lambda value, _name: _month(value, today)),
        *_PARSERS.items(),
    ):
        if name not in row:
            if name in (merchant_key, "month"):
                problems.add(index, name, "required", _("This field is required."))
                bad = True
            continue
        if row[name] is None:
            problems.add(index, name, "null", _("This field may not be null."))
            bad = True
            continue
        try:
            parsed[name] = parse(row[name], name)
        except _Invalid as invalid:
            problems.add(index, name, invalid.code, invalid.message)
            bad = True
    if bad:
        return None
    return _MetricRow(
        index=index,
        merchant_id=parsed.pop(merchant_key),
        month=parsed.pop("month"),
        values=parsed,
    )


def monthly_metrics_upsert(
    *,
    rows: Sequence[Mapping],
    user: Viewer | None = None,
    merchant_key: str = "merchant_id",
) -> MetricsUpsertCounts:
    """Insert or update monthly metrics by (merchant, month), all or nothing.

    A row names its merchant (under ``merchant_key``: the API says ``merchant``) and its month
    (the first day, not later than the current month) and carries any of the figures; a figure
    the row omits keeps its stored value (a new month gets the model's default for it), a figure
    it sends is written, zero included. ``user`` limits the merchants to those the one merchant
    scope lets them see (``merchants.scoping``); None is for callers that decided the scope
    themselves (the console form, scripts).

    Guarantees: at most ``MAX_METRIC_ROWS`` rows; every row is checked before anything is
    written, and a batch with any bad row writes nothing and raises one ``MetricError``
    (``invalid_rows``) whose ``details`` list each problem as ``{index, field, code, message}``
    (``index`` from 0); a merchant that does not exist and one outside ``user``'s scope are the
    same problem, worded the same. Live-stream GMV is checked against the GMV the month will
    hold (stored and sent merged). Rows equal to what is stored are not written; the answer
    counts rows created, updated and unchanged. A constant number of queries, not one per row.
    After the commit, and only if it commits, ``metrics_changed`` is sent with the merchants
    whose figures were created or changed (none for a batch that changed nothing)."""
    return _metrics_upsert(rows=rows, user=user, merchant_key=merchant_key, write=True)


def monthly_metrics_check(
    *,
    rows: Sequence[Mapping],
    user: Viewer | None = None,
    merchant_key: str = "merchant_id",
) -> MetricsUpsertCounts:
    """What ``monthly_metrics_upsert`` would answer for ``rows``, writing nothing: the same
    checks and the same ``MetricError``, the counts it would return. For a form that shows the
    service's refusals as its errors before it writes."""
    return _metrics_upsert(rows=rows, user=user, merchant_key=merchant_key, write=False)


def _metrics_upsert(
    *,
    rows: Sequence[Mapping],
    user: Viewer | None,
    merchant_key: str,
    write: bool,
) -> MetricsUpsertCounts:
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Sequence):
        raise MetricError(_("The rows must be a list."), code="invalid", field="rows")
    if not rows:
        raise MetricError(_("There are no rows to write."), code="empty", field="rows")
    if len(rows) > MAX_METRIC_ROWS:
        raise MetricError(
            _("At most %(limit)d rows at a time, not %(count)d.")
            % {"limit": MAX_METRIC_ROWS, "count": len(rows)},
            code="too_many_rows",
            field="rows",
        )
    today = timezone.localdate()
    problems = _Problems()
    metrics: list[_MetricRow] = []
    first_row: dict[tuple[int, datetime.date], int] = {}
    for index, row in enumerate(rows):
        metric = _parse_row(row, index, merchant_key, today, problems)
        if metric is None:
            continue
        key = (metric.merchant_id, metric.month)
        if key in first_row:
            problems.add(
                index,
                "month",
                "duplicate",
                _("row %(row)s has the same merchant and month already.")
                % {"row": first_row[key] + 1},
            )
            continue
        first_row[key] = index
        metrics.append(metric)

    try:
        with transaction.atomic():
            counts = _metrics_write(
                metrics, problems, user=user, merchant_key=merchant_key, write=write
            )
    except IntegrityError:
        # Only a concurrent writer of the same months gets here: our checks passed against the
        # rows we read, the database's constraints refused the rows as they were meanwhile.
        raise MetricError(
            _("The figures of these months changed while they were written: send them again."),
            code="conflict",
        ) from None
    return counts


def _stored_metrics(pairs: list[tuple[int, datetime.date]]) -> dict[tuple, dict]:
    """The stored figures of these (merchant id, month) pairs, locked until the commit: one
    query, none for no pairs."""
    if not pairs:
        return {}
    if connection.vendor == "postgresql":
        # The pairs as two arrays joined to the table: exactly the batch's rows, and two
        # parameters instead of one per id (5,000 rows: ~40 ms less than the ORM's IN lists).
        table = connection.ops.quote_name(MonthlyMetric._meta.db_table)
        columns = ", ".join(f"m.{connection.ops.quote_name(name)}" for name in METRIC_FIELDS)
        with connection.cursor() as cursor:
            # Safe: only quoted names of this model's table and columns are interpolated; the
            # pairs are parameters.
            cursor.execute(
                f"SELECT m.merchant_id, m.month, {columns} FROM {table} m "  # noqa: S608
                "JOIN unnest(%s::bigint[], %s::date[]) AS k(merchant_id, month) "
                "USING (merchant_id, month) FOR UPDATE OF m",
                [[pair[0] for pair in pairs], [pair[1] for pair in pairs]],
            )
            names = ("merchant_id", "month", *METRIC_FIELDS)
            return {(row[0], row[1]): dict(zip(names, row, strict=True)) for row in cursor}
    # Elsewhere (SQLite): the ids and months span a rectangle holding every pair (maybe more).
    queryset = MonthlyMetric.objects.select_for_update().filter(
        merchant_id__in={pair[0] for pair in pairs}, month__in={pair[1] for pair in pairs}
    )
    return {
        (values["merchant_id"], values["month"]): values
        for values in queryset.values("merchant_id", "month", *METRIC_FIELDS)
    }


def _metrics_insert_or_update(
    metrics: list[_MetricRow],
    *,
    fields: tuple[str, ...],
    defaults: Mapping[str, Decimal | int],
    now: datetime.datetime,
) -> None:
    """Insert the rows, or on a conflict of (merchant, month) update ``fields`` (and the time)
    only. One statement on PostgreSQL, a few elsewhere."""
    if connection.vendor != "postgresql":
        MonthlyMetric.objects.bulk_create(
            [
                MonthlyMetric(
                    merchant_id=metric.merchant_id,
                    month=metric.month,
                    updated_at=now,
                    **metric.values,
                )
                for metric in metrics
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["merchant", "month"],
            update_fields=[*fields, "updated_at"],
        )
        return
    # One array per column, unnested into rows: a dozen parameters for 5,000 rows, and none of
    # the ORM's per-object work (5,000 rows: ~60 ms, where bulk_create takes ~400 ms). Omitted
    # figures get the model's default for an insert and are left out of the update.
    qn = connection.ops.quote_name
    meta = MonthlyMetric._meta
    names = ("merchant_id", "month", *METRIC_FIELDS)
    columns = ", ".join(qn(_column(name).column) for name in names)
    arrays = ", ".join(f"%s::{_column(name).db_type(connection)}[]" for name in names)
    updates = ", ".join(f"{qn(name)} = EXCLUDED.{qn(name)}" for name in (*fields, "updated_at"))
    values: list[list[Any]] = [
        [metric.merchant_id for metric in metrics],
        [metric.month for metric in metrics],
        *(
            [metric.values.get(name, defaults[name]) for metric in metrics]
            for name in METRIC_FIELDS
        ),
    ]
    with connection.cursor() as cursor:
        # Safe: the interpolated parts are this model's quoted table and column names and their
        # database types; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}, updated_at) "  # noqa: S608
            f"SELECT {columns}, %s FROM unnest({arrays}) AS v({columns}) "
            f"ON CONFLICT (merchant_id, month) DO UPDATE SET {updates}",
            [now, *values],
        )


def _column(name: str) -> Field:
    """A column of the metrics table (``get_field`` may also answer relations)."""
    field = MonthlyMetric._meta.get_field(name)
    assert isinstance(field, Field), name
    return field


def _metrics_write(
    metrics: list[_MetricRow],
    problems: _Problems,
    *,
    user: Viewer | None,
    merchant_key: str,
    write: bool = True,
) -> MetricsUpsertCounts:
    """The checks that need the database, then (``write``) the writes: inside the caller's
    transaction."""
    merchant_ids = {metric.merchant_id for metric in metrics}
    merchants = Merchant.objects.all() if user is None else visible_merchants(user)
    writable = (
        set(merchants.filter(AnyOf(F("id"), merchant_ids)).values_list("id", flat=True))
        if merchant_ids
        else set()
    )
    known = []
    for metric in metrics:
        if metric.merchant_id in writable:
            known.append(metric)
        else:
            # The same words for a merchant that does not exist and one the user may not see.
            problems.add(
                metric.index,
                merchant_key,
                "unknown_merchant",
                _("there is no merchant %(id)s that you may write figures for.")
                % {"id": metric.merchant_id},
            )
    # The stored rows of the batch's months, locked until the commit, in one query.
    stored = _stored_metrics([(metric.merchant_id, metric.month) for metric in known])
    defaults = {name: _column(name).get_default() for name in METRIC_FIELDS}
    created: list[_MetricRow] = []
    updated: list[_MetricRow] = []
    unchanged = 0
    for metric in known:
        before = stored.get((metric.merchant_id, metric.month))
        merged = {**(before or defaults), **metric.values}
        if Decimal(merged["live_gmv"]) > Decimal(merged["gmv"]):
            problems.add(
                metric.index,
                "live_gmv",
                "live_gmv_exceeds_gmv",
                _("live-stream GMV cannot exceed GMV.")
                if "gmv" in metric.values
                else _("live-stream GMV cannot exceed GMV (CNY %(gmv)s stored for the month).")
                % {"gmv": merged["gmv"]},
            )
        elif before is None:
            created.append(metric)
        elif any(before[name] != value for name, value in metric.values.items()):
            updated.append(metric)
        else:
            unchanged += 1
    if problems.entries:
        raise problems.refusal()
    counts: MetricsUpsertCounts = {
        "created": len(created),
        "updated": len(updated),
        "unchanged": unchanged,
    }
    if not write:
        return counts

    # One statement per set of figures sent (usually one): a conflict updates only those, so a
    # figure the row omits keeps whatever the month holds.
    groups: dict[tuple[str, ...], list[_MetricRow]] = {}
    for metric in (*created, *updated):
        fields = tuple(name for name in METRIC_FIELDS if name in metric.values)
        groups.setdefault(fields, []).append(metric)
    now = timezone.now()
    for fields, group in groups.items():
        _metrics_insert_or_update(group, fields=fields, defaults=defaults, now=now)
    changed = sorted({metric.merchant_id for metric in (*created, *updated)})
    if changed:
        transaction.on_commit(
            lambda: metrics_changed.send(sender=MonthlyMetric, merchant_ids=changed)
        )
    return counts


# Notification preferences ----------------------------------------------------------------------
def notification_preferences_update(
    *, user: AbstractUser, email_enabled: Mapping[str, bool]
) -> None:
    """Set whether ``user`` wants e-mail for each kind given; the kinds not given keep their
    setting. One statement, safe to repeat."""
    unknown = set(email_enabled) - set(NotificationKind.values)
    if unknown:
        raise MerchantError(
            _("Unknown kind of notification: %(kind)s.") % {"kind": sorted(unknown)[0]},
            field="kind",
        )
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(user_id=user.pk, kind=kind, email_enabled=bool(enabled))
            for kind, enabled in email_enabled.items()
        ],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["email_enabled"],
    )


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
        elif growth is not None and policy.is_growth_candidate(gmv, growth):
            candidates.append(growth_rank_key(belt_id, gmv, growth))
    for _growth, _gmv, belt_id in sorted(candidates)[: policy.growth_top_n]:
        tiers[belt_id] = BeltTier.GROWTH.value
    return tiers


def _tier_policy(year: int) -> TierPolicy:
    policy = TierPolicy.objects.filter(year=year).first()
    return policy or TierPolicy(year=year)  # the source's defaults: 10 bn, 1 bn, top 30


def belt_year_stats_recompute(*, year: int | None = None) -> dict:
    """Recompute every belt's figures for ``year`` (default: last calendar year) from the
    merchants' metrics and classify the belts by that year's tier policy.

    Year-on-year growth compares two whole years: it is given only when the belt's metrics cover
    all twelve months of the prior year (and the prior year sold something); otherwise it is
    empty, and the belt cannot be a growth belt that year. A belt whose history starts in
    the middle of the prior year would otherwise show a growth of several hundred percent.

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
            prior_months=Count(
                "month", filter=Q(month__lt=datetime.date(year, 1, 1)), distinct=True
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
        complete = row.get("prior_months", 0) == 12
        growth = ((gmv - prior) / prior).quantize(GROWTH_PLACES) if prior and complete else None
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

        def render(change: BeltTierChange = change) -> tuple[str, str]:
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
