"""Reads of the logistics app."""

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Leg


# Overdue legs ------------------------------------------------------------------------------------
# "A leg is overdue": not completed and past its SLA due time. One definition, as a filter for
# querysets and as a test of one leg already loaded.
def overdue_filter(*, now: datetime.datetime) -> Q:
    """The legs overdue at ``now``: ``Leg.objects.filter(overdue_filter(now=...))``."""
    return Q(completed_at__isnull=True, sla_due_at__lt=now)


def leg_overdue_list(*, now: datetime.datetime | None = None) -> QuerySet[Leg]:
    """The legs overdue at ``now`` (default: now), the longest overdue first."""
    now = now or timezone.now()
    return Leg.objects.filter(overdue_filter(now=now)).order_by("sla_due_at", "id")


def leg_is_overdue(leg: Leg, *, now: datetime.datetime | None = None) -> bool:
    """Whether ``leg`` is overdue at ``now`` (default: now), by ``overdue_filter``'s rule."""
    now = now or timezone.now()
    return leg.completed_at is None and leg.sla_due_at < now
