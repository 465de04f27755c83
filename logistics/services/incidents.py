"""Incidents: reported, attributed to the leg that caused them (again whenever the evidence
changes), resolved with what was done, what it cost and who bears it."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from belts.scoping import Viewer

from ..attribution import Attribution, LegFacts, attribute
from ..choices import (
    AttributionStatus,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    Resolution,
)
from ..exceptions import LogisticsError, LogisticsForbidden
from ..models import ConditionCheck, Incident, Leg, Shipment
from ..notices import INCIDENT_ATTRIBUTED, INCIDENT_REPORTED, INCIDENT_RESOLVED, incident_notify
from ..scoping import acting_user, may_report_incident, may_resolve_incident

MAX_TEXT = 4000
MAX_COST = Decimal("1000000000")
# What tells two attributions apart (the overrun of a leg still open grows by the minute).
_DECISIVE = ("status", "rule", "leg", "candidates", "missing_handovers", "also")


def shipment_evidence(shipment: Shipment) -> tuple[list[Leg], list[LegFacts], list[str | None]]:
    """The shipment's legs (in order), as attribution sees them, and the grade recorded at each
    hand-over (None: not recorded). Two queries."""
    legs = list(shipment.legs.select_related("provider").order_by("sequence"))
    facts = [
        LegFacts(
            sequence=position,
            kind=leg.kind,
            provider_id=leg.provider_id,
            provider_name=leg.provider.name,
            provider_name_zh=leg.provider.name_zh,
            sla_due_at=leg.sla_due_at,
            started_at=leg.started_at,
            completed_at=leg.completed_at,
        )
        for position, leg in enumerate(legs, start=1)
    ]
    grades: dict[int, str] = dict(
        ConditionCheck.objects.filter(shipment=shipment).values_list("index", "condition")
    )
    return legs, facts, [grades.get(index) for index in range(len(legs) + 1)]


def _apply(
    incident: Incident, result: Attribution, legs: list[Leg], now: datetime.datetime
) -> bool:
    """Store ``result`` on ``incident``; whether the decision changed."""
    stored = result.as_json()
    before = incident.attribution or {}
    changed = any(before.get(key) != stored.get(key) for key in _DECISIVE)
    incident.attribution = stored
    incident.attribution_status = result.status
    incident.responsible_leg = legs[result.leg - 1] if result.leg else None
    if changed:
        incident.attributed_at = now if result.leg else None
    if incident.status != IncidentStatus.RESOLVED:
        incident.status = IncidentStatus.ATTRIBUTED if result.leg else IncidentStatus.OPEN
    return changed


def _version(stored: dict) -> str:
    decisive = {key: stored.get(key) for key in _DECISIVE}
    return hashlib.md5(json.dumps(decisive, sort_keys=True).encode()).hexdigest()[:12]  # noqa: S324 (a label, not a secret)


@transaction.atomic
def incident_report(
    *,
    actor: Viewer,
    shipment: Shipment,
    kind: str,
    description: str = "",
    reported_at: datetime.datetime | None = None,
) -> Incident:
    """Report an incident and attribute it at once; the merchant and the serving staff are told.

    Guarantees: only someone who may see the shipment reports; the attribution is stored with
    the reasoning; the report and its notifications commit together."""
    if not may_report_incident(actor, shipment):
        raise LogisticsForbidden(_("You may not report incidents on this shipment."))
    if kind not in IncidentKind.values:
        raise LogisticsError(
            _("Choose a kind of incident: %(kinds)s.") % {"kinds": ", ".join(IncidentKind.values)},
            field="kind",
            code="invalid_choice",
        )
    description = (description or "").strip()
    if len(description) > MAX_TEXT:
        raise LogisticsError(
            _("A description has at most %(count)d characters.") % {"count": MAX_TEXT},
            field="description",
        )
    now = timezone.now()
    reported_at = reported_at or now
    if reported_at > now + datetime.timedelta(minutes=5):
        raise LogisticsError(
            _("An incident cannot be reported in the future."), field="reported_at"
        )
    if reported_at < shipment.created_at - datetime.timedelta(days=1):
        raise LogisticsError(
            _("An incident cannot be reported before its shipment was created."),
            field="reported_at",
        )
    incident = Incident(
        shipment=shipment,
        kind=kind,
        description=description,
        reported_at=reported_at,
        reported_by=acting_user(actor),
    )
    legs, facts, handovers = shipment_evidence(shipment)
    _apply(
        incident, attribute(kind=incident.kind, legs=facts, handovers=handovers, now=now), legs, now
    )
    incident.save()
    incident_notify(incident, INCIDENT_REPORTED)
    return incident


def incidents_reattribute(*, shipment: Shipment, now: datetime.datetime | None = None) -> int:
    """Attribute every incident of ``shipment`` again from the current evidence (after a check
    is added or corrected); tell people about each unresolved one whose answer changed. Runs in
    the caller's transaction. The number of incidents whose answer changed."""
    incidents = list(
        Incident.objects.filter(shipment=shipment).select_related("shipment__merchant")
    )
    if not incidents:
        return 0
    now = now or timezone.now()
    legs, facts, handovers = shipment_evidence(shipment)
    changed = 0
    for incident in incidents:
        if _apply(
            incident,
            attribute(kind=incident.kind, legs=facts, handovers=handovers, now=now),
            legs,
            now,
        ):
            changed += 1
            incident.save()
            if incident.status != IncidentStatus.RESOLVED:
                incident_notify(
                    incident, INCIDENT_ATTRIBUTED, version=_version(incident.attribution)
                )
        else:
            incident.save(update_fields=["attribution"])
    return changed


