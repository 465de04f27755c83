"""Writes the demo data set: reference data, logins, a deterministic population of merchants with
monthly metrics from January two years back (two complete years, then the current one), a few
enrollments, and a few hundred delivery-and-installation chains (``config.demo.chains``).

Guarantees:

* **Deterministic.** Merchant ``i`` is drawn from its own ``random.Random`` seeded with
  ``(seed, i)``, so its names, profile and metrics depend only on the seed, the as-of month and
  ``i`` — not on the database, the batch size or which other merchants already exist. Belt-level
  parameters come from one generator seeded with the seed. The global ``random`` is never used.
* **Idempotent.** Reference data is written with ``update_or_create``/``get_or_create`` on natural
  keys. Demo merchant ``i`` is known by its first storefront's external id (``demo-000123-1``);
  merchants whose key exists are skipped (with their storefronts and metrics, which were written
  in the same transaction). Enrollments and shipments are looked up before they are created.
* **Bounded memory and bulk writes.** Merchants are planned and written in chunks, one
  transaction per chunk; monthly metrics go through PostgreSQL's ``COPY`` (psycopg 3) and through
  ``bulk_create`` elsewhere.

Only cohort windows (and the enrollments inside them) follow the real clock, so that applications
are open whenever the demo is started; every other date derives from the as-of month.
"""

from __future__ import annotations

import bisect
import datetime
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

import psycopg
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from belts.choices import CenterRole
from belts.models import (
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    OperationCenterMembership,
    TierPolicy,
)
from core.months import add_months
from logistics.models import ServiceProvider
from merchants.choices import BrandStage, MembershipRole, MerchantStatus, MerchantType
from merchants.models import Merchant, MerchantMembership, MonthlyMetric, Storefront
from programs.choices import EnrollmentState, RuleSetStatus
from programs.models import Cohort, Enrollment, EnrollmentEvent, Program, RuleSet
from programs.reasons import ReasonCode

from . import chains, data

# The metrics start in January two years before the as-of year, so the last full calendar year
# (the one belt tiers are computed for) and the year before it are both complete: a belt's
# year-on-year growth then compares two whole years. 25 to 36 months, by the as-of month.
METRIC_YEARS = 2
MAX_MERCHANTS = 5_000_000  # ids are zero-padded to six digits, and simply grow past a million
KEY_PREFIX = "demo-"
DEMO_APPS = ("belts", "merchants", "programs", "logistics")
EARLIEST_OPENING = datetime.date(2012, 1, 1)

Progress = Callable[[str], None]


def merchant_key(index: int) -> str:
    """The natural key of demo merchant ``index``: its first storefront's external id."""
    return f"{KEY_PREFIX}{index:06d}-1"


def metric_months(as_of: datetime.date) -> list[datetime.date]:
    """The full months from January of ``as_of.year - 2`` to the month before the as-of month,
    oldest first: at least the 24 months the portal shows, and two complete calendar years."""
    first = datetime.date(as_of.year - METRIC_YEARS, 1, 1)
    count = (as_of.year - first.year) * 12 + as_of.month - first.month
    return [add_months(first, offset) for offset in range(count)]


def _batched(items: Sequence[int], size: int) -> Iterator[list[int]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True, slots=True)
class SeedOptions:
    seed: int
    as_of: datetime.date  # the first day of the month the data treats as "now"
    merchants: int
    batch_size: int = 2000


@dataclass(slots=True)
class SeedReport:
    merchants_created: int = 0
    merchants_kept: int = 0
    metrics_created: int = 0
    enrollments_created: int = 0
    shipments_created: int = 0
    metric_writer: str = ""
    notes: list[str] = field(default_factory=list)


# Planning: pure functions of (seed, as-of, index) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class BeltPlan:
    slug: str
    belt_id: int
    category_id: int
    place: str
    category: data.CategorySpec
    growth: float  # the belt's YoY growth for this seed
    latitude: float = 0.0  # the belt's city, where its source factories are drawn around
    longitude: float = 0.0
    district: str = ""  # the belt's town when it is not the city itself (Baigou, Shunde)


@dataclass(slots=True)
class MerchantPlan:
    index: int
    belt: BeltPlan
    legal_name: str
    shop_name: str
    merchant_type: str
    brand_stage: str
    is_smb: bool
    opened_on: datetime.date
    returned_on: datetime.date | None
    status: str
    # (channel, external id, name, opened on)
    storefronts: list[tuple[str, str, str, datetime.date]]
    # (month index, GMV cents, orders, live GMV cents, live sessions, followers,
    #  refund rate in basis points of 1/10000, new listings)
    metrics: list[tuple[int, int, int, int, int, int, int, int]]
    # A source factory's location, near its belt's city: (latitude, longitude, district).
    location: tuple[Decimal | None, Decimal | None, str] = (None, None, "")


