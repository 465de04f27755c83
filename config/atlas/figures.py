"""A belt's page as figures: what the console's and the portal's belt pages and the API's
``belts/<id>/`` show, put together from each app's selectors, trimmed to what the reader may
see (``config.atlas.access``).

The belt's reference figures (its years, tier and why, tier history, the centers serving it)
are platform-wide, as in the atlas and the API's belt lists. The figures drawn from its
merchants (their types and stages, programs, deliveries, factories) need FULL or MEMBER access;
for PUBLIC they are None. A fixed number of queries, whatever the belt's size.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from belts import selectors as belt_selectors
from belts.choices import BeltTier
from belts.models import BeltTierChange, IndustrialBelt, OperationCenter, TierPolicy
from belts.scoping import Viewer
from config.atlas.access import BeltAccess, BeltGrant, belt_grant
from core.language import localized_name
from core.money import format_cny, format_ratio
from logistics import selectors as logistics_selectors
from logistics.choices import ProviderKind
from merchants import selectors as merchant_selectors
from merchants.choices import BrandStage, MerchantType
from programs import selectors as program_selectors

# What each brand stage means, after the three stages Zhou Qiren saw in Shunde's manufacturing.
STAGE_MEANINGS = {
    BrandStage.ME_TOO: gettext_lazy("Makes what others make, and competes on price."),
    BrandStage.ME_BETTER: gettext_lazy("Makes it a little better than others: quality, design."),
    BrandStage.ME_ONLY: gettext_lazy("Makes what no one else does: its own design and brand."),
}


@dataclass(frozen=True, slots=True)
class YearPoint:
    year: int
    gmv: Decimal
    merchant_count: int
    yoy_growth: Decimal | None
    tier: str


@dataclass(frozen=True, slots=True)
class TierReason:
    """Why the belt holds its tier in ``year``, as a sentence, with the figures it is made of."""

    tier: str
    year: int
    sentence: str
    growth_rank: int | None  # among every belt with a growth figure that year
    ranked_of: int
    candidate_rank: int | None  # among the belts the growth tier is chosen from
    candidates: int


@dataclass(frozen=True, slots=True)
class CompositionRow:
    merchant_type: str
    label: str
    me_too: int
    me_better: int
    me_only: int
    total: int


@dataclass(frozen=True, slots=True)
class Composition:
    rows: list[CompositionRow]
    stage_totals: dict[str, int]
    total: int


@dataclass(frozen=True, slots=True)
class ProgramCount:
    program_id: int
    name: str
    eligible: int
    enrolled: int


@dataclass(frozen=True, slots=True)
class ProviderRow:
    provider_id: int
    name: str
    kind: str
    kind_label: str
    legs: int


@dataclass(frozen=True, slots=True)
class LogisticsFigures:
    shipments: int
    damaged: int
    damage_rate: Decimal | None  # damaged / shipments; None without shipments
    providers: list[ProviderRow]


@dataclass(frozen=True, slots=True)
class FactoryPoint:
    """A located source factory. For a MEMBER reader a peer's ``merchant_id`` and ``label`` are
    None (it is a point, not a name); their own factory is named and ``is_own``."""

    merchant_id: int | None
    label: str | None
    latitude: float
    longitude: float
    district: str
    is_own: bool = False


@dataclass(frozen=True, slots=True)
class BeltFigures:
    belt: IndustrialBelt
    access: BeltAccess
    years: list[YearPoint]
    latest: YearPoint | None
    tier_reason: TierReason | None
    tier_history: list[BeltTierChange]
    centers: list[OperationCenter]
    # Drawn from the belt's merchants: None for a PUBLIC reader.
    composition: Composition | None = None
    programs: list[ProgramCount] | None = None
    logistics: LogisticsFigures | None = None
    factories: list[FactoryPoint] = field(default_factory=list)
    factory_count: int | None = None


def belt_figures_get(
    *, user: Viewer, belt_id: int | None = None, slug: str | None = None
) -> BeltFigures:
    """The belt's page for ``user``, by id or slug. Raises ``IndustrialBelt.DoesNotExist``
    for an unknown belt (every belt exists for every reader: belts are reference data)."""
    belt = belt_selectors.belt_figures_belt_get(belt_id=belt_id, slug=slug)
    grant = belt_grant(user, belt.pk)
    years = [
        YearPoint(
            year=stat.year,
            gmv=stat.gmv,
            merchant_count=stat.merchant_count,
            yoy_growth=stat.yoy_growth,
            tier=stat.tier,
        )
        for stat in belt_selectors.belt_year_series(belt_id=belt.pk)
    ]
    latest = years[-1] if years else None
    figures = BeltFigures(
        belt=belt,
        access=grant.access,
        years=years,
        latest=latest,
        tier_reason=_tier_reason(belt.pk, latest) if latest else None,
        tier_history=belt_selectors.belt_tier_change_list(belt_id=belt.pk),
        centers=list(belt_selectors.belt_operation_center_list(belt_id=belt.pk)),
    )
    if not grant.sees_merchant_figures:
        return figures
    return dataclasses.replace(
        figures,
        composition=_composition(belt.pk),
        programs=_programs(belt.pk),
        logistics=_logistics(belt.pk),
        factories=_factories(belt.pk, grant),
        factory_count=merchant_selectors.belt_factory_count(belt_id=belt.pk),
    )


# The tier and why ----------------------------------------------------------------------------
def _tier_reason(belt_id: int, latest: YearPoint) -> TierReason:
    policy = belt_selectors.tier_policy_for(year=latest.year)
    rank = belt_selectors.belt_growth_rank_get(belt_id=belt_id, year=latest.year, policy=policy)
    return TierReason(
        tier=latest.tier,
        year=latest.year,
        sentence=tier_sentence(latest, policy, rank),
        growth_rank=rank.rank,
        ranked_of=rank.ranked_of,
        candidate_rank=rank.candidate_rank,
        candidates=rank.candidates,
    )


def tier_sentence(latest: YearPoint, policy: TierPolicy, rank: belt_selectors.GrowthRank) -> str:
    """One sentence saying why the belt holds its tier that year, by the year's tier policy."""
    words = {
        "year": latest.year,
        "gmv": format_cny(latest.gmv),
        "growth": format_ratio(latest.yoy_growth) or "—",
        "threshold": format_cny(policy.ten_billion_gmv),
        "minimum": format_cny(policy.growth_min_gmv),
        "top": policy.growth_top_n,
        "rank": rank.candidate_rank,
        "candidates": rank.candidates,
    }
    if latest.tier == BeltTier.TEN_BILLION:
        return (
            _(
                "In %(year)s the belt sold %(gmv)s, at or above the %(threshold)s that makes a "
                "ten-billion belt."
            )
            % words
        )
    if latest.tier == BeltTier.GROWTH:
        return (
            _(
                "In %(year)s the belt grew %(growth)s on %(gmv)s of GMV, ranking %(rank)s of "
                "the %(candidates)s belts selling at least %(minimum)s: the top %(top)s of them "
                "are growth belts."
            )
            % words
        )
    if latest.gmv < policy.growth_min_gmv:
        return (
            _(
                "In %(year)s the belt sold %(gmv)s, under the %(minimum)s a growth belt needs: "
                "a standard belt."
            )
            % words
        )
    if latest.yoy_growth is None or rank.candidate_rank is None:
        return (
            _(
                "In %(year)s the belt sold %(gmv)s, but it has no growth figure (the year "
                "before is not complete), so it could not be a growth belt: a standard belt."
            )
            % words
        )
    return (
        _(
            "In %(year)s the belt grew %(growth)s, ranking %(rank)s of the %(candidates)s belts "
            "selling at least %(minimum)s; only the top %(top)s of them are growth belts: a "
            "standard belt."
        )
        % words
    )


