"""The record of full recomputes (RecomputeRun) and a chunk that lost the database, retried."""

import datetime

import pytest
from django.db import OperationalError

from config.celery import app as celery_app
from programs import tasks
from programs.choices import RecomputeStatus, RecomputeTrigger
from programs.models import Eligibility, RecomputeRun
from programs.selectors import last_nightly_recompute_get, recompute_run_list
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import PublishedRuleSetFactory
from tests.programs.test_services import AS_OF, add_metrics, gmv_rule_set


@pytest.mark.django_db
def test_a_full_recompute_is_recorded_with_its_figures():
    gmv_rule_set("1000000")
    merchants = MerchantFactory.create_batch(3)
    add_metrics(merchants[0], [100000] * 24)

    # Eager in tests: the chord's chunks and its summary run here.
    tasks.eligibility_recompute_all.delay(
        as_of=AS_OF.isoformat(), chunk_size=2, trigger=RecomputeTrigger.NIGHTLY
    )

    run = RecomputeRun.objects.get()
    assert (run.trigger, run.status, run.as_of) == (
        RecomputeTrigger.NIGHTLY,
        RecomputeStatus.FINISHED,
        AS_OF,
    )
    assert (run.chunks, run.chunks_done, run.merchants, run.written, run.gained) == (2, 2, 3, 3, 1)
    assert run.duration is not None
    assert run.duration >= datetime.timedelta(0)
    assert last_nightly_recompute_get() == run
    assert recompute_run_list() == [run]


@pytest.mark.django_db
def test_a_run_that_left_out_a_program_is_partial_and_names_it():
    good = gmv_rule_set("1000000")
    broken = PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1"}}])
    MerchantFactory()
    broken.criteria = [{"type": "no_such_criterion", "params": {}}]
    type(broken).objects.filter(pk=broken.pk).update(criteria=broken.criteria)

    tasks.eligibility_recompute_all.delay(as_of=AS_OF.isoformat(), trigger="nightly")

    run = RecomputeRun.objects.get()
    assert run.status == RecomputeStatus.PARTIAL
    assert run.failed_programs == [broken.program_id]
    assert Eligibility.objects.filter(program=good.program).count() == 1
    # It finished: the programs that ran are fresh (the one left out is logged as an error).
    assert last_nightly_recompute_get() == run


@pytest.mark.django_db
def test_only_finished_nightly_runs_count_for_freshness():
    started = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)
    RecomputeRun.objects.create(trigger="nightly", as_of=AS_OF, started_at=started)  # running
    RecomputeRun.objects.create(
        trigger="publish",
        status=RecomputeStatus.FINISHED,
        as_of=AS_OF,
        started_at=started,
        finished_at=started + datetime.timedelta(minutes=1),
    )
    assert last_nightly_recompute_get() is None


@pytest.mark.django_db
def test_a_chunk_that_lost_the_database_is_retried_alone(monkeypatch):
    gmv_rule_set("1000000")
    merchants = MerchantFactory.create_batch(4)
    real = tasks.eligibility_recompute_range
    failures = {"left": 2}
    calls: list[tuple[int, int | None]] = []

    def flaky(*, id_range, **kwargs):
        calls.append(id_range)
        if id_range[0] == merchants[2].pk and failures["left"]:
            failures["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return real(id_range=id_range, **kwargs)

    monkeypatch.setattr(tasks, "eligibility_recompute_range", flaky)
    # Eager, a retry runs at once in place, as a worker would run it after its backoff; the
    # suite's "propagate" would raise it instead.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    tasks.eligibility_recompute_all.delay(as_of=AS_OF.isoformat(), chunk_size=2)

    first, second = sorted({low for low, _high in calls})
    assert [low for low, _high in calls].count(first) == 1  # the chunk that worked: once
    assert [low for low, _high in calls].count(second) == 3  # the other: two failures, then ok
    assert Eligibility.objects.count() == 4
    run = RecomputeRun.objects.get()
    assert (run.status, run.chunks, run.chunks_done, run.merchants) == (
        RecomputeStatus.FINISHED,
        2,
        2,
        4,
    )
