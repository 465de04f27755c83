"""Which Celery queue each task goes to: one decision, read by every process that sends tasks.

Two groups of work share no queue, so neither waits behind the other:

- ``notify`` (``CELERY_NOTIFY_QUEUE``): the outbox's deliveries (e-mail, in-app, webhooks) and its
  sweeper. Seconds matter: a merchant or a partner's endpoint is waiting.
- ``recompute`` (``CELERY_RECOMPUTE_QUEUE``): the nightly recompute, its chunk tasks and their
  summary, belt figures, eligibility after a publish. Minutes are fine; there may be hundreds
  of chunks queued at once.

Everything else (SLA checks, draft expiry, graduation proposals, session cleanup) goes to the
default queue (``CELERY_TASK_DEFAULT_QUEUE``), which the notify group's worker also consumes
(docs/deploy.md). The queue names are read from the settings at each call, not at import.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

NOTIFY = "notify"
RECOMPUTE = "recompute"

# Task name -> group. A task of the project's not named here goes to the default queue; the
# tests check that every registered task of the project is either here or meant for the default.
GROUPS: dict[str, str] = {
    "merchants.tasks.notifications_deliver": NOTIFY,
    "merchants.tasks.notifications_sweep": NOTIFY,
    "programs.tasks.nightly_recompute": RECOMPUTE,
    "programs.tasks.eligibility_recompute_all": RECOMPUTE,
    "programs.tasks.eligibility_recompute_chunk": RECOMPUTE,
    "programs.tasks.eligibility_recompute_summary": RECOMPUTE,
    "programs.tasks.eligibility_recompute_merchants": RECOMPUTE,
    "merchants.tasks.belt_year_stats_recompute": RECOMPUTE,
}
DEFAULT_GROUP_TASKS = frozenset(
    {
        "config.tasks.sessions_clear_expired",
        "logistics.tasks.sla_breaches_check",
        "programs.tasks.enrollment_drafts_expire",
        "programs.tasks.enrollment_graduation_propose_due",
    }
)


def queue_for_group(group: str) -> str:
    if group == NOTIFY:
        return settings.CELERY_NOTIFY_QUEUE
    if group == RECOMPUTE:
        return settings.CELERY_RECOMPUTE_QUEUE
    return settings.CELERY_TASK_DEFAULT_QUEUE


def queue_names() -> dict[str, str]:
    """Every queue the project uses, by group: what the operators' page and the metrics watch."""
    return {
        NOTIFY: settings.CELERY_NOTIFY_QUEUE,
        RECOMPUTE: settings.CELERY_RECOMPUTE_QUEUE,
        "default": settings.CELERY_TASK_DEFAULT_QUEUE,
    }


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any):
    """Celery's router (``CELERY_TASK_ROUTES``): an explicit ``queue=`` still wins."""
    group = GROUPS.get(name)
    if group is None:
        return None
    return {"queue": queue_for_group(group)}
