"""Celery tasks of the logistics app: thin callers of its services, safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from .services.sla import sla_breaches_detect

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def sla_breaches_check() -> dict:
    """Record and notify the legs newly past their SLA (one breach per leg, however often)."""
    stats = sla_breaches_detect()
    if any(stats.values()):
        logger.info("SLA breaches recorded: %s", stats)
    return stats
