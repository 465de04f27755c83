"""The database itself refuses what the logistics domain forbids."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from logistics.choices import CostBearer, IncidentStatus, Resolution

from .factories import ConditionCheckFactory, IncidentFactory, LegFactory, ShipmentFactory

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_declared_value_is_not_negative():
    refused(lambda: ShipmentFactory(declared_value=Decimal("-0.01")))


def test_installation_is_not_promised_before_delivery():
    day = datetime.date(2026, 6, 1)
    refused(
        lambda: ShipmentFactory(
            promised_delivery_on=day, promised_installation_on=day - datetime.timedelta(days=1)
        )
    )


def test_order_reference_unique_per_merchant():
    shipment = ShipmentFactory()
    refused(
        lambda: ShipmentFactory(
            merchant=shipment.merchant, order_reference=shipment.order_reference
        )
    )


def test_leg_sequence_unique_and_completion_after_start():
    leg = LegFactory(sequence=1)
    refused(lambda: LegFactory(shipment=leg.shipment, sequence=1))
    now = timezone.now()
    refused(lambda: LegFactory(started_at=now, completed_at=now - datetime.timedelta(minutes=1)))
    refused(lambda: LegFactory(started_at=None, completed_at=now))


def test_one_check_per_handover_and_leg():
    check = ConditionCheckFactory()
    leg = check.giver
    second = LegFactory(shipment=leg.shipment, sequence=leg.sequence + 1)
    # The same hand-over twice, a leg giving the goods twice, a check with no leg at all.
    refused(lambda: ConditionCheckFactory(giver=second, index=check.index))
    refused(lambda: ConditionCheckFactory(giver=leg, index=check.index + 1))
    refused(lambda: ConditionCheckFactory(giver=None, shipment=leg.shipment, index=0))
    # Only the pickup (hand-over 0) has no giver leg.
    refused(
        lambda: ConditionCheckFactory(giver=None, receiver=second, shipment=leg.shipment, index=2)
    )
    ConditionCheckFactory(giver=None, receiver=leg, shipment=leg.shipment, index=0)


def test_incident_cost_non_negative_and_resolution_complete():
    refused(lambda: IncidentFactory(resolution_cost=Decimal("-1")))
    refused(lambda: IncidentFactory(status=IncidentStatus.RESOLVED))
    resolved = {
        "status": IncidentStatus.RESOLVED,
        "resolution": Resolution.RESEND_NEW,
        "resolution_cost": Decimal("3200.00"),
        "resolved_at": timezone.now(),
    }
    refused(lambda: IncidentFactory(**resolved))  # nobody named to bear the cost
    refused(lambda: IncidentFactory(**resolved, cost_bearer=CostBearer.PROVIDER))  # which one?
    IncidentFactory(**resolved, cost_bearer=CostBearer.MERCHANT)
