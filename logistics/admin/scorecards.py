"""The providers' scorecards in the console: for a period (the last 90 days by default), each
provider's figures per kind of leg, ranked by attributed damage (``logistics.scorecards``' own
order), a bar chart of the damage rates, and chains run by one provider end to end against
mixed ones. The figures are ``logistics.scorecards``'; this page only lays them out."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from core.money import format_cny_exact as format_cny

from .. import scorecards
from ..scorecards import ComparisonRow, ScorecardRow
from .forms import PeriodForm

SCORECARDS_TEMPLATE = "admin/logistics/scorecards.html"


def _count(value: int) -> str:
    return number_format(value, force_grouping=True)


def _rate(value: Decimal | None) -> str:
    """A share as a percentage: 0.8125 → "81.3%"; no figure → "—"."""
    return "—" if value is None else f"{number_format(value * 100, 1)}%"


def _decimal(value: Decimal | None) -> str:
    return "—" if value is None else number_format(value, 1, force_grouping=True)


@dataclass(frozen=True)
class Column:
    label: Any
    value: Callable[[Any], str]
    numeric: bool = True


SCORECARD_COLUMNS = (
    Column(_("provider"), lambda row: row.provider, numeric=False),
    Column(_("provider kind"), lambda row: row.provider_kind_label, numeric=False),
    Column(_("leg"), lambda row: row.kind_label, numeric=False),
    Column(_("legs"), lambda row: _count(row.legs)),
    Column(_("on time"), lambda row: _rate(row.on_time_rate)),
    Column(_("attributed damage"), lambda row: _count(row.incidents_attributed)),
    Column(_("damage per 1,000 legs"), lambda row: _decimal(row.damage_rate_per_1000)),
    Column(_("incidents involved"), lambda row: _count(row.incidents_involved)),
    Column(_("unattributed"), lambda row: _rate(row.unattributed_share)),
    Column(_("hours to resolution"), lambda row: _decimal(row.mean_hours_to_resolution)),
    Column(_("cost borne"), lambda row: format_cny(row.cost_borne)),
)
COMPARISON_COLUMNS = (
    Column(_("chain"), lambda row: row.label, numeric=False),
    Column(_("shipments"), lambda row: _count(row.shipments)),
    Column(_("self-operated"), lambda row: _count(row.self_operated)),
    Column(_("legs"), lambda row: _count(row.legs)),
    Column(_("on time"), lambda row: _rate(row.on_time_rate)),
    Column(_("incidents"), lambda row: _count(row.incidents)),
    Column(_("damage per 1,000 shipments"), lambda row: _decimal(row.damage_rate_per_1000)),
    Column(_("unattributed"), lambda row: _rate(row.unattributed_share)),
    Column(_("hours to resolution"), lambda row: _decimal(row.mean_hours_to_resolution)),
)


@dataclass(frozen=True)
class Table:
    headers: list[tuple[str, bool]]  # (label, numeric)
    rows: list[list[tuple[str, bool]]]  # (cell, numeric)


def table(rows: list[Any], columns: tuple[Column, ...]) -> Table:
    return Table(
        headers=[(str(capfirst(column.label)), column.numeric) for column in columns],
        rows=[[(column.value(row), column.numeric) for column in columns] for row in rows],
    )


def chart_data(rows: list[ScorecardRow]) -> dict:
    """What static/js/scorecards.js draws: one bar per provider and kind of leg, its damage
    rate (attributed damage per 1,000 legs), in the table's order."""
    return {
        "labels": [f"{row.provider} · {row.kind_label}" for row in rows],
        "series": [
            {
                "label": str(capfirst(_("damage per 1,000 legs"))),
                "values": [float(row.damage_rate_per_1000 or 0) for row in rows],
            }
        ]
        if rows
        else [],
    }


def scorecards_view(model_admin, request) -> TemplateResponse:
    """GET only: the period form and, for a valid period, the scorecards and the comparison."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    data = request.GET if request.GET else PeriodForm.default_data()
    form = PeriodForm(data)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": capfirst(_("provider scorecards")),
        "opts": model_admin.opts,
        "form": form,
    }
    if form.is_valid():
        start, end = form.bounds()
        rows: list[ScorecardRow] = scorecards.provider_scorecards(
            user=request.user, start=start, end=end
        )
        comparison: list[ComparisonRow] = scorecards.chain_comparison(
            user=request.user, start=start, end=end
        )
        context.update(
            period=(form.cleaned_data["start"], form.cleaned_data["end"]),
            scorecards=table(rows, SCORECARD_COLUMNS),
            chart=chart_data(rows),
            comparison=table(comparison, COMPARISON_COLUMNS),
        )
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, SCORECARDS_TEMPLATE, context)
