"""The move from per-leg stage checks to hand-overs keeps what was recorded: "received" on leg
k is hand-over k - 1, "handed over" on leg k is hand-over k, the worse grade wins where both
name one hand-over, photos become photo rows, incidents are attributed again."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.belts.factories import CityFactory
from tests.merchants.factories import MerchantFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("logistics", "0002_incident_leg_restrict")]
AFTER = [("logistics", "0005_handovers_finish")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_stage_checks_become_handovers():
    # The merchants' and belts' tables are the same before and after: made with today's models.
    merchant_pk = MerchantFactory().pk
    city_pk = CityFactory().pk
    old = migrate(BEFORE)
    Merchant = old.get_model("merchants", "Merchant")
    City = old.get_model("belts", "City")
    Provider = old.get_model("logistics", "ServiceProvider")
    Shipment = old.get_model("logistics", "Shipment")
    Leg = old.get_model("logistics", "Leg")
    Check = old.get_model("logistics", "ConditionCheck")
    Incident = old.get_model("logistics", "Incident")
    now = timezone.now()
    start = now - datetime.timedelta(days=3)
    city = City.objects.get(pk=city_pk)
    merchant = Merchant.objects.get(pk=merchant_pk)
    provider = Provider.objects.create(name="Old Carrier", kind="contracted")
    shipment = Shipment.objects.create(
        merchant=merchant,
        order_reference="OLD-1",
        item_description="Cabinet",
        declared_value=100,
        destination_city=city,
        promised_delivery_on=now.date(),
    )
    legs = [
        Leg.objects.create(
            shipment=shipment,
            kind=kind,
            sequence=number,
            provider=provider,
            sla_due_at=start + datetime.timedelta(days=number),
            started_at=start,
            completed_at=start + datetime.timedelta(hours=number),
        )
        for number, kind in enumerate(("pickup", "line_haul"), start=1)
    ]
    at = start + datetime.timedelta(hours=1)
    Check.objects.create(leg=legs[0], stage="received", condition="intact", checked_at=start)
    Check.objects.create(
        leg=legs[0], stage="handed_over", condition="intact", note="fine", checked_at=at
    )
    Check.objects.create(
        leg=legs[1], stage="received", condition="damaged", note="dent", checked_at=at
    )
    Incident.objects.create(
        shipment=shipment,
        kind="damage",
        reported_at=now,
        status="resolved",
        resolution="return",
        resolution_cost=50,
        resolved_at=now,
    )

    new = migrate(AFTER)
    Check = new.get_model("logistics", "ConditionCheck")
    Incident = new.get_model("logistics", "Incident")
    checks = {c.index: c for c in Check.objects.filter(shipment_id=shipment.pk)}
    assert sorted(checks) == [0, 1]
    assert checks[0].condition == "intact"
    assert checks[0].giver_id is None
    assert checks[0].receiver_id == legs[0].pk
    assert checks[1].condition == "damaged"  # the worse of the two grades of hand-over 1
    assert checks[1].note == "fine\ndent"
    assert (checks[1].giver_id, checks[1].receiver_id) == (legs[0].pk, legs[1].pk)
    incident = Incident.objects.get(shipment_id=shipment.pk)
    assert incident.resolution == "return_refund"
    assert incident.cost_bearer == "platform"
    assert incident.attribution["rule"] == "worse_at_leg"
    assert incident.responsible_leg_id == legs[0].pk
    assert incident.attribution_status == "attributed"
