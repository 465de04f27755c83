"""The chain of custody through the services: hand-overs in order and at times that never go
back, who may record which, incidents attributed and attributed again when the evidence
changes, resolutions, SLA breaches once per leg, photos checked and stripped."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from logistics.choices import (
    AttributionStatus,
    BreachKind,
    Condition,
    CostBearer,
    IncidentKind,
    IncidentStatus,
    Resolution,
    ShipmentStatus,
)
from logistics.exceptions import LogisticsError, LogisticsForbidden, PhotoError
from logistics.models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    Shipment,
    SlaBreach,
)
from logistics.services.handovers import handover_correct, handover_record
from logistics.services.incidents import incident_report, incident_resolve
from logistics.services.sla import sla_breaches_detect
from merchants.choices import NotificationKind
from merchants.models import Notification
from tests.belts.factories import OperationCenterMembershipFactory
from tests.logistics.world import chain_world, image_bytes, new_shipment, upload
from tests.utils.world import served_merchant

pytestmark = pytest.mark.django_db(transaction=False)

OK, BAD, UNCHECKED = Condition.INTACT, Condition.DAMAGED, Condition.NOT_CHECKED


def hour(chain, h):
    return chain.start + datetime.timedelta(hours=h)


def record_all(chain, grades, *, shipment=None, times=(1, 20, 60, 90, 110)):
    """Record the hand-overs ``0..len(grades)-1`` as the chain's reviewer."""
    shipment = shipment or chain.shipment
    for index, grade in enumerate(grades):
        handover_record(
            actor=chain.reviewer,
            shipment=shipment,
            index=index,
            condition=grade,
            checked_at=hour(chain, times[index]),
        )


def media_files(top: str = "") -> list[str]:
    """Every file in the default storage (the test's own, see tests/conftest.py)."""
    directories, files = default_storage.listdir(top)
    found = [f"{top}/{name}".lstrip("/") for name in files]
    for directory in directories:
        found += media_files(f"{top}/{directory}".lstrip("/"))
    return found


# Order and time ---------------------------------------------------------------------------------
def test_handovers_run_in_order_and_move_the_legs_and_the_status():
    chain = chain_world()
    shipment = chain.shipment
    with pytest.raises(LogisticsError) as refused:
        handover_record(actor=chain.reviewer, shipment=shipment, index=1, condition=OK)
    assert refused.value.code == "previous_missing"
    record_all(chain, [OK, OK])
    legs = list(Leg.objects.filter(shipment=shipment).order_by("sequence"))
    assert legs[0].started_at == hour(chain, 1)
    assert legs[0].completed_at == hour(chain, 20)
    assert legs[1].started_at == hour(chain, 20)
    assert legs[1].completed_at is None
    assert legs[2].started_at is None
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    with pytest.raises(LogisticsError) as again:
        handover_record(actor=chain.reviewer, shipment=shipment, index=1, condition=BAD)
    assert again.value.code == "already_recorded"
    with pytest.raises(LogisticsError) as back:
        handover_record(
            actor=chain.reviewer,
            shipment=shipment,
            index=2,
            condition=OK,
            checked_at=hour(chain, 5),
        )
    assert back.value.code == "time_goes_back"
    handover_record(
        actor=chain.reviewer, shipment=shipment, index=2, condition=OK, checked_at=hour(chain, 60)
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    handover_record(
        actor=chain.reviewer, shipment=shipment, index=3, condition=OK, checked_at=hour(chain, 90)
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED  # the last mile handed over
    handover_record(
        actor=chain.reviewer, shipment=shipment, index=4, condition=OK, checked_at=hour(chain, 110)
    )
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.INSTALLED
    with pytest.raises(LogisticsError) as beyond:
        handover_record(actor=chain.reviewer, shipment=shipment, index=5, condition=OK)
    assert beyond.value.code == "invalid_handover"


def test_a_correction_keeps_times_between_the_neighbours():
    chain = chain_world()
    record_all(chain, [OK, OK, OK])
    middle = ConditionCheck.objects.get(shipment=chain.shipment, index=1)
    with pytest.raises(LogisticsError):
        handover_correct(actor=chain.reviewer, check=middle, checked_at=hour(chain, 61))
    handover_correct(actor=chain.reviewer, check=middle, checked_at=hour(chain, 30))
    middle.refresh_from_db()
    assert middle.checked_at == hour(chain, 30)
    assert middle.corrections == 1
    assert middle.condition == OK  # not sent, not changed
    leg2 = Leg.objects.get(shipment=chain.shipment, sequence=2)
    assert leg2.started_at == hour(chain, 30)


def test_a_future_or_naive_time_is_refused():
    chain = chain_world()
    with pytest.raises(LogisticsError):
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=0,
            condition=OK,
            checked_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1),
        )
    with pytest.raises(LogisticsError):
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=0,
            condition=OK,
            checked_at=datetime.datetime(2026, 1, 1, 10),  # noqa: DTZ001 (the point of the test)
        )
    assert not ConditionCheck.objects.exists()


