"""How a shipment reads on a page, the same in the console, the portal and the API: its chain
as a timeline (hand-over, leg, hand-over, ...), where it is now, and its incidents with the
attribution worded in the active language. Works on a shipment loaded by
``selectors.shipment_get`` (or ``shipment_detail_prefetch``): no query of its own."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from core.language import localized_name

from .attribution import attribution_text
from .choices import (
    AttributionStatus,
    Condition,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    LegKind,
    Resolution,
)
from .models import ConditionCheck, ConditionCheckPhoto, Incident, Leg, Shipment

GOOD = {Condition.INTACT}
BAD = {Condition.DAMAGED, Condition.MISSING_PARTS}


def provider_label(leg: Leg) -> str:
    return localized_name(leg.provider.name, leg.provider.name_zh)


def leg_label(leg: Leg) -> str:
    return _("%(leg)s by %(provider)s") % {
        "leg": LegKind(leg.kind).label,
        "provider": provider_label(leg),
    }


def handover_title(index: int, legs: list[Leg]) -> str:
    """Hand-over ``index`` in words: "Pickup from the merchant", "Line haul → Last-mile
    delivery", "Last-mile delivery → buyer"."""
    if index == 0:
        return _("Pickup from the merchant")
    giver = LegKind(legs[index - 1].kind).label
    if index >= len(legs):
        return _("%(giver)s → buyer") % {"giver": giver}
    return _("%(giver)s → %(receiver)s") % {
        "giver": giver,
        "receiver": LegKind(legs[index].kind).label,
    }


@dataclass
class HandoverStep:
    index: int
    title: str
    check: ConditionCheck | None
    condition: str | None
    condition_label: str
    tone: str  # "good", "bad", "unknown", "pending": how a page colours it
    photos: list[ConditionCheckPhoto] = field(default_factory=list)

    @property
    def recorded(self) -> bool:
        return self.check is not None


@dataclass
class LegStep:
    leg: Leg
    label: str
    provider: str
    kind_label: str
    state: str  # "waiting", "running", "done"
    overdue: bool
    late: bool
    breached: bool


@dataclass
class IncidentView:
    incident: Incident
    kind_label: str
    status_label: str
    attribution_status_label: str
    attributed: bool
    reasoning: str
    responsible: str | None
    resolution_label: str | None
    bearer_label: str | None


@dataclass
class Timeline:
    shipment: Shipment
    steps: list[HandoverStep | LegStep]
    position: str
    incidents: list[IncidentView]

    @property
    def legs(self) -> list[LegStep]:
        return [step for step in self.steps if isinstance(step, LegStep)]

    @property
    def handovers(self) -> list[HandoverStep]:
        return [step for step in self.steps if isinstance(step, HandoverStep)]


def _tone(condition: str | None) -> str:
    if condition is None:
        return "pending"
    if condition in GOOD:
        return "good"
    if condition in BAD:
        return "bad"
    return "unknown"


def incident_view(incident: Incident) -> IncidentView:
    stored = incident.attribution or {}
    leg = incident.responsible_leg
    return IncidentView(
        incident=incident,
        kind_label=str(IncidentKind(incident.kind).label),
        status_label=str(IncidentStatus(incident.status).label),
        attribution_status_label=str(AttributionStatus(incident.attribution_status).label),
        attributed=incident.attribution_status == AttributionStatus.ATTRIBUTED,
        reasoning=attribution_text(stored) if stored else "",
        responsible=leg_label(leg) if leg is not None else None,
        resolution_label=str(Resolution(incident.resolution).label)
        if incident.resolution
        else None,
        bearer_label=str(CostBearer(incident.cost_bearer).label) if incident.cost_bearer else None,
    )


def shipment_position(shipment: Shipment) -> str:
    """``position_text`` of a shipment whose legs and checks are prefetched
    (``selectors.shipment_positions_prefetch``): what a list row says of it."""
    legs = list(shipment.legs.all())
    checks = {check.index: check for check in shipment.checks.all()}
    return position_text(shipment, legs, checks)


def position_text(shipment: Shipment, legs: list[Leg], checks: dict[int, ConditionCheck]) -> str:
    """Where the goods are: "Waiting for pickup", "Leg 2 of 4: line haul by …", "Delivered to
    the buyer"."""
    if not legs:
        return _("No legs planned")
    recorded = [index for index in range(len(legs) + 1) if index in checks]
    if not recorded:
        return _("Waiting for pickup by %(provider)s") % {"provider": provider_label(legs[0])}
    last = max(recorded)
    if last >= len(legs):
        if legs[-1].kind == LegKind.INSTALLATION:
            return _("Installed")
        return _("Delivered to the buyer")
    return _("Leg %(number)d of %(count)d: %(leg)s") % {
        "number": last + 1,
        "count": len(legs),
        "leg": leg_label(legs[last]),
    }


def shipment_timeline(shipment: Shipment, *, now: datetime.datetime | None = None) -> Timeline:
    """The shipment's chain in order: hand-over 0, leg 1, hand-over 1, ..., hand-over n."""
    now = now or timezone.now()
    legs = list(shipment.legs.all())
    checks = {check.index: check for check in shipment.checks.all()}
    steps: list[HandoverStep | LegStep] = []
    for index in range(len(legs) + 1):
        check = checks.get(index)
        condition = check.condition if check is not None else None
        steps.append(
            HandoverStep(
                index=index,
                title=handover_title(index, legs),
                check=check,
                condition=condition,
                condition_label=str(Condition(condition).label)
                if condition
                else _("Not recorded yet"),
                tone=_tone(condition),
                photos=list(check.photos.all()) if check is not None else [],
            )
        )
        if index < len(legs):
            leg = legs[index]
            state = "done" if leg.completed_at else "running" if leg.started_at else "waiting"
            finished = leg.completed_at
            steps.append(
                LegStep(
                    leg=leg,
                    label=leg_label(leg),
                    provider=provider_label(leg),
                    kind_label=str(LegKind(leg.kind).label),
                    state=state,
                    overdue=finished is None and leg.sla_due_at < now,
                    late=finished is not None and finished > leg.sla_due_at,
                    breached=_has_breach(leg),
                )
            )
    return Timeline(
        shipment=shipment,
        steps=steps,
        position=position_text(shipment, legs, checks),
        incidents=[incident_view(incident) for incident in shipment.incidents.all()],
    )


def _has_breach(leg: Leg) -> bool:
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    return hasattr(leg, "sla_breach")


def timeline_json(timeline: Timeline) -> list[dict[str, Any]]:
    """The timeline as plain data (for the API and exports)."""
    out: list[dict[str, Any]] = []
    for step in timeline.steps:
        if isinstance(step, HandoverStep):
            out.append(
                {
                    "type": "handover",
                    "index": step.index,
                    "title": step.title,
                    "condition": step.condition,
                    "checked_at": step.check.checked_at if step.check else None,
                }
            )
        else:
            out.append(
                {
                    "type": "leg",
                    "sequence": step.leg.sequence,
                    "kind": step.leg.kind,
                    "provider": step.provider,
                    "state": step.state,
                    "overdue": step.overdue,
                    "late": step.late,
                }
            )
    return out