_TYPES = list(MerchantType.values)
_STAGE_WEIGHTS = {
    MerchantType.BRAND: (0.35, 0.45, 0.20),
    MerchantType.LIVE_STUDIO: (0.70, 0.25, 0.05),
}
_DEFAULT_STAGE_WEIGHTS = (0.68, 0.26, 0.06)
_STAGES = list(BrandStage.values)
_LIVE_ADOPTION = {
    MerchantType.SOURCE_FACTORY: 0.55,
    MerchantType.OEM: 0.35,
    MerchantType.BRAND: 0.70,
    MerchantType.DISTRIBUTOR: 0.30,
    MerchantType.LIVE_STUDIO: 1.0,
}
_LISTINGS_RATE = {
    MerchantType.SOURCE_FACTORY: 14.0,
    MerchantType.OEM: 8.0,
    MerchantType.BRAND: 6.0,
    MerchantType.DISTRIBUTOR: 20.0,
    MerchantType.LIVE_STUDIO: 12.0,
}
_CHANNEL_SHOP_NAMES = {
    "taobao": "Taobao Store",
    "tmall": "Tmall Store",
    "1688": "1688 Factory Store",
    "taobao_live": "Live Room",
}
# Monthly GMV: a lognormal around CNY 150,000, a few leaders far above (capped), SMB below 1 M.
_MEDIAN_MONTHLY_GMV = 150_000.0
_GMV_SIGMA = 1.3
_MAX_MONTHLY_GMV = 300_000_000.0
_SMB_MONTHLY_GMV = 1_000_000.0
_MAX_FOLLOWERS = 50_000_000