# Who records --------------------------------------------------------------------------------------
def test_the_giving_or_receiving_provider_records_others_do_not():
    chain = chain_world()
    own, carrier, installer = (chain.provider_users[p.pk] for p in chain.providers)
    # Pickup: the merchant gives, the pickup leg (own network) receives.
    with pytest.raises(LogisticsForbidden):
        handover_record(actor=carrier, shipment=chain.shipment, index=0, condition=OK)
    handover_record(actor=chain.owner, shipment=chain.shipment, index=0, condition=OK)
    handover_record(actor=carrier, shipment=chain.shipment, index=1, condition=OK)  # receives leg 2
    with pytest.raises(LogisticsForbidden):  # leg 3 (carrier) → leg 4 (installer): not own
        handover_record(actor=own, shipment=chain.shipment, index=2, condition=OK)
    with pytest.raises(LogisticsForbidden):  # the merchant only at the pickup
        handover_record(actor=chain.owner, shipment=chain.shipment, index=2, condition=OK)
    handover_record(actor=carrier, shipment=chain.shipment, index=2, condition=OK)
    handover_record(actor=installer, shipment=chain.shipment, index=3, condition=OK)


def test_another_centers_staff_may_not_record_or_report():
    chain = chain_world()
    stranger = OperationCenterMembershipFactory(center=served_merchant().center).user
    with pytest.raises(LogisticsForbidden):
        handover_record(actor=stranger, shipment=chain.shipment, index=0, condition=OK)
    with pytest.raises(LogisticsForbidden):
        incident_report(actor=stranger, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    assert not Incident.objects.exists()


# Attribution through the services -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("grades", "leg", "status"),
    [
        ([OK, BAD], 1, AttributionStatus.ATTRIBUTED),  # damaged on the pickup leg
        ([OK, OK, BAD], 2, AttributionStatus.ATTRIBUTED),  # on the line haul
        ([OK, OK, OK, BAD], 3, AttributionStatus.ATTRIBUTED),  # on the last mile
        (
            [OK, OK, OK, OK, BAD],
            4,
            AttributionStatus.ATTRIBUTED,
        ),  # seen only at the installation's end
        ([OK, UNCHECKED, BAD], None, AttributionStatus.UNATTRIBUTED),  # a check missing between
        ([BAD], None, AttributionStatus.BEFORE_CHAIN),  # already damaged at pickup
    ],
)
def test_damage_is_attributed_to_the_leg_that_made_it_worse(grades, leg, status):
    chain = chain_world()
    record_all(chain, grades)
    incident = incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    assert incident.attribution_status == status
    assert incident.attribution["leg"] == leg
    if leg:
        assert incident.responsible_leg == Leg.objects.get(shipment=chain.shipment, sequence=leg)
        assert incident.status == IncidentStatus.ATTRIBUTED
    else:
        assert incident.responsible_leg is None
        assert incident.status == IncidentStatus.OPEN


def test_a_corrected_check_attributes_again_and_tells_people_once():
    chain = chain_world()
    record_all(chain, [OK, UNCHECKED, BAD])
    incident = incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    assert incident.attribution["rule"] == "missing_check"
    assert incident.attribution["candidates"] == [1, 2]
    before = Notification.objects.filter(kind=NotificationKind.SHIPMENT_INCIDENT).count()
    check = ConditionCheck.objects.get(shipment=chain.shipment, index=1)
    handover_correct(actor=chain.reviewer, check=check, condition=OK)
    incident.refresh_from_db()
    assert incident.attribution_status == AttributionStatus.ATTRIBUTED
    assert incident.attribution["leg"] == 2
    assert incident.responsible_leg.sequence == 2
    told = Notification.objects.filter(kind=NotificationKind.SHIPMENT_INCIDENT).count() - before
    assert told >= 2  # the merchant in-app, and the serving reviewer
    assert Notification.objects.filter(
        kind=NotificationKind.SHIPMENT_INCIDENT,
        merchant=chain.served.merchant,
        payload__event="incident_attributed",
    ).exists()
    handover_correct(actor=chain.reviewer, check=check, note="seen again")  # same answer
    after = Notification.objects.filter(kind=NotificationKind.SHIPMENT_INCIDENT).count()
    assert after - before == told


