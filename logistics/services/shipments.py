"""A shipment and its legs, created together."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from belts.models import City
from belts.scoping import Viewer
from merchants.models import Merchant

from ..choices import LegKind, ShipmentStatus
from ..exceptions import LogisticsError, LogisticsForbidden
from ..models import Leg, ServiceProvider, Shipment
from ..scoping import may_create_shipment

MAX_LEGS = 8
MAX_VALUE = Decimal("1000000000")  # ¥10亿: far above any bulky item


@dataclass(frozen=True)
class LegSpec:
    kind: str
    provider: ServiceProvider
    sla_due_at: datetime.datetime


def _check_legs(legs: Sequence[LegSpec]) -> None:
    if not legs:
        raise LogisticsError(_("A shipment has at least one leg."), field="legs", code="no_legs")
    if len(legs) > MAX_LEGS:
        raise LogisticsError(
            _("A shipment has at most %(count)d legs.") % {"count": MAX_LEGS},
            field="legs",
            code="too_many_legs",
        )
    details: list[dict[str, Any]] = []
    for index, leg in enumerate(legs):
        if leg.kind not in LegKind.values:
            details.append({"index": index, "field": "kind", "code": "invalid_choice"})
        if not leg.provider.is_active:
            details.append({"index": index, "field": "provider", "code": "provider_inactive"})
        if index and leg.sla_due_at < legs[index - 1].sla_due_at:
            details.append({"index": index, "field": "sla_due_at", "code": "sla_before_previous"})
    kinds = [leg.kind for leg in legs]
    if LegKind.INSTALLATION in kinds[:-1]:
        details.append(
            {
                "index": kinds.index(LegKind.INSTALLATION),
                "field": "kind",
                "code": "installation_not_last",
            }
        )
    if details:
        messages = {
            "invalid_choice": _("not a kind of leg"),
            "provider_inactive": _("the provider is not active"),
            "sla_before_previous": _("due before the previous leg"),
            "installation_not_last": _("installation is the last leg"),
        }
        for detail in details:
            detail["message"] = str(messages[detail["code"]])
        raise LogisticsError(
            _("Leg %(number)d: %(problem)s.")
            % {"number": details[0]["index"] + 1, "problem": details[0]["message"]},
            field="legs",
            code="invalid_legs",
            details=details,
        )


@transaction.atomic
def shipment_create(
    *,
    actor: Viewer,
    merchant: Merchant,
    order_reference: str,
    item_description: str,
    declared_value: Decimal,
    destination_city: City,
    promised_delivery_on: datetime.date,
    promised_installation_on: datetime.date | None = None,
    legs: Sequence[LegSpec],
) -> Shipment:
    """Create a shipment with its legs (sequence 1..n, SLAs in order, installation last).

    Guarantees: only the merchant's members, the staff serving its belt or a superuser create
    one; an order reference is used once per merchant; all or nothing."""
    if not may_create_shipment(actor, merchant):
        raise LogisticsForbidden(_("You may not create shipments for this merchant."))
    order_reference = (order_reference or "").strip()
    if not order_reference or len(order_reference) > 64:
        raise LogisticsError(
            _("An order reference has 1 to 64 characters."), field="order_reference"
        )
    item_description = (item_description or "").strip()
    if not item_description or len(item_description) > 200:
        raise LogisticsError(
            _("Describe the item in 1 to 200 characters."), field="item_description"
        )
    if declared_value < 0 or declared_value > MAX_VALUE:
        raise LogisticsError(
            _("The declared value is between ¥0 and ¥1,000,000,000."), field="declared_value"
        )
    if promised_installation_on is not None and promised_installation_on < promised_delivery_on:
        raise LogisticsError(
            _("Installation cannot be promised before delivery."),
            field="promised_installation_on",
        )
    _check_legs(legs)
    if Shipment.objects.filter(merchant=merchant, order_reference=order_reference).exists():
        raise LogisticsError(
            _("This merchant already has a shipment for order %(order)s.")
            % {"order": order_reference},
            field="order_reference",
            code="duplicate_order",
        )
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                merchant=merchant,
                order_reference=order_reference,
                item_description=item_description,
                declared_value=declared_value,
                destination_city=destination_city,
                promised_delivery_on=promised_delivery_on,
                promised_installation_on=promised_installation_on,
                status=ShipmentStatus.CREATED,
            )
    except IntegrityError:  # the same order created concurrently
        raise LogisticsError(
            _("This merchant already has a shipment for order %(order)s.")
            % {"order": order_reference},
            field="order_reference",
            code="duplicate_order",
        ) from None
    Leg.objects.bulk_create(
        Leg(
            shipment=shipment,
            sequence=number,
            kind=leg.kind,
            provider=leg.provider,
            sla_due_at=leg.sla_due_at,
        )
        for number, leg in enumerate(legs, start=1)
    )
    return shipment