class MerchantPlanner:
    """Draws demo merchants. ``plan(i)`` depends only on the seed, the as-of month and ``i``."""

    def __init__(self, *, seed: int, as_of: datetime.date, belts: Sequence[BeltPlan]) -> None:
        self.seed = seed
        self.as_of = as_of
        self.months = metric_months(as_of)
        self.belts = list(belts)
        by_slug = {belt.slug: belt for belt in self.belts}
        self.flagship_belt = by_slug[data.FLAGSHIP_BELT]
        ranks = {spec.slug: spec.size_rank for spec in data.BELTS}
        # Zipf over the belts' size ranks, jittered per seed: a few belts hold most merchants.
        belt_rng = random.Random(f"belt-ops-demo:{seed}:belt-weights")
        weights = [math.exp(belt_rng.gauss(0.0, 0.2)) / ranks[belt.slug] for belt in self.belts]
        total = 0.0
        self.cumulative: list[float] = []
        for weight in weights:
            total += weight
            self.cumulative.append(total)
        self.last_day = as_of - datetime.timedelta(days=1)
        self.first_day = min(EARLIEST_OPENING, as_of - datetime.timedelta(days=730))

    def plan(self, index: int) -> MerchantPlan:
        rng = random.Random(f"belt-ops-demo:{self.seed}:merchant:{index}")
        draw = rng.random() * self.cumulative[-1]
        belt = self.belts[min(bisect.bisect(self.cumulative, draw), len(self.belts) - 1)]
        if index == 0:
            # The flagship merchant (the "merchant" login's) is always a Foshan furniture maker.
            belt = self.flagship_belt
        category = belt.category
        merchant_type = rng.choices(_TYPES, data.MERCHANT_TYPE_WEIGHTS[category.maker_mix])[0]
        stage_weights = _STAGE_WEIGHTS.get(merchant_type, _DEFAULT_STAGE_WEIGHTS)
        brand_stage = rng.choices(_STAGES, stage_weights)[0]

        trade_name = self._trade_name(rng)
        place = belt.place
        legal_name = f"{place} {trade_name} {category.company_noun} Co., Ltd."
        shop_name = f"{trade_name} {data.SHOP_SUFFIXES[merchant_type]}"

        opened_on, returned_on = self._dates(rng)
        start = returned_on if returned_on and returned_on > opened_on else opened_on
        start_index = self._month_index(start)

        level = _MEDIAN_MONTHLY_GMV * category.gmv_scale * math.exp(rng.gauss(0.0, _GMV_SIGMA))
        if rng.random() < 0.015:  # the belt's leaders
            level *= rng.uniform(8.0, 40.0)
        level = min(level, _MAX_MONTHLY_GMV)
        is_smb = level < _SMB_MONTHLY_GMV

        first = max(0, start_index)
        last = len(self.months) - 1
        status = MerchantStatus.ACTIVE
        roll = rng.random()
        if roll < 0.06:
            status, last = MerchantStatus.DORMANT, last - rng.randint(3, 10)
        elif roll < 0.075:
            status, last = MerchantStatus.CLOSED, last - rng.randint(2, 14)
        elif roll < 0.08:
            status = MerchantStatus.SUSPENDED
        if last < first:  # too young to have gone quiet
            status, last = MerchantStatus.ACTIVE, len(self.months) - 1
        live = self._live(rng, merchant_type)
        growth = max(-0.6, belt.growth + rng.gauss(0.0, 0.15))

        if index == 0:
            # The flagship is curated so the "merchant" login has a story to show: an active
            # SMB factory that goes live a few times a month, just short of Source Power's bar.
            flagship = data.FLAGSHIP_PROFILE
            merchant_type, brand_stage = flagship.merchant_type, flagship.brand_stage
            shop_name = f"{trade_name} {data.SHOP_SUFFIXES[merchant_type]}"
            opened_on = min(flagship.opened_on, self.last_day)
            returned_on = None
            start_index = self._month_index(opened_on)
            first, last = max(0, start_index), len(self.months) - 1
            status = MerchantStatus.ACTIVE
            level, growth = flagship.monthly_gmv, flagship.growth
            is_smb = level < _SMB_MONTHLY_GMV
            live = (flagship.live_share * 0.5, flagship.live_share, flagship.live_sessions)

        storefronts = self._storefronts(rng, index, merchant_type, trade_name, shop_name, opened_on)
        metrics = self._metrics(
            rng,
            merchant_type=merchant_type,
            category=category,
            level=level,
            growth=growth,
            live=live,
            start_index=start_index,
            first=first,
            last=last,
        )
        return MerchantPlan(
            index=index,
            belt=belt,
            legal_name=legal_name,
            shop_name=shop_name,
            merchant_type=merchant_type,
            brand_stage=brand_stage,
            is_smb=is_smb,
            opened_on=opened_on,
            returned_on=returned_on,
            status=status,
            storefronts=storefronts,
            metrics=metrics,
            location=self._location(index, belt, merchant_type),
        )

    # Parts of a plan ---------------------------------------------------------------------------

    def _location(
        self, index: int, belt: BeltPlan, merchant_type: str
    ) -> tuple[Decimal | None, Decimal | None, str]:
        """Most source factories have a location: a few kilometres to tens around the belt's
        city. Drawn from a generator of its own, so adding locations changed no other draw."""
        if merchant_type != MerchantType.SOURCE_FACTORY:
            return None, None, ""
        rng = random.Random(f"belt-ops-demo:{self.seed}:location:{index}")
        if rng.random() >= 0.8:
            return None, None, ""
        latitude = belt.latitude + rng.gauss(0.0, 0.12)
        longitude = belt.longitude + rng.gauss(0.0, 0.15)
        return (
            Decimal(f"{latitude:.6f}"),
            Decimal(f"{longitude:.6f}"),
            belt.district,
        )

    @staticmethod
    def _trade_name(rng: random.Random) -> str:
        syllables = data.NAME_SYLLABLES
        parts = [rng.choice(syllables), rng.choice(syllables).lower()]
        if rng.random() < 0.5:
            parts.append(rng.choice(syllables).lower())
        return "".join(parts)

    def _day_between(self, rng: random.Random, low: datetime.date, high: datetime.date):
        low = min(low, high)
        return datetime.date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))

    def _dates(self, rng: random.Random) -> tuple[datetime.date, datetime.date | None]:
        roll = rng.random()
        if roll < 0.05:
            # Left the platform years ago and came back recently ("returning to Taobao").
            opened_on = self._day_between(
                rng, self.first_day, self.last_day - datetime.timedelta(days=4 * 365)
            )
            returned_on = self._day_between(
                rng, self.last_day - datetime.timedelta(days=600), self.last_day
            )
            return opened_on, max(returned_on, opened_on)
        if roll < 0.17:
            return self._day_between(
                rng, self.last_day - datetime.timedelta(days=540), self.last_day
            ), None
        return self._day_between(rng, self.first_day, self.last_day), None

    def _month_index(self, day: datetime.date) -> int:
        first = self.months[0]
        return (day.year - first.year) * 12 + day.month - first.month

    def _storefronts(self, rng, index, merchant_type, trade_name, shop_name, opened_on):
        channels = list(data.STOREFRONT_CHANNELS[merchant_type])
        if rng.random() < 0.25:
            channels[0], channels[1] = channels[1], channels[0]
        count = rng.choices((1, 2, 3), (0.55, 0.33, 0.12))[0]
        rows = []
        for number, channel in enumerate(channels[:count], start=1):
            if number == 1:
                name, day = shop_name, opened_on
            else:
                name = f"{trade_name} {_CHANNEL_SHOP_NAMES[channel]}"
                day = min(opened_on + datetime.timedelta(days=rng.randint(30, 900)), self.last_day)
            rows.append((channel, f"{KEY_PREFIX}{index:06d}-{number}", name, day))
        return rows

    @staticmethod
    def _live(rng: random.Random, merchant_type: str) -> tuple[float, float, float]:
        """Live-stream share of GMV at the window's start and end, and sessions a month."""
        if rng.random() >= _LIVE_ADOPTION[merchant_type]:
            return 0.0, 0.0, 0.0
        if merchant_type == MerchantType.LIVE_STUDIO:
            share_end = rng.uniform(0.6, 0.95)
            return share_end * rng.uniform(0.6, 1.0), share_end, rng.uniform(25.0, 60.0)
        # Live streaming grows over the window; at Baigou it reached a third of a maker's sales.
        share_end = rng.uniform(0.03, 0.45)
        return share_end * rng.uniform(0.2, 0.9), share_end, rng.uniform(2.0, 31.0)

    def _metrics(
        self, rng, *, merchant_type, category, level, growth, live, start_index, first, last
    ):
        months = self.months
        final = len(months) - 1
        share_start, share_end, sessions_rate = live
        aov = category.average_order_value * math.exp(rng.gauss(0.0, 0.3))
        refund_base = category.refund_rate * math.exp(rng.gauss(0.0, 0.3))
        listings_rate = _LISTINGS_RATE[merchant_type] * rng.uniform(0.3, 2.0)
        followers = level / category.average_order_value * rng.uniform(2.0, 20.0)
        followers *= 1.0 + 4.0 * share_end
        follower_growth = rng.uniform(0.0, 0.04) + 0.05 * share_end
        yearly = 1.0 + growth
        seasonality = data.SEASONALITY
        gauss, uniform = rng.gauss, rng.random

        rows = []
        for t in range(first, last + 1):
            month = months[t]
            gmv = level * yearly ** ((t - final) / 12.0) * seasonality[month.month]
            age = t - start_index
            if age < 6:  # a new or returning shop ramps up over its first half year
                gmv *= 0.35 + 0.65 * (age + 1) / 6.0
            gmv *= math.exp(gauss(0.0, 0.12))
            gmv_cents = int(gmv * 100)
            share = share_start + (share_end - share_start) * t / final
            if share > 0.0:
                live_cents = int(gmv_cents * min(1.0, share * (0.85 + 0.3 * uniform())))
                sessions = round(sessions_rate * share / share_end * (0.8 + 0.4 * uniform()))
            else:
                live_cents = sessions = 0
            orders = max(1, round(gmv / (aov * (0.9 + 0.2 * uniform())))) if gmv_cents else 0
            followers *= 1.0 + follower_growth
            refund = refund_base + gauss(0.0, 0.01) + (0.03 if month.month == 11 else 0.0)
            refund_bp = round(min(0.3, max(0.0, refund)) * 10000)
            listings = int(
                listings_rate * (0.4 + 1.2 * uniform()) * (1.5 if month.month in (10, 11) else 1.0)
            )
            rows.append(
                (
                    t,
                    gmv_cents,
                    orders,
                    live_cents,
                    sessions,
                    min(int(followers), _MAX_FOLLOWERS),
                    refund_bp,
                    listings,
                )
            )
        return rows