def test_a_delay_goes_to_the_first_leg_past_its_sla():
    chain = chain_world()
    # Leg 1 due at 24 h, done at 20 h; leg 2 due at 72 h, done at 80 h: late.
    record_all(chain, [OK, OK, OK], times=(1, 20, 80))
    incident = incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DELAY)
    assert incident.attribution["leg"] == 2
    assert incident.attribution["overrun_minutes"] == 8 * 60


def test_the_notification_of_a_report_reaches_merchant_and_serving_staff_only():
    chain = chain_world()
    other = OperationCenterMembershipFactory(center=served_merchant().center).user
    incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    rows = Notification.objects.filter(kind=NotificationKind.SHIPMENT_INCIDENT)
    assert rows.filter(merchant=chain.served.merchant, recipient=None).count() == 1
    assert rows.filter(recipient=chain.reviewer).exists()
    assert not rows.filter(recipient=other).exists()


# Resolution ---------------------------------------------------------------------------------------
def test_resolving_an_unattributed_incident_needs_a_reason_and_no_provider_bears_it():
    chain = chain_world()
    record_all(chain, [OK, UNCHECKED, BAD])
    incident = incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    resolve = {"resolution": Resolution.RESEND_NEW, "cost": Decimal("3200")}
    with pytest.raises(LogisticsError) as no_reason:
        incident_resolve(
            actor=chain.reviewer, incident=incident, bearer=CostBearer.PLATFORM, **resolve
        )
    assert no_reason.value.code == "reason_required"
    with pytest.raises(LogisticsError) as no_provider:
        incident_resolve(
            actor=chain.reviewer,
            incident=incident,
            bearer=CostBearer.PROVIDER,
            note="both carriers deny it",
            **resolve,
        )
    assert no_provider.value.code == "no_attributed_provider"
    with pytest.raises(LogisticsForbidden):  # merchants report, staff resolve
        incident_resolve(
            actor=chain.owner, incident=incident, bearer=CostBearer.MERCHANT, note="x", **resolve
        )
    done = incident_resolve(
        actor=chain.reviewer,
        incident=incident,
        bearer=CostBearer.PLATFORM,
        note="both carriers deny it",
        **resolve,
    )
    assert done.status == IncidentStatus.RESOLVED
    assert done.resolved_by == chain.reviewer
    with pytest.raises(LogisticsError) as twice:
        incident_resolve(
            actor=chain.reviewer, incident=done, bearer=CostBearer.PLATFORM, note="x", **resolve
        )
    assert twice.value.code == "already_resolved"


def test_the_attributed_provider_bears_the_cost_and_stays_named():
    chain = chain_world()
    record_all(chain, [OK, OK, BAD])
    incident = incident_report(actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE)
    done = incident_resolve(
        actor=chain.reviewer,
        incident=incident,
        resolution=Resolution.PARTIAL_REFUND,
        cost=Decimal("800"),
        bearer=CostBearer.PROVIDER,
    )
    assert done.bearer_provider == chain.providers[1]  # the line haul's carrier
    assert Notification.objects.filter(payload__event="incident_resolved").exists()
    with pytest.raises(LogisticsError):
        incident_resolve(
            actor=chain.reviewer,
            incident=incident_report(
                actor=chain.owner, shipment=chain.shipment, kind=IncidentKind.DAMAGE
            ),
            resolution=Resolution.REPAIR,
            cost=Decimal("-1"),
            bearer=CostBearer.MERCHANT,
        )


# SLA breaches -------------------------------------------------------------------------------------
def test_sla_detection_twice_gives_one_breach_and_one_notification_per_leg():
    chain = chain_world()  # started 10 days ago: every leg is past due, none completed
    first = sla_breaches_detect()
    second = sla_breaches_detect()
    assert first["open_overdue"] == 4
    assert second["open_overdue"] == 0
    assert SlaBreach.objects.count() == 4
    merchant_rows = Notification.objects.filter(
        kind=NotificationKind.SLA_BREACH, merchant=chain.served.merchant, recipient=None
    )
    assert merchant_rows.count() == 4  # one in-app notification per leg
    staff_rows = Notification.objects.filter(
        kind=NotificationKind.SLA_BREACH, recipient=chain.reviewer, channel="in_app"
    )
    assert staff_rows.count() == 4


def test_a_leg_completed_late_is_a_breach_once_even_if_the_task_saw_it_open():
    chain = chain_world()
    record_all(chain, [OK])
    sla_breaches_detect(now=hour(chain, 30))  # leg 1 (due 24 h) open at 30 h
    assert SlaBreach.objects.get().kind == BreachKind.OPEN_OVERDUE
    handover_record(
        actor=chain.reviewer,
        shipment=chain.shipment,
        index=1,
        condition=OK,
        checked_at=hour(chain, 31),
    )
    assert SlaBreach.objects.count() == 1
    other = new_shipment(chain, order="ORD-LATE")
    record_all(chain, [OK, OK], shipment=other, times=(1, 40))  # leg 1 completed at 40 h: late
    assert SlaBreach.objects.get(leg__shipment=other).kind == BreachKind.COMPLETED_LATE