# Drawn from the belt's merchants ---------------------------------------------------------------
def _composition(belt_id: int) -> Composition:
    counts: dict[str, dict[str, int]] = {}
    for merchant_type, stage, count in merchant_selectors.belt_composition_counts(belt_id=belt_id):
        counts.setdefault(merchant_type, {})[stage] = count
    rows = []
    for merchant_type in MerchantType:
        stages = counts.get(merchant_type.value, {})
        if not stages:
            continue
        rows.append(
            CompositionRow(
                merchant_type=merchant_type.value,
                label=str(merchant_type.label),
                me_too=stages.get(BrandStage.ME_TOO, 0),
                me_better=stages.get(BrandStage.ME_BETTER, 0),
                me_only=stages.get(BrandStage.ME_ONLY, 0),
                total=sum(stages.values()),
            )
        )
    totals = {
        "me_too": sum(row.me_too for row in rows),
        "me_better": sum(row.me_better for row in rows),
        "me_only": sum(row.me_only for row in rows),
    }
    return Composition(rows=rows, stage_totals=totals, total=sum(row.total for row in rows))


def _programs(belt_id: int) -> list[ProgramCount]:
    return [
        ProgramCount(
            program_id=row["id"],
            name=localized_name(row["name"], row["name_zh"]),
            eligible=row["eligible"],
            enrolled=row["enrolled"],
        )
        for row in program_selectors.belt_program_count_list(belt_id=belt_id)
    ]


def _logistics(belt_id: int) -> LogisticsFigures:
    shipments, damaged = logistics_selectors.belt_shipment_damage_counts(belt_id=belt_id)
    providers = [
        ProviderRow(
            provider_id=row["provider_id"],
            name=localized_name(row["provider__name"], row["provider__name_zh"]),
            kind=row["provider__kind"],
            kind_label=str(ProviderKind(row["provider__kind"]).label)
            if row["provider__kind"] in ProviderKind.values
            else row["provider__kind"],
            legs=row["legs"],
        )
        for row in logistics_selectors.belt_provider_leg_list(belt_id=belt_id)
    ]
    rate = (Decimal(damaged) / Decimal(shipments)) if shipments else None
    return LogisticsFigures(
        shipments=shipments, damaged=damaged, damage_rate=rate, providers=providers
    )


def _factories(belt_id: int, grant: BeltGrant) -> list[FactoryPoint]:
    named = grant.access == BeltAccess.FULL
    points = []
    for row in merchant_selectors.belt_factory_location_list(belt_id=belt_id):
        own = row["id"] in grant.own_merchant_ids
        points.append(
            FactoryPoint(
                merchant_id=row["id"] if named or own else None,
                label=row["shop_name"] if named or own else None,
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                district=row["district"],
                is_own=own,
            )
        )
    return points
