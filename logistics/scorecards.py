"""Provider scorecards and the single-operator vs mixed-chain comparison: reads, one SQL
statement each, over the shipments the reader may see (``logistics.scoping``).

**Scorecard** — one row per provider and kind of leg, over the legs whose SLA fell due in the
period ``[start, end)``:

- ``legs``: those legs; ``due``: of them, the completed ones and the open ones past due now;
  ``on_time``: completed at or before their SLA; ``on_time_rate`` = on_time / due.
- ``incidents_attributed``: incidents of damage, missing part or installation defect attributed to
  one of these legs (delays are the on-time rate's business); ``damage_rate_per_1000`` =
  incidents_attributed per 1,000 legs.
- ``incidents_involved``: the non-delay incidents of the shipments on which this provider ran a
  leg of this kind, attributed or not; ``unattributed``: of those, the ones no leg could be named
  for; ``unattributed_share`` = unattributed / incidents_involved. A provider on chains where
  checks go missing is often "involved" and rarely named.
- ``mean_hours_to_resolution``: mean time from report to resolution of the incidents attributed to
  these legs and resolved.
- ``cost_borne``: what the provider bore (cost bearer "provider", named at resolution) for the
  incidents attributed to these legs.

Rows are ranked by attributed damage: the highest damage rate first, then the provider's name.

**Comparison** — the shipments created in the period, as two rows: ``single`` (every leg run by
one provider, end to end) and ``mixed``: shipments, legs, on-time rate of their legs, non-delay
incidents, damage rate (those incidents per 1,000 shipments), unattributed share and mean hours
to resolution. ``self_operated`` counts the single chains run by a self-operated network.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from belts.scoping import Viewer
from core.language import localized_name

from .choices import IncidentKind, IncidentStatus, LegKind, ProviderKind
from .models import Leg, Shipment
from .scoping import scoped_shipments

DAMAGE_KINDS = (IncidentKind.DAMAGE, IncidentKind.MISSING_PART, IncidentKind.INSTALLATION_DEFECT)
DEFAULT_DAYS = 90
CENT = Decimal("0.01")


def default_period(
    now: datetime.datetime | None = None,
) -> tuple[datetime.datetime, datetime.datetime]:
    """The last 90 days up to ``now``."""
    now = now or timezone.now()
    return now - datetime.timedelta(days=DEFAULT_DAYS), now


def _ratio(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _per_thousand(part: int, whole: int) -> Decimal | None:
    return None if not whole else (Decimal(part) * 1000 / Decimal(whole)).quantize(Decimal("0.1"))


def _hours(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _hours_sql() -> str:
    """Hours from report to resolution of incident ``i``, in this database's dialect."""
    if connection.vendor == "postgresql":
        return "EXTRACT(EPOCH FROM (i.resolved_at - i.reported_at)) / 3600.0"
    return "(julianday(i.resolved_at) - julianday(i.reported_at)) * 24.0"


def _in(values: tuple[str, ...]) -> str:
    """A SQL list of the module's own constants (choice values: letters and underscores)."""
    assert all(value.replace("_", "").isalpha() for value in values)
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


@dataclass(frozen=True)
class ScorecardRow:
    provider_id: int
    provider: str
    provider_kind: str
    kind: str
    legs: int
    due: int
    on_time: int
    on_time_rate: Decimal | None
    incidents_attributed: int
    damage_rate_per_1000: Decimal | None
    incidents_involved: int
    unattributed: int
    unattributed_share: Decimal | None
    mean_hours_to_resolution: Decimal | None
    cost_borne: Decimal
    provider_name: str = ""
    provider_name_zh: str = ""

    @property
    def kind_label(self) -> str:
        return str(LegKind(self.kind).label) if self.kind in LegKind.values else self.kind

    @property
    def provider_kind_label(self) -> str:
        return str(ProviderKind(self.provider_kind).label)


