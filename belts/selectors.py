"""Reads of the belts app. Each list returns a queryset that loads what its callers show in a
fixed number of queries, whatever its length."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, FilteredRelation, Max, Prefetch, Q, QuerySet

from core.language import localized_name

from .choices import BeltTier
from .models import (
    BeltTierChange,
    BeltYearStat,
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    TierPolicy,
    growth_rank_key,
)
from .scoping import Viewer, center_scope


def city_list() -> QuerySet[City]:
    return City.objects.order_by("name", "id")


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("name", "id")


def belt_list() -> QuerySet[IndustrialBelt]:
    return IndustrialBelt.objects.select_related("city", "category").order_by("name", "id")


def operation_center_list() -> QuerySet[OperationCenter]:
    # Only the ids of the belts served are shown: don't load whole belt rows for them.
    belts_served = Prefetch("belts", queryset=IndustrialBelt.objects.only("id").order_by("id"))
    return (
        OperationCenter.objects.select_related("city")
        .prefetch_related(belts_served)
        .order_by("name", "id")
    )


def belt_year_stat_list() -> QuerySet[BeltYearStat]:
    return BeltYearStat.objects.select_related("belt").order_by("-year", "-gmv", "id")


def center_list_for(*, user: Viewer) -> QuerySet[OperationCenter]:
    """The operation centers ``user`` belongs to; every center for a superuser."""
    scope = center_scope(user, "pk")
    centers = OperationCenter.objects.order_by("name", "id")
    return centers if scope is None else centers.filter(scope)


def category_names_by_slug() -> dict[str, tuple[str, str]]:
    """``{slug: (name, name_zh)}`` of every category: one query. Categories are a few dozen
    rows; explanations that name categories by their slug read them from this."""
    return {
        slug: (name, name_zh)
        for slug, name, name_zh in Category.objects.values_list("slug", "name", "name_zh")
    }


def belt_operation_center_list(*, belt_id: int) -> QuerySet[OperationCenter]:
    """The operation centers serving the belt, with their city, by name: one query."""
    return (
        OperationCenter.objects.filter(belts__pk=belt_id)
        .select_related("city")
        .order_by("name", "id")
    )


# The atlas: every belt as a row of the map --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AtlasBelt:
    """One belt as the map and its table show it: where it is, what it makes, and its figures
    of one year. ``name``/``name_zh`` (and city, province, category) are the stored raw names;
    the ``display_*`` properties give them in the active language."""

    id: int
    slug: str
    name: str
    name_zh: str
    city: str
    city_zh: str
    province: str
    province_zh: str
    latitude: float
    longitude: float
    category_slug: str
    category: str
    category_zh: str
    year: int | None  # the year of the figures shown (also for a belt with no stat that year)
    gmv: Decimal | None
    merchant_count: int | None
    yoy_growth: Decimal | None
    tier: str  # a BeltTier value; STANDARD when the belt has no stat that year

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_zh)

    @property
    def display_city(self) -> str:
        return localized_name(self.city, self.city_zh)

    @property
    def display_province(self) -> str:
        return localized_name(self.province, self.province_zh)

    @property
    def display_category(self) -> str:
        return localized_name(self.category, self.category_zh)


def atlas_year_list() -> list[int]:
    """The years that have belt figures, newest first: one query."""
    return list(BeltYearStat.objects.order_by("-year").values_list("year", flat=True).distinct())


_ATLAS_VALUES = (
    "id",
    "slug",
    "name",
    "name_zh",
    "city__name",
    "city__name_zh",
    "city__province",
    "city__province_zh",
    "city__latitude",
    "city__longitude",
    "category__slug",
    "category__name",
    "category__name_zh",
    "stat__gmv",
    "stat__merchant_count",
    "stat__yoy_growth",
    "stat__tier",
)


def atlas_belt_list(
    *,
    year: int | None = None,
    category_slug: str | None = None,
    tier: str | None = None,
    limit: int | None = None,
) -> list[AtlasBelt]:
    """Every belt (of ``category_slug``, of ``tier``) with its figures of ``year``.

    ``year`` None means the newest year that has figures (one query more to find it). A belt
    with no figures that year is a row too, with ``gmv`` None and tier STANDARD: it is kept by
    ``tier=standard`` and left out by any other tier. Ordered by GMV, largest first (belts
    without figures last), then by name. One query for the rows whatever their number (belt,
    city, category and the year's stat in one LEFT JOIN), plus one to find the newest year when
    ``year`` is None. ``limit`` cuts the rows after the ordering (None: all).
    """
    if year is None:
        year = BeltYearStat.objects.aggregate(newest=Max("year"))["newest"]
    belts = IndustrialBelt.objects.annotate(
        stat=FilteredRelation("year_stats", condition=Q(year_stats__year=year))
    )
    if category_slug is not None:
        belts = belts.filter(category__slug=category_slug)
    if tier == BeltTier.STANDARD:
        belts = belts.filter(Q(stat__tier=BeltTier.STANDARD) | Q(stat__id__isnull=True))
    elif tier is not None:
        belts = belts.filter(stat__tier=tier)
    rows = belts.order_by(F("stat__gmv").desc(nulls_last=True), "name", "id").values(*_ATLAS_VALUES)
    if limit is not None:
        rows = rows[:limit]
    return [_atlas_belt(row, year) for row in rows]


def _atlas_belt(row: dict[str, Any], year: int | None) -> AtlasBelt:
    return AtlasBelt(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        name_zh=row["name_zh"],
        city=row["city__name"],
        city_zh=row["city__name_zh"],
        province=row["city__province"],
        province_zh=row["city__province_zh"],
        latitude=float(row["city__latitude"]),
        longitude=float(row["city__longitude"]),
        category_slug=row["category__slug"],
        category=row["category__name"],
        category_zh=row["category__name_zh"],
        year=year,
        gmv=row["stat__gmv"],
        merchant_count=row["stat__merchant_count"],
        yoy_growth=row["stat__yoy_growth"],
        tier=row["stat__tier"] or BeltTier.STANDARD.value,
    )


# A belt's page: its reference figures (``config.atlas.figures`` puts them together) ---------------
def belt_figures_belt_get(*, belt_id: int | None = None, slug: str | None = None) -> IndustrialBelt:
    """The belt by id or slug, with its city and category: one query. Raises
    ``IndustrialBelt.DoesNotExist`` when there is none."""
    belts = IndustrialBelt.objects.select_related("city", "category")
    if belt_id is not None:
        return belts.get(pk=belt_id)
    if slug is None:
        raise IndustrialBelt.DoesNotExist
    return belts.get(slug=slug)


def belt_year_series(*, belt_id: int) -> list[BeltYearStat]:
    """The belt's figures of every year, oldest first: one query."""
    return list(BeltYearStat.objects.filter(belt_id=belt_id).order_by("year"))


def tier_policy_for(*, year: int) -> TierPolicy:
    """The tier policy of ``year``, or the source's defaults when none is stored (the policy
    the nightly classification then used): one query."""
    return TierPolicy.objects.filter(year=year).first() or TierPolicy(year=year)


@dataclass(frozen=True, slots=True)
class GrowthRank:
    """Where a belt's growth stands in one year. ``rank``/``ranked_of``: among every belt with
    a growth figure that year. ``candidate_rank``/``candidates``: among the belts that could be
    growth belts (GMV at least the policy's minimum, under the ten-billion threshold), the
    ranking the growth tier is given from. Ties go to the larger GMV, then the older belt,
    as in the classification."""

    rank: int | None
    ranked_of: int
    candidate_rank: int | None
    candidates: int


def belt_growth_rank_get(*, belt_id: int, year: int, policy: TierPolicy) -> GrowthRank:
    """The belt's growth rank in ``year`` under ``policy``: one query over that year's belts
    (a few hundred rows, three columns)."""
    rows = [
        (belt, gmv, growth)
        for belt, gmv, growth in BeltYearStat.objects.filter(
            year=year, yoy_growth__isnull=False
        ).values_list("belt_id", "gmv", "yoy_growth")
        if growth is not None
    ]
    ordered = sorted(rows, key=lambda row: growth_rank_key(*row))
    candidates = [row for row in ordered if policy.is_growth_candidate(row[1], row[2])]
    ids = [row[0] for row in ordered]
    candidate_ids = [row[0] for row in candidates]
    return GrowthRank(
        rank=ids.index(belt_id) + 1 if belt_id in ids else None,
        ranked_of=len(ids),
        candidate_rank=candidate_ids.index(belt_id) + 1 if belt_id in candidate_ids else None,
        candidates=len(candidate_ids),
    )


def belt_tier_change_list(*, belt_id: int) -> list[BeltTierChange]:
    """The belt's tier changes, newest first: one query."""
    return list(
        BeltTierChange.objects.filter(belt_id=belt_id).order_by("-year", "-changed_at", "-id")
    )