# Writing metrics --------------------------------------------------------------------------------


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _rate(basis_points: int) -> str:
    return f"{basis_points // 10000}.{basis_points % 10000:04d}"


class MetricWriter:
    """Inserts the metrics of merchants created in the current transaction.

    PostgreSQL with psycopg 3: ``COPY ... FROM STDIN`` (no conflict is possible, the merchants are
    new). Elsewhere: ``bulk_create(ignore_conflicts=True)``.
    """

    def __init__(self, months: Sequence[datetime.date]) -> None:
        self.months = list(months)
        self.month_text = [month.isoformat() for month in self.months]
        self.uses_copy = connection.vendor == "postgresql" and _has_psycopg3_copy()
        self.name = "PostgreSQL COPY" if self.uses_copy else "bulk_create"

    def write(self, merchants: Sequence[tuple[int, MerchantPlan]]) -> int:
        if self.uses_copy:
            return self._copy(merchants)
        return self._bulk_create(merchants)

    def _copy(self, merchants):
        meta = MonthlyMetric._meta
        quote = connection.ops.quote_name
        names = (
            "merchant",
            "month",
            "gmv",
            "orders",
            "live_gmv",
            "live_sessions",
            "followers",
            "refund_rate",
            "new_listings",
            "updated_at",
        )
        columns = ", ".join(quote(meta.get_field(name).column) for name in names)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        now = timezone.now().isoformat()
        month_text = self.month_text
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            lines = []
            for merchant_id, plan in merchants:
                for t, gmv, orders, live, sessions, followers, refund, listings in plan.metrics:
                    lines.append(
                        f"{merchant_id}\t{month_text[t]}\t{_cents(gmv)}\t{orders}\t{_cents(live)}"
                        f"\t{sessions}\t{followers}\t{_rate(refund)}\t{listings}\t{now}\n"
                    )
                if len(lines) >= 20_000:
                    copy.write("".join(lines))
                    count += len(lines)
                    lines = []
            copy.write("".join(lines))
            count += len(lines)
        return count

    def _bulk_create(self, merchants):
        months = self.months
        rows = [
            MonthlyMetric(
                merchant_id=merchant_id,
                month=months[t],
                gmv=Decimal(_cents(gmv)),
                orders=orders,
                live_gmv=Decimal(_cents(live)),
                live_sessions=sessions,
                followers=followers,
                refund_rate=Decimal(_rate(refund)),
                new_listings=listings,
            )
            for merchant_id, plan in merchants
            for t, gmv, orders, live, sessions, followers, refund, listings in plan.metrics
        ]
        MonthlyMetric.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        return len(rows)


