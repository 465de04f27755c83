"""The record of each full eligibility recompute (``RecomputeRun``): started by the task that
splits the merchants into chunks, counted up by each chunk, closed by the chord's summary."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import F
from django.utils import timezone

from ..choices import RecomputeStatus
from ..models import RecomputeRun

COUNTED = ("merchants", "evaluated", "written", "gained", "lost", "notifications")


def recompute_run_start(
    *,
    trigger: str,
    as_of: datetime.date,
    chunks: int,
    program_ids: Sequence[int] | None = None,
) -> RecomputeRun:
    return RecomputeRun.objects.create(
        trigger=trigger,
        as_of=as_of,
        chunks=chunks,
        program_ids=list(program_ids) if program_ids is not None else None,
        started_at=timezone.now(),
    )


def recompute_run_chunk_done(*, run_id: int) -> None:
    """One chunk finished (a redelivered chunk may count twice: pages cap it at ``chunks``)."""
    RecomputeRun.objects.filter(pk=run_id).update(chunks_done=F("chunks_done") + 1)


def recompute_run_finish(*, run_id: int, total: Mapping[str, Any]) -> int:
    """Close the run with the chunks' figures added up; returns the rows updated (0: no run)."""
    failed = sorted(total.get("failed_programs") or [])
    return RecomputeRun.objects.filter(pk=run_id).update(
        status=RecomputeStatus.PARTIAL if failed else RecomputeStatus.FINISHED,
        finished_at=timezone.now(),
        failed_programs=failed,
        **{name: int(total.get(name) or 0) for name in COUNTED},
    )
