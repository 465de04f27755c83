"""What the belt atlas's pages show: the map of every belt with the table beside it, and one
belt's page. The console (``config.console.ConsoleSite``) and the portal (``config.atlas.views``)
draw the same context with their own frames; who sees what is decided by the selectors
(``belts.selectors.atlas_belt_list`` for the map, ``config.atlas.access`` for a belt's page).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from belts.choices import BeltTier
from belts.filtersets import AtlasFilterForm
from belts.selectors import AtlasBelt, atlas_belt_list
from config.atlas.figures import STAGE_MEANINGS, BeltFigures, FactoryPoint, YearPoint
from config.atlas.geo import (
    Marker,
    ViewBox,
    belt_markers,
    china_viewbox,
    project,
    provinces,
    viewbox_around,
)
from core.language import localized_name
from core.money import cny_axis_unit, format_cny, format_ratio
from merchants.choices import BrandStage

# The tiers in the order the legend, the summary and the table's sorting read them.
TIER_ORDER = (BeltTier.TEN_BILLION, BeltTier.GROWTH, BeltTier.STANDARD)


@dataclass(frozen=True, slots=True)
class AtlasRow:
    """One row of the table beside the map: the same belt, words and link as its marker."""

    belt: AtlasBelt
    name: str
    city: str
    province: str
    category: str
    tier: str
    tier_label: str
    gmv_display: str
    growth_display: str
    url: str | None
    highlighted: bool


def tier_label(tier: str) -> str:
    return str(BeltTier(tier).label) if tier in BeltTier.values else tier


def marker_title(belt: AtlasBelt) -> str:
    """The words a marker says when pointed at or read by a screen reader."""
    return _("%(belt)s, %(city)s: %(tier)s, GMV %(gmv)s") % {
        "belt": localized_name(belt.name, belt.name_zh),
        "city": localized_name(belt.city, belt.city_zh),
        "tier": tier_label(belt.tier),
        "gmv": format_cny(belt.gmv),
    }


def _summary(belts: list[AtlasBelt], year: int | None) -> str:
    counts = {tier: sum(1 for belt in belts if belt.tier == tier) for tier in TIER_ORDER}
    parts = ", ".join(
        [
            ngettext("%(count)d ten-billion belt", "%(count)d ten-billion belts", counts[t])
            % {"count": counts[t]}
            if t == BeltTier.TEN_BILLION
            else ngettext("%(count)d growth belt", "%(count)d growth belts", counts[t])
            % {"count": counts[t]}
            if t == BeltTier.GROWTH
            else ngettext("%(count)d standard belt", "%(count)d standard belts", counts[t])
            % {"count": counts[t]}
            for t in TIER_ORDER
        ]
    )
    if year is None:
        return _("No belt has yearly figures yet.")
    return _("%(year)s: %(parts)s.") % {"year": year, "parts": parts}


def atlas_context(
    params: QueryDict,
    *,
    belt_url: Callable[[AtlasBelt], str | None],
    highlight_ids: Iterable[int] = (),
) -> dict[str, Any]:
    """The map page: the filter form (category, year, tier), the belts it keeps as markers and
    as the table's rows, and a one-line summary. An invalid filter shows its error on the form
    and the map of every belt of the newest year (nothing the visitor typed is lost)."""
    form = AtlasFilterForm(params)
    if form.is_valid():
        chosen = form.atlas_filter()
        belts = atlas_belt_list(
            year=chosen.year, category_slug=chosen.category_slug, tier=chosen.tier
        )
    else:
        belts = atlas_belt_list()
    highlighted = frozenset(highlight_ids)
    year = next((belt.year for belt in belts if belt.year is not None), None)
    markers = belt_markers(
        belts,
        url_for=belt_url,
        highlight_ids=highlighted,
        title_for=marker_title,
    )
    rows = [
        AtlasRow(
            belt=belt,
            name=localized_name(belt.name, belt.name_zh),
            city=localized_name(belt.city, belt.city_zh),
            province=localized_name(belt.province, belt.province_zh),
            category=localized_name(belt.category, belt.category_zh),
            tier=belt.tier,
            tier_label=tier_label(belt.tier),
            gmv_display=format_cny(belt.gmv),
            growth_display=format_ratio(belt.yoy_growth) or "—",
            url=belt_url(belt),
            highlighted=belt.id in highlighted,
        )
        for belt in belts
    ]
    return {
        "form": form,
        "rows": rows,
        "year": year,
        "summary": _summary(belts, year),
        "map": {
            "viewbox": china_viewbox(),
            "provinces": provinces(),
            "markers": markers,
            "label": _("Map of China's industrial belts"),
            "id": "atlas-map",
        },
    }


def home_map(*, belt_url: Callable[[AtlasBelt], str | None]) -> dict[str, Any]:
    """The console home's small map: every belt of the newest year, each a link to its page
    (one query)."""
    belts = atlas_belt_list()
    return {
        "viewbox": china_viewbox(),
        "provinces": provinces(),
        "markers": belt_markers(belts, url_for=belt_url, highlight_ids=(), title_for=marker_title),
        "label": _("Map of China's industrial belts"),
        "id": "dashboard-atlas-map",
        "year": next((belt.year for belt in belts if belt.year is not None), None),
    }


# A belt's page --------------------------------------------------------------------------------


def belt_chart_data(years: list[YearPoint]) -> dict[str, Any]:
    """The yearly GMV (bars, in the axis unit) and merchant count (a line, its own axis) for
    ``static/js/belt-chart.js``; each point's words come formatted as the page reads them."""
    divisor, unit = cny_axis_unit(max((point.gmv for point in years), default=Decimal(0)))
    return {
        "labels": [str(point.year) for point in years],
        "gmv": {
            "label": _("GMV"),
            "axis": _("GMV (%(unit)s)") % {"unit": unit},
            "values": [float(point.gmv / divisor) for point in years],
            "words": [format_cny(point.gmv) for point in years],
        },
        "merchants": {
            "label": _("Merchants"),
            "axis": _("Merchants"),
            "values": [point.merchant_count for point in years],
        },
    }