def provider_scorecards(
    *,
    user: Viewer,
    start: datetime.datetime,
    end: datetime.datetime,
    provider_id: int | None = None,
    kind: str | None = None,
    now: datetime.datetime | None = None,
) -> list[ScorecardRow]:
    """The scorecard rows (see the module's docstring) for the legs due in ``[start, end)`` of
    the shipments ``user`` may see, optionally of one provider and one kind of leg. One query."""
    now = now or timezone.now()
    legs = scoped_shipments(
        Leg.objects.filter(sla_due_at__gte=start, sla_due_at__lt=end), user, "shipment"
    )
    if provider_id is not None:
        legs = legs.filter(provider_id=provider_id)
    if kind is not None:
        legs = legs.filter(kind=kind)
    legs_sql, legs_params = (
        legs.order_by()
        .values("id", "shipment_id", "provider_id", "kind", "sla_due_at", "completed_at")
        .query.sql_with_params()
    )
    now_param = connection.ops.adapt_datetimefield_value(now)
    # Only the scoped queryset's own SQL and the module's constants are interpolated; every
    # value is bound.
    sql = f"""
        WITH legs AS ({legs_sql}),
        figures AS (
            SELECT provider_id, kind, COUNT(*) AS legs,
                SUM(CASE WHEN completed_at IS NOT NULL OR sla_due_at < %s THEN 1 ELSE 0 END)
                    AS due,
                SUM(CASE WHEN completed_at IS NOT NULL AND completed_at <= sla_due_at
                    THEN 1 ELSE 0 END) AS on_time
            FROM legs GROUP BY provider_id, kind
        ),
        attributed AS (
            SELECT l.provider_id, l.kind,
                SUM(CASE WHEN i.kind IN {_in(DAMAGE_KINDS)} THEN 1 ELSE 0 END) AS incidents,
                AVG(CASE WHEN i.status = '{IncidentStatus.RESOLVED.value}'
                    THEN {_hours_sql()} END) AS hours,
                SUM(CASE WHEN i.cost_bearer = 'provider' AND i.bearer_provider_id = l.provider_id
                    THEN i.resolution_cost ELSE 0 END) AS cost
            FROM legs l JOIN logistics_incident i ON i.responsible_leg_id = l.id
            GROUP BY l.provider_id, l.kind
        ),
        involved AS (
            SELECT x.provider_id, x.kind, COUNT(*) AS incidents,
                SUM(CASE WHEN i.attribution_status = 'unattributed' THEN 1 ELSE 0 END)
                    AS unattributed
            FROM (SELECT DISTINCT provider_id, kind, shipment_id FROM legs) x
            JOIN logistics_incident i ON i.shipment_id = x.shipment_id
            WHERE i.kind <> '{IncidentKind.DELAY.value}'
            GROUP BY x.provider_id, x.kind
        )
        SELECT f.provider_id, p.name, p.name_zh, p.kind, f.kind, f.legs, f.due, f.on_time,
            COALESCE(a.incidents, 0), a.hours, COALESCE(a.cost, 0),
            COALESCE(v.incidents, 0), COALESCE(v.unattributed, 0)
        FROM figures f
        JOIN logistics_serviceprovider p ON p.id = f.provider_id
        LEFT JOIN attributed a ON a.provider_id = f.provider_id AND a.kind = f.kind
        LEFT JOIN involved v ON v.provider_id = f.provider_id AND v.kind = f.kind
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*legs_params, now_param])
        fetched = cursor.fetchall()
    rows = []
    for (
        pid,
        name,
        name_zh,
        provider_kind,
        leg_kind,
        count,
        due,
        on_time,
        attributed,
        hours,
        cost,
        involved,
        unattributed,
    ) in fetched:
        count, due, on_time = int(count), int(due or 0), int(on_time or 0)
        attributed, involved, unattributed = int(attributed), int(involved), int(unattributed)
        rows.append(
            ScorecardRow(
                provider_id=pid,
                provider=localized_name(name, name_zh),
                provider_kind=provider_kind,
                kind=leg_kind,
                legs=count,
                due=due,
                on_time=on_time,
                on_time_rate=_ratio(on_time, due),
                incidents_attributed=attributed,
                damage_rate_per_1000=_per_thousand(attributed, count),
                incidents_involved=involved,
                unattributed=unattributed,
                unattributed_share=_ratio(unattributed, involved),
                mean_hours_to_resolution=_hours(hours),
                cost_borne=_money(cost),
                provider_name=name,
                provider_name_zh=name_zh,
            )
        )
    rows.sort(key=lambda row: (-(row.damage_rate_per_1000 or 0), row.provider_name, row.kind))
    return rows


@dataclass(frozen=True)
class ComparisonRow:
    chain: str  # "single" or "mixed"
    shipments: int
    self_operated: int
    legs: int
    due: int
    on_time: int
    on_time_rate: Decimal | None
    incidents: int
    damage_rate_per_1000: Decimal | None
    unattributed: int
    unattributed_share: Decimal | None
    mean_hours_to_resolution: Decimal | None

    @property
    def label(self) -> str:
        if self.chain == "single":
            return str(_("One provider end to end"))
        return str(_("Mixed providers"))


def chain_comparison(
    *,
    user: Viewer,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> list[ComparisonRow]:
    """The shipments created in ``[start, end)`` that ``user`` may see, carried by one provider
    end to end vs by mixed providers (see the module's docstring): two rows, single first, a
    row with no shipment left out. One query."""
    now = now or timezone.now()
    shipments = scoped_shipments(
        Shipment.objects.filter(created_at__gte=start, created_at__lt=end), user
    )
    ships_sql, ships_params = shipments.order_by().values("id").query.sql_with_params()
    now_param = connection.ops.adapt_datetimefield_value(now)
    sql = f"""
        WITH ships AS ({ships_sql}),
        chains AS (
            SELECT l.shipment_id,
                CASE WHEN COUNT(DISTINCT l.provider_id) = 1 THEN 'single' ELSE 'mixed' END
                    AS chain,
                MIN(p.kind) AS provider_kind,
                COUNT(DISTINCT p.kind) AS provider_kinds,
                COUNT(*) AS legs,
                SUM(CASE WHEN l.completed_at IS NOT NULL OR l.sla_due_at < %s THEN 1 ELSE 0 END)
                    AS due,
                SUM(CASE WHEN l.completed_at IS NOT NULL AND l.completed_at <= l.sla_due_at
                    THEN 1 ELSE 0 END) AS on_time
            FROM logistics_leg l
            JOIN ships s ON s.id = l.shipment_id
            JOIN logistics_serviceprovider p ON p.id = l.provider_id
            GROUP BY l.shipment_id
        ),
        incidents AS (
            SELECT i.shipment_id, COUNT(*) AS incidents,
                SUM(CASE WHEN i.attribution_status = 'unattributed' THEN 1 ELSE 0 END)
                    AS unattributed,
                SUM(CASE WHEN i.status = '{IncidentStatus.RESOLVED.value}'
                    THEN {_hours_sql()} ELSE 0 END) AS hours,
                SUM(CASE WHEN i.status = '{IncidentStatus.RESOLVED.value}' THEN 1 ELSE 0 END)
                    AS resolved
            FROM logistics_incident i
            JOIN ships s ON s.id = i.shipment_id
            WHERE i.kind <> '{IncidentKind.DELAY.value}'
            GROUP BY i.shipment_id
        )
        SELECT c.chain, COUNT(*),
            SUM(CASE WHEN c.chain = 'single' AND c.provider_kind = 'self_operated'
                THEN 1 ELSE 0 END),
            SUM(c.legs), SUM(c.due), SUM(c.on_time),
            SUM(COALESCE(i.incidents, 0)), SUM(COALESCE(i.unattributed, 0)),
            SUM(COALESCE(i.hours, 0)), SUM(COALESCE(i.resolved, 0))
        FROM chains c LEFT JOIN incidents i ON i.shipment_id = c.shipment_id
        GROUP BY c.chain
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ships_params, now_param])
        fetched = {row[0]: row for row in cursor.fetchall()}
    rows = []
    for chain in ("single", "mixed"):
        if chain not in fetched:
            continue
        _chain, count, own, legs, due, on_time, incidents, unattributed, hours, resolved = [
            fetched[chain][0],
            *(value or 0 for value in fetched[chain][1:]),
        ]
        count, legs, due, on_time = int(count), int(legs), int(due), int(on_time)
        incidents, unattributed, resolved = int(incidents), int(unattributed), int(resolved)
        rows.append(
            ComparisonRow(
                chain=chain,
                shipments=count,
                self_operated=int(own),
                legs=legs,
                due=due,
                on_time=on_time,
                on_time_rate=_ratio(on_time, due),
                incidents=incidents,
                damage_rate_per_1000=_per_thousand(incidents, count),
                unattributed=unattributed,
                unattributed_share=_ratio(unattributed, incidents),
                mean_hours_to_resolution=_hours(Decimal(str(hours)) / resolved)
                if resolved
                else None,
            )
        )
    return rows
