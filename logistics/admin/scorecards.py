"""The providers' scorecards in the console: for a period (the last 90 days by default), each
provider's figures per kind of leg, ranked by attributed damage, a bar chart of them, and chains
run by one operator end to end against mixed ones. The figures are
``logistics.scorecards``'; this page only lays them out."""

import dataclasses
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.language import localized_name

from ..choices import LegKind
from ..models import ServiceProvider
from .forms import PeriodForm

SCORECARDS_TEMPLATE = "admin/logistics/scorecards.html"

# The words for the figures the scorecards give; a figure not named here shows its own name.
LABELS = {
    "provider": _("provider"),
    "provider_name": _("provider"),
    "kind": _("leg"),
    "leg_kind": _("leg"),
    "chain": _("chain"),
    "legs": _("legs"),
    "shipments": _("shipments"),
    "completed": _("completed"),
    "on_time": _("on time"),
    "on_time_rate": _("on time"),
    "late": _("late"),
    "breaches": _("SLA breaches"),
    "breach_rate": _("SLA breach rate"),
    "incidents": _("incidents"),
    "damage": _("attributed damage"),
    "damages": _("attributed damage"),
    "attributed_damage": _("attributed damage"),
    "damage_attributed": _("attributed damage"),
    "damage_rate": _("damage rate"),
    "attributed_damage_rate": _("damage rate"),
    "cost": _("cost borne (CNY)"),
    "cost_borne": _("cost borne (CNY)"),
}
# The figure the chart draws and the ranking follows: the first of these a row has.
DAMAGE_KEYS = ("attributed_damage", "damage_attributed", "damages", "damage", "incidents")
HIDDEN = {"provider_id", "id"}


def _fields(row: Any) -> list[str]:
    if dataclasses.is_dataclass(row):
        return [item.name for item in dataclasses.fields(row)]
    if isinstance(row, dict):
        return list(row)
    if hasattr(row, "_fields"):  # a named tuple
        return list(row._fields)
    return [name for name in vars(row) if not name.startswith("_")]


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, ServiceProvider):
        return localized_name(value.name, value.name_zh)
    if isinstance(value, str) and value in LegKind.values:
        return str(LegKind(value).label)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, float | Decimal) and name.endswith(("rate", "share")):
        return f"{number_format(Decimal(str(value)) * 100, 1)}%"
    if isinstance(value, int | float | Decimal):
        return number_format(value, force_grouping=True)
    return str(value)


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


@dataclasses.dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


def table(rows: list[Any]) -> Table:
    """The rows as a table of words, its columns the figures the rows give, in their order."""
    if not rows:
        return Table(headers=[], rows=[])
    names = [name for name in _fields(rows[0]) if name not in HIDDEN]
    return Table(
        headers=[str(capfirst(LABELS.get(name, name.replace("_", " ")))) for name in names],
        rows=[[_shown(name, _get(row, name)) for name in names] for row in rows],
    )


def damage_key(rows: list[Any]) -> str | None:
    names = _fields(rows[0]) if rows else []
    return next((key for key in DAMAGE_KEYS if key in names), None)


def ranked(rows: list[Any]) -> list[Any]:
    """Most attributed damage first (a stable sort: ties keep the scorecards' own order)."""
    key = damage_key(rows)
    if key is None:
        return list(rows)
    return sorted(rows, key=lambda row: -_number(_get(row, key)))


def _row_label(row: Any) -> str:
    provider = _get(row, "provider")
    if provider is None:
        provider = _get(row, "provider_name")
    kind = _get(row, "kind") or _get(row, "leg_kind")
    parts = [_shown("provider", provider)]
    if kind:
        parts.append(_shown("kind", kind))
    return " · ".join(parts)


def chart_data(rows: list[Any]) -> dict:
    """What static/js/scorecards.js draws: one bar per provider and kind of leg."""
    key = damage_key(rows)
    return {
        "labels": [_row_label(row) for row in rows],
        "series": [
            {
                "label": str(capfirst(LABELS[key])),
                "values": [_number(_get(row, key)) for row in rows],
            }
        ]
        if key
        else [],
    }


def _as_dict(value: Any) -> dict:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else dict(value)


def comparison_rows(comparison: Any) -> list[Any]:
    """The chain comparison as rows: a list as it is, a mapping's values, or one object."""
    if comparison is None:
        return []
    if isinstance(comparison, list | tuple):
        return list(comparison)
    if isinstance(comparison, dict) and all(
        dataclasses.is_dataclass(value) or isinstance(value, dict) for value in comparison.values()
    ):
        return [
            {
                "chain": name,
                **(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value),
            }
            for name, value in comparison.items()
        ]
    return [comparison]


def scorecards_view(model_admin, request) -> TemplateResponse:
    """GET only: the period form and, for a valid period, the scorecards and the comparison."""
    from .. import scorecards  # noqa: PLC0415 (see the report: written alongside this page)

    if not model_admin.has_view_permission(request):
        raise PermissionDenied

    form = PeriodForm(request.GET if request.GET else None, initial=PeriodForm.default_initial())
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": capfirst(_("provider scorecards")),
        "opts": model_admin.opts,
        "form": form,
    }
    if not form.is_bound:
        form = PeriodForm(
            {key: value.isoformat() for key, value in PeriodForm.default_initial().items()}
        )
        context["form"] = form
    if form.is_valid():
        start, end = form.bounds()
        rows = ranked(list(scorecards.provider_scorecards(user=request.user, start=start, end=end)))
        comparison = scorecards.chain_comparison(user=request.user, start=start, end=end)
        context.update(
            period=(form.cleaned_data["start"], form.cleaned_data["end"]),
            scorecards=table(rows),
            chart=chart_data(rows),
            comparison=table(comparison_rows(comparison)),
        )
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, SCORECARDS_TEMPLATE, context)