@transaction.atomic
def incident_resolve(
    *,
    actor: Viewer,
    incident: Incident,
    resolution: str,
    cost: Decimal,
    bearer: str,
    note: str = "",
) -> Incident:
    """Resolve ``incident``: what was done, what it cost, who bears it.

    Guarantees: only the staff serving the merchant's belt resolve; an unattributed incident
    needs a written reason (``note``); the provider bears a cost only when a leg of its is
    attributed, and that provider is fixed with the resolution; resolving twice is refused."""
    locked = (
        Incident.objects.select_for_update()
        .select_related("shipment__merchant")
        .get(pk=incident.pk)
    )
    if not may_resolve_incident(actor, locked.shipment):
        raise LogisticsForbidden(_("Only the staff serving this merchant resolve its incidents."))
    if locked.status == IncidentStatus.RESOLVED:
        raise LogisticsError(_("This incident is already resolved."), code="already_resolved")
    if resolution not in Resolution.values:
        raise LogisticsError(
            _("Choose a resolution: %(choices)s.") % {"choices": ", ".join(Resolution.values)},
            field="resolution",
            code="invalid_choice",
        )
    if bearer not in CostBearer.values:
        raise LogisticsError(
            _("Choose who bears the cost: %(choices)s.")
            % {"choices": ", ".join(CostBearer.values)},
            field="bearer",
            code="invalid_choice",
        )
    if cost is None or cost < 0 or cost > MAX_COST:
        raise LogisticsError(
            _("The cost is between ¥0 and ¥1,000,000,000."), field="cost", code="invalid_cost"
        )
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise LogisticsError(
            _("A note has at most %(count)d characters.") % {"count": MAX_TEXT}, field="note"
        )
    attributed = locked.attribution_status == AttributionStatus.ATTRIBUTED
    if not attributed and not note:
        raise LogisticsError(
            _("This incident is not attributed to a leg: write why it is resolved this way."),
            field="note",
            code="reason_required",
        )
    bearer_provider = None
    if bearer == CostBearer.PROVIDER:
        if not attributed or locked.responsible_leg is None:
            raise LogisticsError(
                _("No provider is attributed: the merchant or the platform bears the cost."),
                field="bearer",
                code="no_attributed_provider",
            )
        bearer_provider = locked.responsible_leg.provider
    now = timezone.now()
    locked.resolution = resolution
    locked.resolution_cost = cost
    locked.cost_bearer = bearer
    locked.bearer_provider = bearer_provider
    locked.resolution_note = note
    locked.resolved_by = acting_user(actor)
    locked.resolved_at = now
    locked.status = IncidentStatus.RESOLVED
    locked.save()
    incident_notify(locked, INCIDENT_RESOLVED)
    return locked
