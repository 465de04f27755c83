"""Every migration, forward from the first ones, over a database with data in it: rows written in
the first schema survive to the last one, and the data migrations turn them into the new shapes
(hand-overs from per-leg checks, reason codes from notes, renamed resolutions).

The upgrade path an installation from the first release takes; on PostgreSQL in CI (the
migrations' concurrent index builds and constraints are PostgreSQL's), on SQLite elsewhere."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

FIRST = [
    ("belts", "0001_initial"),
    ("merchants", "0001_initial"),
    ("programs", "0001_initial"),
    ("logistics", "0001_initial"),
]


class Migrator:
    """Django's own executor: back to the first migrations (every migration is reversible), and
    forward again to the last ones; the models of each state from the migration graph."""

    def __init__(self):
        self.leaves = [
            node
            for node in MigrationExecutor(connection).loader.graph.leaf_nodes()
            if node[0] in dict(FIRST)
        ]

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        return MigrationExecutor(connection).loader.project_state(targets)


@pytest.fixture
def migrator(transactional_db):
    migrator = Migrator()
    yield migrator
    migrator.migrate(migrator.leaves)  # whatever happened, the schema the other tests expect


def test_every_migration_forward_keeps_and_reshapes_the_first_releases_data(migrator):
    old = migrator.migrate(FIRST).apps
    now = timezone.now()
    city = old.get_model("belts", "City").objects.create(
        name="Foshan", province="Guangdong", latitude=Decimal("23.02"), longitude=Decimal("113.12")
    )
    category = old.get_model("belts", "Category").objects.create(name="Furniture", slug="furniture")
    belt = old.get_model("belts", "IndustrialBelt").objects.create(
        name="Foshan furniture", slug="foshan-furniture", category=category, city=city
    )
    merchant = old.get_model("merchants", "Merchant").objects.create(
        legal_name="Shunde Oak Co.",
        shop_name="Oak House",
        merchant_type="source_factory",
        opened_on=datetime.date(2020, 3, 1),
        belt=belt,
        category=category,
    )
    old.get_model("merchants", "MonthlyMetric").objects.create(
        merchant=merchant, month=datetime.date(2026, 10, 1), gmv=Decimal("123456.78")
    )
    program = old.get_model("programs", "Program").objects.create(code="source-power", name="SP")
    rule_set = old.get_model("programs", "RuleSet").objects.create(program=program, version=1)
    old.get_model("programs", "Eligibility").objects.create(
        merchant=merchant, program=program, rule_set=rule_set, is_eligible=True, computed_at=now
    )
    cohort = old.get_model("programs", "Cohort").objects.create(
        program=program,
        name="2026 spring",
        application_opens_at=now - datetime.timedelta(days=30),
        application_closes_at=now + datetime.timedelta(days=30),
        seats=10,
    )
    enrollment = old.get_model("programs", "Enrollment").objects.create(
        cohort=cohort, merchant=merchant, program=program
    )
    Event = old.get_model("programs", "EnrollmentEvent")
    Event.objects.create(
        enrollment=enrollment, to_state="submitted", reason="Application submitted."
    )
    Event.objects.create(
        enrollment=enrollment, to_state="waitlisted", reason="no seat left: waitlisted; full"
    )
    provider = old.get_model("logistics", "ServiceProvider").objects.create(
        name="Line haul Co.", kind="contracted"
    )
    shipment = old.get_model("logistics", "Shipment").objects.create(
        order_reference="SO-1",
        item_description="Sofa",
        declared_value=Decimal("8000"),
        promised_delivery_on=datetime.date(2026, 11, 1),
        destination_city=city,
        merchant=merchant,
    )
    Leg = old.get_model("logistics", "Leg")
    legs = [
        Leg.objects.create(
            shipment=shipment,
            provider=provider,
            kind=kind,
            sequence=number,
            sla_due_at=now + datetime.timedelta(days=number),
        )
        for number, kind in enumerate(["pickup", "line_haul", "last_mile"], start=1)
    ]
    Check = old.get_model("logistics", "ConditionCheck")
    # The first leg handed over intact, the second received it damaged: one hand-over, damaged.
    Check.objects.create(leg=legs[0], stage="handed_over", condition="intact", checked_at=now)
    Check.objects.create(
        leg=legs[1], stage="received", condition="damaged", checked_at=now, note="corner crushed"
    )
    old.get_model("logistics", "Incident").objects.create(
        shipment=shipment,
        kind="damage",
        reported_at=now,
        resolution="refund",
        status="resolved",
        resolved_at=now,
    )

    new = migrator.migrate(migrator.leaves).apps

    assert new.get_model("merchants", "Merchant").objects.get().shop_name == "Oak House"
    metric = new.get_model("merchants", "MonthlyMetric").objects.get()
    assert metric.gmv == Decimal("123456.78")
    assert new.get_model("programs", "Eligibility").objects.get().is_eligible is True
    events = {e.to_state: e for e in new.get_model("programs", "EnrollmentEvent").objects.all()}
    assert (events["submitted"].reason_code, events["submitted"].reason) == (
        "application_submitted",
        "",
    )
    assert events["waitlisted"].reason_code == "no_seat_waitlisted"
    assert (events["waitlisted"].reason_params, events["waitlisted"].reason) == (
        {"seats": 10},
        "full",
    )
    (handover,) = new.get_model("logistics", "ConditionCheck").objects.all()
    assert (handover.index, handover.condition, handover.note) == (1, "damaged", "corner crushed")
    assert (handover.giver_id, handover.receiver_id) == (legs[0].pk, legs[1].pk)
    incident = new.get_model("logistics", "Incident").objects.get()
    assert (incident.resolution, incident.cost_bearer) == ("partial_refund", "platform")
    assert new.get_model("programs", "RecomputeRun").objects.count() == 0


def _old_fingerprints():
    with connection.cursor() as cursor:
        cursor.execute("SELECT merchant_id, fingerprint FROM programs_eligibility ORDER BY 1")
        return cursor.fetchall()


def test_the_integer_fingerprint_expands_without_losing_a_row_either_way(migrator):
    before = [("programs", "0011_eligibility_derived")]
    old = migrator.migrate(before).apps
    now = timezone.now()
    # Derived rows, no foreign-key constraint since 0011: the ids need no other table.
    old.get_model("programs", "Eligibility").objects.create(
        merchant_id=1,
        program_id=1,
        rule_set_id=1,
        is_eligible=True,
        computed_at=now,
        fingerprint="68e8dbed5d87e63a",
    )

    new = migrator.migrate([("programs", "0012_eligibility_fingerprint_digest")]).apps
    Eligibility = new.get_model("programs", "Eligibility")
    # The row the release before wrote: its text kept (it may still read it), no digest yet,
    # so the next recompute rewrites it.
    assert Eligibility.objects.get().fingerprint is None
    assert _old_fingerprints() == [(1, "68e8dbed5d87e63a")]
    # A row this release writes leaves the old column empty.
    Eligibility.objects.create(
        merchant_id=2,
        program_id=1,
        rule_set_id=1,
        is_eligible=False,
        computed_at=now,
        fingerprint=-42,
    )
    assert _old_fingerprints() == [(1, "68e8dbed5d87e63a"), (2, None)]

    # Back: the old release's NOT NULL column again, an empty fingerprint (rewritten by its next
    # recompute) where this release left none; no row lost.
    migrator.migrate(before)
    assert _old_fingerprints() == [(1, "68e8dbed5d87e63a"), (2, "")]


@pytest.mark.django_db
def test_the_outbox_keeps_no_index_a_wider_one_already_leads_with():
    indexes = connection.introspection.get_constraints(
        connection.cursor(), "merchants_notification"
    )
    assert "merchants_notification_merchant_id_bb297c25" not in indexes
    assert "merchants_notification_recipient_id_f229f24f" not in indexes
    assert indexes["notification_merchant_idx"]["columns"] == ["merchant_id", "created_at"]
    assert indexes["notification_inbox_idx"]["columns"] == ["recipient_id", "read_at"]
    assert not [name for name in indexes if name.endswith("_like")]


def test_dropping_and_restoring_the_outbox_indexes_round_trips(migrator):
    migrator.migrate([("merchants", "0010_merchant_search_trigram")])
    names = set(
        connection.introspection.get_constraints(connection.cursor(), "merchants_notification")
    )
    assert "merchants_notification_merchant_id_bb297c25" in names
    migrator.migrate(migrator.leaves)
    names = set(
        connection.introspection.get_constraints(connection.cursor(), "merchants_notification")
    )
    assert "merchants_notification_merchant_id_bb297c25" not in names