def _has_psycopg3_copy() -> bool:
    # COPY needs psycopg 3's Cursor.copy(); SQLite takes bulk_create.
    connection.ensure_connection()
    return isinstance(connection.connection, psycopg.Connection)


# The builder ------------------------------------------------------------------------------------


class DemoBuilder:
    """Writes the demo data set described by ``data`` for one set of options."""

    def __init__(self, options: SeedOptions, *, progress: Progress | None = None) -> None:
        if not 1 <= options.merchants <= MAX_MERCHANTS:
            raise ValueError(f"merchants must be between 1 and {MAX_MERCHANTS}")
        if options.as_of.day != 1:
            raise ValueError("as_of must be the first day of a month")
        self.options = options
        self.progress = progress or (lambda message: None)
        self.report = SeedReport()
        self.months = metric_months(options.as_of)
        tz = timezone.get_current_timezone()
        # The data's "now": 09:00 on the first day of the as-of month, local time.
        self.as_of_at = datetime.datetime.combine(options.as_of, datetime.time(9), tzinfo=tz)

    def build(self) -> SeedReport:
        steps = (
            ("Reference data", self.seed_reference_data),
            ("Programs and cohorts", self.seed_programs),
            ("Staff logins", self.seed_staff_logins),
            ("Merchants", self.seed_merchants),
            ("Merchant login", self.seed_merchant_login),
            ("Enrollments", self.seed_enrollments),
            ("Shipments", self.seed_shipments),
        )
        for label, step in steps:
            started = time.monotonic()
            summary = step()
            self.progress(f"{label}: {summary} ({time.monotonic() - started:.1f} s)")
        return self.report

    # Reference data ----------------------------------------------------------------------------

    @transaction.atomic
    def seed_reference_data(self) -> str:
        cities = {}
        for spec in data.CITIES:
            cities[spec.name], _ = City.objects.update_or_create(
                name=spec.name,
                defaults={
                    "name_zh": spec.name_zh,
                    "province": spec.province,
                    "province_zh": spec.province_zh,
                    "is_prefecture_level": spec.is_prefecture_level,
                    "latitude": spec.latitude,
                    "longitude": spec.longitude,
                },
            )
        categories = {}
        for spec in data.CATEGORIES:
            categories[spec.slug], _ = Category.objects.update_or_create(
                slug=spec.slug, defaults={"name": spec.name, "name_zh": spec.name_zh}
            )
        belts = {}
        for spec in data.BELTS:
            belts[spec.slug], _ = IndustrialBelt.objects.update_or_create(
                slug=spec.slug,
                defaults={
                    "name": spec.name,
                    "name_zh": spec.name_zh,
                    "city": cities[spec.city],
                    "category": categories[spec.category],
                    "description": spec.description,
                },
            )
        for spec in data.CENTERS:
            center, _ = OperationCenter.objects.update_or_create(
                name=spec.name,
                defaults={
                    "name_zh": spec.name_zh,
                    "city": cities[spec.city],
                    "opened_on": (
                        datetime.date.fromisoformat(spec.opened_on) if spec.opened_on else None
                    ),
                },
            )
            # add(), not set(): belts staff attached to a center stay attached.
            center.belts.add(*(belts[slug] for slug in spec.belts))
        years = sorted({month.year for month in self.months})
        for year in years:
            TierPolicy.objects.get_or_create(year=year, defaults=data.DEMO_TIER_POLICY)
        for spec in data.PROVIDERS:
            ServiceProvider.objects.update_or_create(
                name=spec.name, defaults={"name_zh": spec.name_zh, "kind": spec.kind}
            )
        return (
            f"{len(data.CITIES)} cities, {len(data.CATEGORIES)} categories, "
            f"{len(data.BELTS)} belts, {len(data.CENTERS)} operation centers, "
            f"tier policies {years[0]}-{years[-1]}, {len(data.PROVIDERS)} service providers"
        )

    @transaction.atomic
    def seed_programs(self) -> str:
        # Rule sets are immutable once published: an existing version is left as it is.
        for spec in data.PROGRAMS:
            program, _ = Program.objects.update_or_create(
                code=spec.code,
                defaults={
                    "name": spec.name,
                    "name_zh": spec.name_zh,
                    "description": spec.description,
                    "description_zh": spec.description_zh,
                    "benefits": spec.benefits,
                    "benefits_zh": spec.benefits_zh,
                },
            )
            for rule_set in spec.rule_sets:
                RuleSet.objects.get_or_create(
                    program=program,
                    version=rule_set.version,
                    defaults={
                        "status": (
                            RuleSetStatus.PUBLISHED if rule_set.published else RuleSetStatus.DRAFT
                        ),
                        "criteria": rule_set.criteria,
                        "notes": rule_set.notes,
                        "published_at": timezone.now() if rule_set.published else None,
                    },
                )
        # Cohort windows follow the real clock so applications are open whenever the demo runs;
        # each run re-opens them around today.
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        programs = {program.code: program for program in Program.objects.all()}
        belts = {belt.slug: belt for belt in IndustrialBelt.objects.all()}
        for spec in data.COHORTS:
            Cohort.objects.update_or_create(
                program=programs[spec.program],
                name=spec.name,
                defaults={
                    "application_opens_at": today - datetime.timedelta(days=spec.opened_days_ago),
                    "application_closes_at": today + datetime.timedelta(days=spec.closes_in_days),
                    "name_zh": spec.name_zh,
                    "seats": spec.seats,
                    "belt": belts[spec.belt] if spec.belt else None,
                    "graduation_criteria": spec.graduation_criteria,
                },
            )
        return f"{len(data.PROGRAMS)} programs with their rule sets, {len(data.COHORTS)} cohorts"

    # Logins ------------------------------------------------------------------------------------

    def _login(self, username: str, **flags) -> Model:
        """Create or update a demo user; its password is reset so the printed login works."""
        secrets = {login.username: login.secret for login in data.DEMO_LOGINS}
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"email": f"{username}@beltops.local"}
        )
        for name, value in {"is_active": True, **flags}.items():
            setattr(user, name, value)
        user.set_password(secrets[username])
        user.save()
        return user

    @transaction.atomic
    def seed_staff_logins(self) -> str:
        self.admin = self._login("admin", is_staff=True, is_superuser=True)
        self.reviewer = self._login("reviewer", is_staff=True, is_superuser=False)
        group, _ = Group.objects.get_or_create(name=data.REVIEWERS_GROUP)
        permissions = Permission.objects.filter(
            content_type__app_label__in=DEMO_APPS, codename__startswith="view_"
        ) | Permission.objects.filter(
            content_type__app_label__in=DEMO_APPS,
            codename__in=[
                "change_merchant",
                "change_enrollment",
                "add_enrollmentevent",
                # The shipment page's steps: record and correct a hand-over, report and resolve
                # an incident (the services check the center).
                "add_conditioncheck",
                "change_conditioncheck",
                "add_incident",
                "change_incident",
            ],
        )
        group.permissions.add(*permissions)
        self.reviewer.groups.add(group)
        center = OperationCenter.objects.get(name=data.REVIEWER_CENTER)
        # The reviewer belongs to the Foshan furniture center only.
        OperationCenterMembership.objects.filter(user=self.reviewer).exclude(center=center).delete()
        OperationCenterMembership.objects.update_or_create(
            center=center, user=self.reviewer, defaults={"role": CenterRole.REVIEWER}
        )
        return f"admin, reviewer (group {data.REVIEWERS_GROUP!r}, {data.REVIEWER_CENTER})"

    @transaction.atomic
    def seed_merchant_login(self) -> str:
        self.merchant_user = self._login("merchant", is_staff=False, is_superuser=False)
        flagship = self._flagship()
        if not MerchantMembership.objects.filter(
            merchant=flagship, user=self.merchant_user
        ).exists():
            has_owner = MerchantMembership.objects.filter(
                merchant=flagship, role=MembershipRole.OWNER
            ).exists()
            MerchantMembership.objects.create(
                merchant=flagship,
                user=self.merchant_user,
                role=MembershipRole.OPERATOR if has_owner else MembershipRole.OWNER,
            )
        return f"merchant owns {flagship.shop_name!r} ({flagship.belt})"

    # Merchants ---------------------------------------------------------------------------------

    def _belt_plans(self) -> list[BeltPlan]:
        rng = random.Random(f"belt-ops-demo:{self.options.seed}:belt-growth")
        rows = {
            belt.slug: belt
            for belt in IndustrialBelt.objects.select_related("city").filter(slug__in=_belt_slugs())
        }
        categories = {spec.slug: spec for spec in data.CATEGORIES}
        plans = []
        for spec in data.BELTS:
            belt = rows[spec.slug]
            plans.append(
                BeltPlan(
                    slug=spec.slug,
                    belt_id=belt.pk,
                    category_id=belt.category_id,
                    place=spec.place or spec.city,
                    category=categories[spec.category],
                    growth=spec.growth + rng.gauss(0.0, 0.03),
                    latitude=float(belt.city.latitude),
                    longitude=float(belt.city.longitude),
                    district=spec.place,
                )
            )
        return plans

    def existing_indices(self) -> set[int]:
        """The demo merchants already in the database, by index."""
        keys = Storefront.objects.filter(
            external_id__startswith=KEY_PREFIX, external_id__endswith="-1"
        ).values_list("external_id", flat=True)
        indices = set()
        for key in keys.iterator(chunk_size=10_000):
            number = key[len(KEY_PREFIX) : -2]
            if number.isdigit():
                indices.add(int(number))
        return indices

    def seed_merchants(self) -> str:
        options = self.options
        planner = MerchantPlanner(seed=options.seed, as_of=options.as_of, belts=self._belt_plans())
        writer = MetricWriter(self.months)
        self.report.metric_writer = writer.name
        existing = self.existing_indices()
        todo = [index for index in range(options.merchants) if index not in existing]
        self.report.merchants_kept = options.merchants - len(todo)
        started = time.monotonic()
        step = max(1, len(todo) // 10)
        reported = 0
        for chunk in _batched(todo, options.batch_size):
            plans = [planner.plan(index) for index in chunk]
            with transaction.atomic():
                created = self._create_merchants(plans)
                self.report.metrics_created += writer.write(created)
            self.report.merchants_created += len(plans)
            done = self.report.merchants_created
            if done - reported >= step or done == len(todo):
                reported = done
                self.progress(
                    f"  merchants {done:,}/{len(todo):,} created, "
                    f"{self.report.metrics_created:,} monthly metrics "
                    f"({time.monotonic() - started:.1f} s)"
                )
        return (
            f"{self.report.merchants_created:,} created, {self.report.merchants_kept:,} already "
            f"present; {self.report.metrics_created:,} monthly metrics via {writer.name}"
        )

    def _create_merchants(self, plans: Sequence[MerchantPlan]) -> list[tuple[int, MerchantPlan]]:
        merchants = [
            Merchant(
                legal_name=plan.legal_name,
                shop_name=plan.shop_name,
                belt_id=plan.belt.belt_id,
                category_id=plan.belt.category_id,
                merchant_type=plan.merchant_type,
                brand_stage=plan.brand_stage,
                is_smb=plan.is_smb,
                opened_on=plan.opened_on,
                returned_on=plan.returned_on,
                status=plan.status,
                latitude=plan.location[0],
                longitude=plan.location[1],
                district=plan.location[2],
            )
            for plan in plans
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            Merchant.objects.bulk_create(merchants, batch_size=1000)
        else:  # pragma: no cover - every backend the project supports returns the ids
            for merchant in merchants:
                merchant.save()
        Storefront.objects.bulk_create(
            [
                Storefront(
                    merchant_id=merchant.pk,
                    channel=channel,
                    external_id=external_id,
                    name=name,
                    opened_on=opened_on,
                    is_active=plan.status != MerchantStatus.CLOSED,
                )
                for merchant, plan in zip(merchants, plans, strict=True)
                for channel, external_id, name, opened_on in plan.storefronts
            ],
            batch_size=1000,
        )
        return [(merchant.pk, plan) for merchant, plan in zip(merchants, plans, strict=True)]

    # Demo merchants by key ---------------------------------------------------------------------

    def _demo_merchants(self, **filters):
        """Demo merchants matching ``filters``, in the order of their keys."""
        return (
            Merchant.objects.filter(
                storefronts__external_id__startswith=KEY_PREFIX,
                storefronts__external_id__endswith="-1",
                **filters,
            )
            .select_related("belt")
            .order_by("storefronts__external_id")
        )

    def _flagship(self) -> Merchant:
        return Merchant.objects.select_related("belt").get(storefronts__external_id=merchant_key(0))

    # Enrollments -------------------------------------------------------------------------------

    @transaction.atomic
    def seed_enrollments(self) -> str:
        cohorts = {cohort.name: cohort for cohort in Cohort.objects.select_related("program")}
        flagship = self._flagship()
        taken: dict[int, set[int]] = {}
        created = kept = missing = 0
        for number, spec in enumerate(data.ENROLLMENTS):
            cohort = cohorts[spec.cohort]
            used = taken.setdefault(cohort.program_id, set())
            if spec.flagship:
                merchant = flagship
            else:
                # The choice ignores existing enrollments, so a second run picks the same
                # merchants and finds them enrolled.
                candidates = self._demo_merchants(
                    status=MerchantStatus.ACTIVE, **spec.merchant_filter
                )
                merchant = next(
                    (m for m in candidates[:200] if m.pk not in used and m.pk != flagship.pk), None
                )
            if merchant is None:
                missing += 1
                continue
            used.add(merchant.pk)
            if Enrollment.objects.filter(merchant=merchant, program=cohort.program_id).exists():
                kept += 1
                continue
            self._create_enrollment(merchant, cohort, spec, number, merchant.pk == flagship.pk)
            created += 1
        self.report.enrollments_created = created
        if missing:
            self.report.notes.append(
                f"{missing} demo enrollment(s) skipped: no matching merchant; seed more merchants."
            )
        return f"{created} created, {kept} already present, {missing} without a matching merchant"

    def _create_enrollment(self, merchant, cohort, spec, number, is_flagship) -> None:
        path = data.ENROLLMENT_PATHS[spec.state]
        applicant = self.merchant_user if is_flagship else None
        decider = self.reviewer if cohort.belt_id else self.admin
        # The workflow's notes as codes: every reader gets them in their language.
        reasons = {
            EnrollmentState.DRAFT: (ReasonCode.APPLICATION_STARTED, {}),
            EnrollmentState.SUBMITTED: (ReasonCode.APPLICATION_SUBMITTED, {}),
            EnrollmentState.IN_REVIEW: (ReasonCode.REVIEW_STARTED, {}),
            EnrollmentState.APPROVED: (ReasonCode.SEAT_GRANTED, {}),
            EnrollmentState.WAITLISTED: (ReasonCode.NO_SEAT_WAITLISTED, {"seats": cohort.seats}),
            EnrollmentState.ACTIVE: (ReasonCode.COHORT_STARTED, {}),
        }
        actors = {
            EnrollmentState.DRAFT: applicant,
            EnrollmentState.SUBMITTED: applicant,
            EnrollmentState.IN_REVIEW: decider,
            EnrollmentState.APPROVED: decider,
            EnrollmentState.WAITLISTED: decider,
            EnrollmentState.ACTIVE: None,
        }
        started = cohort.application_opens_at + datetime.timedelta(hours=6 + number)
        times = [started + datetime.timedelta(hours=12 * step) for step in range(len(path))]
        at = dict(zip(path, times, strict=True))
        enrollment = Enrollment.objects.create(
            merchant=merchant,
            cohort=cohort,
            program=cohort.program,
            state=spec.state,
            created_by=applicant,
            submitted_at=at.get(EnrollmentState.SUBMITTED),
            decided_at=at.get(EnrollmentState.APPROVED) or at.get(EnrollmentState.WAITLISTED),
            waitlisted_at=at.get(EnrollmentState.WAITLISTED),
        )
        # created_at and state_changed_at are auto_now_add: backdate them to the story's times.
        Enrollment.objects.filter(pk=enrollment.pk).update(
            created_at=times[0], state_changed_at=times[-1]
        )
        previous = ""
        for state, moment in zip(path, times, strict=True):
            event = EnrollmentEvent.objects.create(
                enrollment=enrollment,
                actor=actors[state],
                from_state=previous,
                to_state=state,
                reason_code=reasons[state][0],
                reason_params=reasons[state][1],
            )
            EnrollmentEvent.objects.filter(pk=event.pk).update(created_at=moment)
            previous = state

    # Shipments ---------------------------------------------------------------------------------

    @transaction.atomic
    def seed_shipments(self) -> str:
        flagship = self._flagship()
        admin = getattr(self, "admin", None)
        reviewer = getattr(self, "reviewer", None)
        # The reviewer serves the Foshan furniture center; the admin resolves the rest.
        resolvers = {"": admin, data.FLAGSHIP_BELT: reviewer or admin}
        slugs = [spec.belt for spec in data.CHAIN_BELTS]
        pools: dict[str, list[int]] = {slug: [] for slug in slugs}
        rows = (
            self._demo_merchants(belt__slug__in=slugs)
            .exclude(pk=flagship.pk)
            .values_list("belt__slug", "pk")
        )
        for slug, pk in rows:
            pools[slug].append(pk)
        result = chains.write_chains(
            seed=self.options.seed,
            now=self.as_of_at,
            flagship=flagship,
            pools=pools,
            resolvers=resolvers,
        )
        self.report.shipments_created = result.created
        return (
            f"{result.created} created ({result.legs:,} legs, {result.incidents} incidents, "
            f"{result.breaches} SLA breaches), {result.kept} already present"
        )


def _belt_slugs() -> list[str]:
    return [spec.slug for spec in data.BELTS]


def demo_models() -> list[type[Model]]:
    """The models the demo writes to, for counting: the four apps, users and groups."""
    models = [
        model
        for label in DEMO_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    return [get_user_model(), Group, *models]


def table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in demo_models()}
