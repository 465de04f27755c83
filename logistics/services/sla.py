"""SLA breaches: a leg past its due time without completion, or completed after it. One breach
record and one notification per leg, however often the check runs and whoever finds it first
(the periodic task or the hand-over that completes the leg late)."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from merchants.services.notifications import notifications_insert_bulk

from ..choices import BreachKind
from ..models import Leg, SlaBreach
from ..notices import sla_breach_drafts, sla_breach_notify
from ..selectors import overdue_filter

BATCH = 500
# How far back the sweep looks for legs completed late that no hand-over recorded as a breach
# (rows written by an import or before the rule existed). A hand-over that completes a leg late
# records its breach itself.
LOOKBACK = datetime.timedelta(days=7)


def sla_breach_record(*, leg: Leg, kind: str, now: datetime.datetime) -> SlaBreach | None:
    """Record that ``leg`` overran its SLA and tell the merchant and the serving staff; None if
    it was recorded before. Runs in the caller's transaction (a savepoint of its own)."""
    if SlaBreach.objects.filter(leg=leg).exists():
        return None
    try:
        with transaction.atomic():
            breach = SlaBreach.objects.create(
                leg=leg, kind=kind, detected_at=now, due_at=leg.sla_due_at
            )
    except IntegrityError:  # recorded concurrently
        return None
    sla_breach_notify(breach, leg)
    return breach


def sla_breaches_detect(*, now: datetime.datetime | None = None, limit: int = 20_000) -> dict:
    """Find the open legs past due that have no breach yet (through the partial index of open
    legs) and the legs completed late that none recorded; record and notify each, in batches of
    their own transaction. Safe to run twice or concurrently: the second finds nothing new.
    ``limit`` bounds one run; the next run takes the rest."""
    now = now or timezone.now()
    unrecorded = ~Exists(SlaBreach.objects.filter(leg_id=OuterRef("pk")))
    open_late = list(
        Leg.objects.filter(overdue_filter(now=now))
        .filter(unrecorded)
        .order_by("sla_due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    completed_late = list(
        Leg.objects.filter(completed_at__gte=now - LOOKBACK, completed_at__gt=F("sla_due_at"))
        .filter(unrecorded)
        .order_by("completed_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    stats = {"open_overdue": 0, "completed_late": 0}
    for ids, kind in (
        (open_late, BreachKind.OPEN_OVERDUE),
        (completed_late, BreachKind.COMPLETED_LATE),
    ):
        for start in range(0, len(ids), BATCH):
            stats[kind] += _record_batch(ids[start : start + BATCH], kind, now)
    return stats


@transaction.atomic
def _record_batch(ids: list[int], kind: str, now: datetime.datetime) -> int:
    """Record the breaches of these legs and their notifications in one transaction, in a
    fixed number of statements; the legs another run recorded meanwhile are left out (if one
    slips in between, the batch falls back to one leg at a time)."""
    legs = list(
        Leg.objects.filter(pk__in=ids)
        .exclude(Exists(SlaBreach.objects.filter(leg_id=OuterRef("pk"))))
        .select_related("shipment__merchant", "provider")
        .order_by("id")
    )
    breaches = [
        SlaBreach(leg=leg, kind=_kind_now(leg, kind), detected_at=now, due_at=leg.sla_due_at)
        for leg in legs
    ]
    try:
        with transaction.atomic():
            SlaBreach.objects.bulk_create(breaches)
    except IntegrityError:  # a concurrent run recorded some of them
        return sum(
            1 for leg in legs if sla_breach_record(leg=leg, kind=_kind_now(leg, kind), now=now)
        )
    notifications_insert_bulk(sla_breach_drafts(list(zip(breaches, legs, strict=True))))
    return len(breaches)


def _kind_now(leg: Leg, found: str) -> str:
    """An open leg found overdue may have been completed since it was listed."""
    if found == BreachKind.OPEN_OVERDUE and leg.completed_at is not None:
        return BreachKind.COMPLETED_LATE
    return found
