"""The eligibility table as a derived table: no foreign keys, integrity kept by the recompute and
``manage.py eligibility_check``, a first fill that inserts without comparing, a fillfactor that
lets rewrites stay in place."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from merchants.models import Merchant, Notification
from programs import eligibility_sql, tasks
from programs.models import Eligibility, RecomputeRun, RuleSet
from programs.selectors import eligibility_orphan_counts, eligibility_orphan_list
from programs.services.eligibility import (
    eligibility_orphans_delete,
    eligibility_recompute,
    eligibility_recompute_range,
)
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import ProgramFactory
from tests.programs.test_services import AS_OF, add_metrics, gmv_rule_set

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based recompute runs on PostgreSQL"
)


def orphan(merchant: Merchant, **gone) -> None:
    """What a delete behind Django's back leaves: the merchant's row pointing at a merchant or
    rule set that is no more (no constraint stops it; the other tables' keys would refuse the
    delete itself in a test)."""
    missing = dict.fromkeys(gone, 10**9)
    Eligibility.objects.filter(merchant=merchant).update(**missing)


@pytest.fixture
def world():
    rule_set = gmv_rule_set("1000000")
    merchants = MerchantFactory.create_batch(3)
    for merchant in merchants:
        add_metrics(merchant, [100000] * 24)
    eligibility_recompute(as_of=AS_OF)
    assert Eligibility.objects.count() == 3
    return rule_set, merchants


@pytest.mark.django_db
def test_the_table_has_no_foreign_key_constraints():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Eligibility._meta.db_table)
    assert [name for name, c in constraints.items() if c["foreign_key"]] == []
    indexed = sorted(tuple(c["columns"]) for c in constraints.values() if c["index"])
    assert ("rule_set_id",) not in indexed


@pytest.mark.django_db
def test_deleting_a_merchant_through_django_still_cascades(world):
    _rule_set, merchants = world
    merchants[0].delete()
    assert Eligibility.objects.count() == 2
    assert eligibility_orphan_counts() == {
        "merchant_missing": 0,
        "rule_set_missing": 0,
        "program_mismatch": 0,
    }


@pytest.mark.django_db
def test_a_rule_set_with_outcomes_is_still_protected(world):
    rule_set, _merchants = world
    with pytest.raises(ProtectedError):
        RuleSet.objects.filter(pk=rule_set.pk).delete()
    assert Eligibility.objects.count() == 3


@pytest.mark.django_db
def test_orphans_are_found_and_removed_and_nothing_else(world):
    _rule_set, merchants = world
    kept = Eligibility.objects.get(merchant=merchants[2])
    orphan(merchants[0], merchant_id=True)
    # A row whose program is not its rule set's.
    Eligibility.objects.filter(merchant=merchants[1]).update(program=ProgramFactory())

    assert eligibility_orphan_counts() == {
        "merchant_missing": 1,
        "rule_set_missing": 0,
        "program_mismatch": 1,
    }
    assert sorted(row.merchant_id for row in eligibility_orphan_list()) == sorted(
        [10**9, merchants[1].pk]
    )
    assert eligibility_orphans_delete() == 2
    assert list(Eligibility.objects.all()) == [kept]
    assert eligibility_orphans_delete() == 0


@pytest.mark.django_db
def test_a_rule_set_gone_behind_djangos_back_is_an_orphan(world):
    _rule_set, merchants = world
    orphan(merchants[0], rule_set_id=True)
    assert eligibility_orphan_counts() == {
        "merchant_missing": 0,
        "rule_set_missing": 1,
        "program_mismatch": 0,
    }


@pytest.mark.django_db
def test_the_check_command_reports_fails_and_fixes(world):
    _rule_set, merchants = world
    out = io.StringIO()
    call_command("eligibility_check", stdout=out)
    assert "no orphan rows" in out.getvalue()

    orphan(merchants[0], merchant_id=True)
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 orphan eligibility rows"):
        call_command("eligibility_check", stdout=out)
    assert "rows whose merchant is gone: 1" in out.getvalue()
    assert Eligibility.objects.count() == 3  # reported, not touched

    out = io.StringIO()
    call_command("eligibility_check", "--fix", stdout=out)
    assert "removed 1 orphan eligibility rows" in out.getvalue()
    assert Eligibility.objects.count() == 2


@pytest.mark.django_db
def test_the_full_recompute_task_sweeps_orphans(world):
    _rule_set, merchants = world
    orphan(merchants[0], merchant_id=True)

    # Eager in tests: the chord's chunks and its summary run here.
    tasks.eligibility_recompute_all.delay(as_of=AS_OF.isoformat(), trigger="nightly")

    # The orphan is gone, the merchant's own row written again.
    assert sorted(Eligibility.objects.values_list("merchant_id", flat=True)) == sorted(
        m.pk for m in merchants
    )
    run = RecomputeRun.objects.get()
    assert (run.status, run.written) == ("finished", 1)


def upserts(queries) -> list[str]:
    return [q["sql"] for q in queries if 'INSERT INTO "programs_eligibility"' in q["sql"]]


@postgres_only
@pytest.mark.django_db
def test_a_first_fill_inserts_without_comparing_and_then_compares():
    gmv_rule_set("1000000")
    rich, poor = MerchantFactory(), MerchantFactory()
    add_metrics(rich, [100000] * 24)
    add_metrics(poor, [50000] * 24)
    id_range = (min(rich.pk, poor.pk), None)

    with CaptureQueriesContext(connection) as queries:
        first = eligibility_recompute_range(id_range=id_range, as_of=AS_OF)
    [statement] = upserts(queries)
    assert "ON CONFLICT" not in statement
    assert (first.written, first.gained, first.lost) == (2, 1, 0)
    assert Notification.objects.filter(merchant=rich).exists()
    row = Eligibility.objects.get(merchant=rich)
    assert (row.status_changes, row.is_eligible) == (1, True)
    assert Eligibility.objects.get(merchant=poor).status_changes == 0

    with CaptureQueriesContext(connection) as queries:
        again = eligibility_recompute_range(id_range=id_range, as_of=AS_OF)
    [statement] = upserts(queries)
    assert "ON CONFLICT" in statement
    assert again.written == 0


@postgres_only
@pytest.mark.django_db
def test_a_first_fill_that_meets_a_row_written_meanwhile_compares_instead(monkeypatch):
    gmv_rule_set("1000000")
    rich, poor = MerchantFactory(), MerchantFactory()
    add_metrics(rich, [100000] * 24)
    add_metrics(poor, [50000] * 24)
    # Another writer fills the rich merchant between the probe and the insert.
    eligibility_recompute(merchant_ids=[rich.pk], as_of=AS_OF)
    monkeypatch.setattr(eligibility_sql, "_stored_in_range", lambda *args: False)

    stats = eligibility_recompute_range(id_range=(min(rich.pk, poor.pk), None), as_of=AS_OF)

    assert (stats.written, stats.gained) == (1, 0)  # only the poor merchant, nothing flipped
    assert Eligibility.objects.count() == 2
    assert Eligibility.objects.get(merchant=rich).status_changes == 1
    assert Notification.objects.filter(merchant=rich).count() == 1


@postgres_only
@pytest.mark.django_db
def test_the_table_keeps_room_on_its_pages():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = %s", [Eligibility._meta.db_table]
        )
        assert cursor.fetchone()[0] == ["fillfactor=50"]