# Photos -------------------------------------------------------------------------------------------
def test_photos_are_stored_without_their_metadata():
    chain = chain_world()
    data = image_bytes(exif=True)
    assert Image.open(io.BytesIO(data)).getexif()  # the phone's EXIF is there before
    check = handover_record(
        actor=chain.reviewer,
        shipment=chain.shipment,
        index=0,
        condition=OK,
        photos=[upload(data, "cabinet.jpg"), upload(image_bytes("PNG"), "corner.png")],
    )
    photos = list(check.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    assert (photos[0].width, photos[0].height) == (64, 48)
    with photos[0].image.open("rb") as stored:
        image = Image.open(stored)
        assert not image.getexif()
        assert "exif" not in image.info
    assert sorted(media_files()) == sorted(photo.image.name for photo in photos)


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"%PDF-1.4 not a picture at all", "invoice.jpg", "photo_not_image"),
        (image_bytes("PNG"), "corner.jpg", "photo_wrong_extension"),
        (image_bytes()[:200], "cut.jpg", "photo_not_image"),  # truncated
        (b"", "empty.jpg", "photo_empty"),
    ],
)
def test_a_bad_photo_refuses_the_whole_handover(data, name, code):
    chain = chain_world()
    with pytest.raises(PhotoError) as refused:
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=0,
            condition=OK,
            photos=[upload(image_bytes(), "good.jpg"), upload(data, name)],
        )
    assert refused.value.code == code
    assert not ConditionCheck.objects.exists()
    assert not ConditionCheckPhoto.objects.exists()
    assert media_files() == []
    assert Leg.objects.get(shipment=chain.shipment, sequence=1).started_at is None


def test_a_photo_too_large_or_too_many_is_refused(settings):
    chain = chain_world()
    settings.LOGISTICS_PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoError) as large:
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=0,
            condition=OK,
            photos=[upload(image_bytes(size=(400, 400)) + b"\0" * 2000, "big.jpg")],
        )
    assert large.value.code == "photo_too_large"
    settings.LOGISTICS_PHOTO_MAX_BYTES = 8 * 1024 * 1024
    settings.LOGISTICS_PHOTO_MAX_COUNT = 2
    with pytest.raises(PhotoError) as many:
        handover_record(
            actor=chain.reviewer,
            shipment=chain.shipment,
            index=0,
            condition=OK,
            photos=[upload(image_bytes(), f"{n}.jpg") for n in range(3)],
        )
    assert many.value.code == "too_many_photos"
    assert not ConditionCheck.objects.exists()
    assert media_files() == []


def test_the_sweep_finds_legs_completed_late_that_no_handover_recorded():
    chain = chain_world(start=timezone.now() - datetime.timedelta(days=2))
    leg = Leg.objects.get(shipment=chain.shipment, sequence=1)
    # Written by an import, not by a hand-over: completed 2 h after it was due, no breach yet.
    Leg.objects.filter(pk=leg.pk).update(
        started_at=leg.sla_due_at - datetime.timedelta(hours=5),
        completed_at=leg.sla_due_at + datetime.timedelta(hours=2),
    )
    Leg.objects.filter(shipment=chain.shipment, sequence__gt=1).update(
        sla_due_at=timezone.now() + datetime.timedelta(days=1)
    )
    assert sla_breaches_detect() == {"open_overdue": 0, "completed_late": 1}
    assert sla_breaches_detect() == {"open_overdue": 0, "completed_late": 0}
    assert SlaBreach.objects.get().kind == BreachKind.COMPLETED_LATE


def test_the_sla_check_costs_the_same_queries_for_few_or_many_legs():
    chain = chain_world()
    counts = []
    for shipments in (1, 5):  # 4 legs each, all past due
        while Shipment.objects.count() < shipments:
            new_shipment(chain, order=f"ORD-{Shipment.objects.count()}")
        SlaBreach.objects.all().delete()
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as context:
            assert sla_breaches_detect()["open_overdue"] == 4 * shipments
        counts.append(len(context.captured_queries))
        in_app = Notification.objects.filter(channel="in_app")
        assert in_app.filter(merchant=chain.served.merchant).count() == 4 * shipments
        assert in_app.filter(recipient=chain.reviewer).count() == 4 * shipments
    assert counts[0] == counts[1]
