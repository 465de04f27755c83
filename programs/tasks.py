"""Celery tasks of the programs app: thin callers of its services, safe to run twice.

The full recompute fans out: one chunk task per id range, shared by every worker on every
machine, joined by a chord whose callback adds up the figures."""

from __future__ import annotations

import datetime
import logging

from celery import chord, shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from merchants.facts import merchant_id_ranges
from merchants.services.metrics import belt_year_stats_recompute

from . import eligibility_sql
from .choices import RecomputeTrigger
from .services import enrollments, recompute_runs
from .services.eligibility import (
    eligibility_orphans_delete,
    eligibility_recompute,
    eligibility_recompute_range,
)

logger = logging.getLogger(__name__)


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@shared_task(acks_late=True)
def eligibility_recompute_merchants(
    merchant_ids: list[int], program_ids: list[int] | None = None, as_of: str | None = None
) -> dict:
    stats = eligibility_recompute(
        merchant_ids=merchant_ids, program_ids=program_ids, as_of=_date(as_of)
    )
    return stats.as_dict()


# A chunk is all-or-nothing (its writes and notifications in one transaction each) and safe to
# run twice, so one that lost the database (a restart, a failover) is retried alone, with
# backoff, while the other chunks go on; the chord waits for it.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def eligibility_recompute_chunk(
    low: int,
    high: int | None,
    program_ids: list[int] | None = None,
    as_of: str | None = None,
    run_id: int | None = None,
) -> dict:
    stats = eligibility_recompute_range(
        id_range=(low, high), program_ids=program_ids, as_of=_date(as_of)
    )
    if run_id is not None:
        recompute_runs.recompute_run_chunk_done(run_id=run_id)
    return stats.as_dict()


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
)
def eligibility_recompute_summary(
    results: list[dict], started_at: str, run_id: int | None = None
) -> dict:
    """Add up the chunks' figures. ``failed_programs`` lists the programs some chunk left out
    (a rule set that no longer passes validation, an evaluation that failed): logged as an
    error, while every other program was recomputed."""
    total: dict = {}
    failed: set[int] = set()
    for result in results:
        for key, value in result.items():
            if key == "failed_programs":
                failed.update(value)
            else:
                total[key] = total.get(key, 0) + value
    total["chunks"] = len(results)
    total["failed_programs"] = sorted(failed)
    # The table has no foreign keys (a derived table): each full run sweeps what a raw delete
    # of a merchant or rule set left behind.
    total["orphans_removed"] = eligibility_orphans_delete()
    if total.get("written") and eligibility_sql.supported():
        eligibility_sql.analyze()
    if run_id is not None:
        recompute_runs.recompute_run_finish(run_id=run_id, total=total)
    if failed:
        logger.error(
            "eligibility recompute started %s left out programs %s (see the errors logged for "
            "them); finished: %s",
            started_at,
            total["failed_programs"],
            total,
        )
    else:
        logger.info("eligibility recompute started %s finished: %s", started_at, total)
    return total


@shared_task(acks_late=True)
def eligibility_recompute_all(
    program_ids: list[int] | None = None,
    as_of: str | None = None,
    chunk_size: int = 5000,
    trigger: str = RecomputeTrigger.MANUAL,
) -> str | None:
    """Split the merchants into id ranges and recompute them in parallel chunk tasks, recorded
    as a ``RecomputeRun``."""
    as_of = as_of or timezone.localdate().isoformat()
    ranges = merchant_id_ranges(chunk_size=chunk_size)
    if not ranges:
        return None
    run = recompute_runs.recompute_run_start(
        trigger=trigger,
        as_of=datetime.date.fromisoformat(as_of),
        chunks=len(ranges),
        program_ids=program_ids,
    )
    header = [
        eligibility_recompute_chunk.s(
            low, high, program_ids=program_ids, as_of=as_of, run_id=run.pk
        )
        for low, high in ranges
    ]
    summary = eligibility_recompute_summary.s(started_at=run.started_at.isoformat(), run_id=run.pk)
    return chord(header)(summary).id


@shared_task(acks_late=True)
def nightly_recompute() -> None:
    """Belt figures and tiers for last year first (facts read the tiers), then eligibility."""
    belt_year_stats_recompute()
    eligibility_recompute_all.delay(trigger=RecomputeTrigger.NIGHTLY)


@shared_task(acks_late=True)
def enrollment_drafts_expire() -> int:
    """Expire the drafts left when their cohort's application window closed."""
    return enrollments.enrollment_drafts_expire()


@shared_task(acks_late=True)
def enrollment_graduation_propose_due() -> int:
    """Propose graduation for active enrollments that meet their cohort's criteria."""
    return enrollments.enrollment_graduation_propose_due()
