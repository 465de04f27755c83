"""What logistics tells people, through the outbox: an incident reported, attributed (or its
attribution changed) and resolved, and an SLA breached. Each goes to the merchant (in-app, e-mail
to the members who want it, and the webhooks subscribed to the kind) and to the staff of the
centers serving the merchant's belt. The dedupe keys make a repeated call write nothing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from belts.models import OperationCenterMembership
from core.language import localized_name
from core.money import format_cny_exact
from merchants.choices import NotificationKind
from merchants.services.notifications import (
    NotificationDraft,
    bilingual,
    drafts_for_merchant,
    drafts_for_users,
    merchant_audience,
    notifications_create,
    user_contacts,
)

from .attribution import attribution_text
from .choices import BreachKind, CostBearer, IncidentKind, LegKind, Resolution
from .models import Incident, Leg, SlaBreach

INCIDENT_REPORTED = "incident_reported"
INCIDENT_ATTRIBUTED = "incident_attributed"
INCIDENT_RESOLVED = "incident_resolved"
SLA_BREACHED = "sla_breached"


def _staff(belt_id: int) -> list[int]:
    return sorted(
        set(
            OperationCenterMembership.objects.filter(
                center__belts=belt_id, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    )


def _send(
    *, merchant_id: int, belt_id: int, kind: str, key: str, render, payload: dict[str, Any]
) -> int:
    texts = bilingual(render)
    emails = merchant_audience([merchant_id], kind).get(merchant_id, [])
    drafts = drafts_for_merchant(
        merchant_id=merchant_id, kind=kind, key=key, texts=texts, emails=emails, payload=payload
    )
    staff = _staff(belt_id)
    if staff:
        drafts += drafts_for_users(
            user_ids=staff, kind=kind, key=f"{key}:staff", texts=texts, payload=payload
        )
    return notifications_create(drafts)


def incident_payload(incident: Incident, event: str) -> dict[str, Any]:
    shipment = incident.shipment
    return {
        "event": event,
        "incident": incident.pk,
        "shipment": shipment.pk,
        "order_reference": shipment.order_reference,
        "kind": incident.kind,
        "status": incident.status,
        "attribution": incident.attribution,
        "responsible_leg": incident.attribution.get("leg") if incident.attribution else None,
        "resolution": incident.resolution or None,
        "resolution_cost": None
        if incident.resolution_cost is None
        else str(incident.resolution_cost),
        "cost_bearer": incident.cost_bearer or None,
    }


def incident_notify(incident: Incident, event: str, *, version: int | str = 0) -> int:
    """Tell the merchant and the serving staff about ``event`` on ``incident``. ``version``
    tells apart two attributions of one incident (a corrected check gives a new one)."""
    shipment = incident.shipment
    kind_label = IncidentKind(incident.kind).label

    def render() -> tuple[str, str]:
        names = {"kind": kind_label, "order": shipment.order_reference}
        if event == INCIDENT_REPORTED:
            subject = _("%(kind)s reported on shipment %(order)s") % names
        elif event == INCIDENT_ATTRIBUTED:
            subject = _("%(kind)s on shipment %(order)s: attribution") % names
        else:
            subject = _("%(kind)s on shipment %(order)s resolved") % names
        lines = [attribution_text(incident.attribution)] if incident.attribution else []
        if event == INCIDENT_RESOLVED and incident.resolution:
            lines.append(
                _("Resolution: %(resolution)s, %(cost)s borne by %(bearer)s.")
                % {
                    "resolution": Resolution(incident.resolution).label,
                    "cost": format_cny_exact(incident.resolution_cost or Decimal(0)),
                    "bearer": CostBearer(incident.cost_bearer).label,
                }
            )
        return subject, "\n".join(str(line) for line in lines)

    return _send(
        merchant_id=shipment.merchant_id,
        belt_id=shipment.merchant.belt_id,
        kind=NotificationKind.SHIPMENT_INCIDENT,
        key=f"incident:{incident.pk}:{event}:{version}",
        render=render,
        payload=incident_payload(incident, event),
    )


def sla_breach_notify(breach: SlaBreach, leg: Leg) -> int:
    """Tell the merchant and the serving staff that ``leg`` overran its SLA (once per leg)."""
    return notifications_create(sla_breach_drafts([(breach, leg)]))


def sla_breach_drafts(breaches: Sequence[tuple[SlaBreach, Leg]]) -> list[NotificationDraft]:
    """The messages of many breaches (legs loaded with ``shipment__merchant`` and ``provider``),
    to each merchant and the staff serving its belt, in five queries whatever their number."""
    if not breaches:
        return []
    kind = NotificationKind.SLA_BREACH
    merchant_ids = {leg.shipment.merchant_id for _breach, leg in breaches}
    audience = merchant_audience(merchant_ids, kind)
    belt_ids = {leg.shipment.merchant.belt_id for _breach, leg in breaches}
    staff: dict[int, set[int]] = {}
    for belt_id, user_id in OperationCenterMembership.objects.filter(
        center__belts__in=belt_ids, user__is_active=True
    ).values_list("center__belts", "user_id"):
        staff.setdefault(belt_id, set()).add(user_id)
    contacts = user_contacts(set().union(*staff.values()) if staff else set(), kind)
    drafts: list[NotificationDraft] = []
    for breach, leg in breaches:
        texts, payload = _breach_message(breach, leg)
        key = f"sla_breach:leg:{leg.pk}"
        merchant_id = leg.shipment.merchant_id
        drafts += drafts_for_merchant(
            merchant_id=merchant_id,
            kind=kind,
            key=key,
            texts=texts,
            emails=audience.get(merchant_id, []),
            payload=payload,
        )
        users = staff.get(leg.shipment.merchant.belt_id)
        if users:
            drafts += drafts_for_users(
                user_ids=users,
                kind=kind,
                key=f"{key}:staff",
                texts=texts,
                payload=payload,
                contacts=contacts,
            )
    return drafts


def _breach_message(
    breach: SlaBreach, leg: Leg
) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    shipment = leg.shipment

    def render() -> tuple[str, str]:
        names = {
            "order": shipment.order_reference,
            "leg": LegKind(leg.kind).label,
            "provider": localized_name(leg.provider.name, leg.provider.name_zh),
        }
        subject = _("SLA breached on shipment %(order)s: %(leg)s") % names
        if breach.kind == BreachKind.COMPLETED_LATE:
            body = _("%(leg)s by %(provider)s was completed after its SLA.") % names
        else:
            body = _("%(leg)s by %(provider)s is past its SLA and not completed.") % names
        return subject, body

    payload = {
        "event": SLA_BREACHED,
        "shipment": shipment.pk,
        "order_reference": shipment.order_reference,
        "leg": leg.sequence,
        "leg_kind": leg.kind,
        "provider": leg.provider_id,
        "breach": breach.kind,
        "due_at": breach.due_at.isoformat(),
    }
    return bilingual(render), payload
