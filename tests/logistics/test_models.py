"""The database itself refuses what the logistics domain forbids."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from logistics.choices import CheckpointStage, IncidentStatus, Resolution

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


def test_one_condition_check_per_leg_and_stage():
    check = ConditionCheckFactory(stage=CheckpointStage.RECEIVED)
    refused(lambda: ConditionCheckFactory(leg=check.leg, stage=CheckpointStage.RECEIVED))
    ConditionCheckFactory(leg=check.leg, stage=CheckpointStage.HANDED_OVER)


def test_incident_cost_non_negative_and_resolution_complete():
    refused(lambda: IncidentFactory(resolution_cost=Decimal("-1")))
    refused(lambda: IncidentFactory(status=IncidentStatus.RESOLVED))
    IncidentFactory(
        status=IncidentStatus.RESOLVED,
        resolution=Resolution.RESEND_NEW,
        resolution_cost=Decimal("3200.00"),
        resolved_at=timezone.now(),
    )
