"""Scorecards and the single vs mixed comparison against a world small enough to count by hand.

Providers: Own Network (self-operated), Carrier X, Installer Y. Legs are due 24, 72, 96 and
120 hours after the start (pickup, line haul, last mile, installation); every leg is in the
period and past due now.

- S1 (Own, X, X, Y): hand-overs intact at 1 h, intact at 20 h, damaged at 80 h. Leg 1 done on
  time, leg 2 done late (80 > 72) and blamed for the damage; legs 3 and 4 open past due. The
  damage is resolved by a partial refund of ¥800 borne by Carrier X, 5 h after its report.
- S2 (Own, X, X, Y): intact at 1 h, not checked at 20 h, damaged at 60 h. Legs 1 and 2 on time;
  the damage is unattributed (candidates: legs 1 and 2), resolved by the platform, 5 h after.
- S3 (Own on all four): every hand-over intact, every leg on time, no incident.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from logistics.choices import Condition, CostBearer, IncidentKind, Resolution
from logistics.scorecards import chain_comparison, provider_scorecards
from logistics.services.handovers import handover_record
from logistics.services.incidents import incident_report, incident_resolve
from tests.belts.factories import OperationCenterMembershipFactory, SuperUserFactory
from tests.logistics.world import chain_world, new_shipment
from tests.utils.queries import assert_num_queries
from tests.utils.world import served_merchant

pytestmark = pytest.mark.django_db

OK, BAD, UNCHECKED = Condition.INTACT, Condition.DAMAGED, Condition.NOT_CHECKED


def _record(chain, shipment, grades, hours):
    for index, (grade, hour) in enumerate(zip(grades, hours, strict=True)):
        handover_record(
            actor=chain.reviewer,
            shipment=shipment,
            index=index,
            condition=grade,
            checked_at=chain.start + datetime.timedelta(hours=hour),
        )


def _damage(chain, shipment, **resolution):
    incident = incident_report(
        actor=chain.owner,
        shipment=shipment,
        kind=IncidentKind.DAMAGE,
        reported_at=timezone.now() - datetime.timedelta(hours=5),
    )
    return incident_resolve(actor=chain.reviewer, incident=incident, **resolution)


@pytest.fixture
def world():
    chain = chain_world()
    own = chain.providers[0]
    s1 = chain.shipment
    _record(chain, s1, [OK, OK, BAD], [1, 20, 80])
    _damage(
        chain,
        s1,
        resolution=Resolution.PARTIAL_REFUND,
        cost=Decimal(800),
        bearer=CostBearer.PROVIDER,
    )
    s2 = new_shipment(chain, order="S2")
    _record(chain, s2, [OK, UNCHECKED, BAD], [1, 20, 60])
    _damage(
        chain,
        s2,
        resolution=Resolution.RESEND_NEW,
        cost=Decimal(3200),
        bearer=CostBearer.PLATFORM,
        note="no check between pickup and line haul",
    )
    s3 = new_shipment(chain, order="S3", providers=[own] * 4)
    _record(chain, s3, [OK] * 5, [1, 20, 60, 90, 110])
    chain.extra["period"] = (
        chain.start - datetime.timedelta(days=1),
        timezone.now() + datetime.timedelta(minutes=1),
    )
    return chain


def _figures(row):
    return (
        row.provider_name,
        row.kind,
        row.legs,
        row.due,
        row.on_time,
        row.on_time_rate,
        row.incidents_attributed,
        row.damage_rate_per_1000,
        row.incidents_involved,
        row.unattributed,
        row.unattributed_share,
        row.mean_hours_to_resolution,
        row.cost_borne,
    )


def D(value):
    return None if value is None else Decimal(value)


def test_scorecards_rank_providers_by_attributed_damage(world):
    start, end = world.extra["period"]
    admin = SuperUserFactory()
    with assert_num_queries(1):
        rows = provider_scorecards(user=admin, start=start, end=end)
    assert [_figures(row) for row in rows] == [
        # X's line haul: 2 legs, 1 late, the S1 damage (1 per 2 legs), involved in both
        # incidents, S2's unattributed; resolved 5 h after report; ¥800 borne.
        (
            "Carrier X",
            "line_haul",
            2,
            2,
            1,
            D("0.5"),
            1,
            D("500.0"),
            2,
            1,
            D("0.5"),
            D("5.0"),
            D("800.00"),
        ),
        # X's last mile: S1 and S2, both open past due.
        ("Carrier X", "last_mile", 2, 2, 0, D("0"), 0, D("0"), 2, 1, D("0.5"), None, D("0")),
        ("Installer Y", "installation", 2, 2, 0, D("0"), 0, D("0"), 2, 1, D("0.5"), None, D("0")),
        ("Own Network", "installation", 1, 1, 1, D("1"), 0, D("0"), 0, 0, None, None, D("0")),
        ("Own Network", "last_mile", 1, 1, 1, D("1"), 0, D("0"), 0, 0, None, None, D("0")),
        ("Own Network", "line_haul", 1, 1, 1, D("1"), 0, D("0"), 0, 0, None, None, D("0")),
        # Own's pickups: S1, S2, S3, all on time; involved in S1's and S2's incidents.
        ("Own Network", "pickup", 3, 3, 3, D("1"), 0, D("0"), 2, 1, D("0.5"), None, D("0")),
    ]


def test_filters_and_an_empty_period(world):
    start, end = world.extra["period"]
    admin = SuperUserFactory()
    carrier = world.providers[1]
    rows = provider_scorecards(user=admin, start=start, end=end, provider_id=carrier.pk)
    assert {row.provider_name for row in rows} == {"Carrier X"}
    rows = provider_scorecards(user=admin, start=start, end=end, kind="pickup")
    assert [(row.provider_name, row.legs) for row in rows] == [("Own Network", 3)]
    long_ago = start - datetime.timedelta(days=400)
    assert provider_scorecards(user=admin, start=long_ago, end=long_ago) == []


def test_the_comparison_of_single_and_mixed_chains(world):
    start, end = world.extra["period"]
    admin = SuperUserFactory()
    with assert_num_queries(1):
        rows = chain_comparison(user=admin, start=start, end=end)
    single, mixed = rows
    assert (single.chain, single.shipments, single.self_operated, single.legs) == (
        "single",
        1,
        1,
        4,
    )
    assert (single.due, single.on_time, single.on_time_rate) == (4, 4, D("1"))
    assert (single.incidents, single.damage_rate_per_1000, single.unattributed_share) == (
        0,
        D("0"),
        None,
    )
    assert single.mean_hours_to_resolution is None
    # S1: leg 1 on time of 4 due; S2: legs 1 and 2 on time of 4 due.
    assert (mixed.chain, mixed.shipments, mixed.self_operated, mixed.legs) == ("mixed", 2, 0, 8)
    assert (mixed.due, mixed.on_time, mixed.on_time_rate) == (8, 3, D("0.375"))
    assert (mixed.incidents, mixed.damage_rate_per_1000) == (2, D("1000.0"))
    assert (mixed.unattributed, mixed.unattributed_share) == (1, D("0.5"))
    assert mixed.mean_hours_to_resolution == D("5.0")


def test_the_figures_count_only_what_the_reader_may_see(world):
    start, end = world.extra["period"]
    stranger = OperationCenterMembershipFactory(center=served_merchant().center).user
    assert provider_scorecards(user=stranger, start=start, end=end) == []
    assert chain_comparison(user=stranger, start=start, end=end) == []
    rows = provider_scorecards(user=world.reviewer, start=start, end=end)
    assert sum(row.legs for row in rows) == 12
    # The installer's user sees the shipments it carries a leg of (S1 and S2), not S3.
    installer = world.provider_users[world.providers[2].pk]
    seen = provider_scorecards(user=installer, start=start, end=end)
    assert sum(row.legs for row in seen) == 8