@dataclass(frozen=True, slots=True)
class YearRow:
    year: int
    gmv_display: str
    merchant_count: int
    growth_display: str
    tier_label: str


def _year_rows(years: list[YearPoint]) -> list[YearRow]:
    return [
        YearRow(
            year=point.year,
            gmv_display=format_cny(point.gmv),
            merchant_count=point.merchant_count,
            growth_display=format_ratio(point.yoy_growth) or "—",
            tier_label=tier_label(point.tier),
        )
        for point in reversed(years)
    ]


def factory_map(
    figures: BeltFigures, *, factory_url: Callable[[FactoryPoint], str | None]
) -> dict[str, Any] | None:
    """The zoomed map of the belt's located source factories, around them and the belt's city;
    None when none has a location (or the reader may not see them)."""
    if not figures.factories:
        return None
    city = figures.belt.city
    points = [(float(city.longitude), float(city.latitude))]
    points += [(factory.longitude, factory.latitude) for factory in figures.factories]
    viewbox: ViewBox = viewbox_around(points)
    markers = []
    # Peers first, the reader's own factory last, so it is drawn on top.
    for number, factory in enumerate(sorted(figures.factories, key=lambda f: f.is_own), start=1):
        x, y = project(factory.longitude, factory.latitude)
        label = factory.label or _("A source factory of the belt")
        if factory.is_own:
            label = _("Your factory: %(name)s") % {"name": factory.label or ""}
        if factory.district:
            label = _("%(factory)s, %(district)s") % {
                "factory": label,
                "district": factory.district,
            }
        markers.append(
            Marker(
                key=str(factory.merchant_id or f"peer-{number}"),
                x=x,
                y=y,
                r=viewbox.width / 90,
                tier="",
                label=label,
                title=label,
                url=factory_url(factory),
                highlighted=factory.is_own,
                css="atlas-marker--own" if factory.is_own else "atlas-marker--factory",
            )
        )
    cx, cy = project(float(city.longitude), float(city.latitude))
    return {
        "viewbox": viewbox,
        "provinces": provinces(),
        "markers": markers,
        "city": {
            "x": cx,
            "y": cy,
            "r": viewbox.width / 140,
            "name": str(city),
            "font_size": viewbox.width / 32,
            "label_y": cy - viewbox.width / 50,
        },
        "label": _("Map of the belt's source factories"),
        "id": "factory-map",
    }


def belt_page_context(
    figures: BeltFigures,
    *,
    factory_url: Callable[[FactoryPoint], str | None] = lambda factory: None,
) -> dict[str, Any]:
    """A belt's page: its figures (``config.atlas.figures``) with the words, the chart data and
    the zoomed factory map the templates draw."""
    belt = figures.belt
    latest = figures.latest
    logistics = figures.logistics
    return {
        "figures": figures,
        "belt": belt,
        "belt_name": str(belt),
        "belt_where": _("%(city)s, %(province)s · %(category)s")
        % {
            "city": belt.city,
            "province": localized_name(belt.city.province, belt.city.province_zh),
            "category": belt.category,
        },
        "stage_meanings": [
            {"label": BrandStage(stage).label, "meaning": meaning}
            for stage, meaning in STAGE_MEANINGS.items()
        ],
        "damage_rate": format_ratio(logistics.damage_rate) if logistics else None,
        "latest": latest,
        "latest_gmv": format_cny(latest.gmv) if latest else "—",
        "latest_growth": format_ratio(latest.yoy_growth) if latest else None,
        "latest_tier": tier_label(latest.tier) if latest else tier_label(BeltTier.STANDARD),
        "tier": latest.tier if latest else BeltTier.STANDARD,
        "chart": belt_chart_data(figures.years),
        "year_rows": _year_rows(figures.years),
        "factory_map": factory_map(figures, factory_url=factory_url),
        "factory_count": figures.factory_count,
    }
