"""The console's page for operators (``/console/operations/``): the queues and workers, the
outbox's backlog, the deliveries that failed for good (with a retry), the last recomputes.

Platform-wide, every center's rows: only for holders of ``programs.operate_platform`` (and
superusers). A dependency that is down or hangs is said on the page, each read bounded by a
short timeout, so the page answers when it is most needed.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config import metrics as metrics_view
from config.celery import app as celery_app
from core import metrics
from merchants.selectors import failed_delivery_list, outbox_backlog
from merchants.services import notifications
from programs.choices import RecomputeStatus
from programs.selectors import recompute_run_list

logger = logging.getLogger(__name__)

PERMISSION = "programs.operate_platform"
FAILED_SHOWN = 50
RUNS_SHOWN = 20
WORKER_PING_SECONDS = 0.5


@dataclass
class QueueRow:
    group: str
    queue: str
    waiting: int | None


def may_operate(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def _queues() -> tuple[list[QueueRow], list[str], str | None]:
    """The queues' lengths and the workers that answered a ping, or why they are unknown."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return [], [], _("Tasks run in the web process (no broker): nothing is queued.")
    try:
        connection = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=metrics.SOCKET_TIMEOUT,
            socket_connect_timeout=metrics.SOCKET_TIMEOUT,
        )
        rows = [
            QueueRow(group, queue, waiting)
            for group, queue, waiting in metrics_view.queue_lengths(connection)
        ]
        replies = celery_app.control.ping(timeout=WORKER_PING_SECONDS)
    except (redis.RedisError, OSError, ValueError) as error:
        logger.warning("operations page: the broker does not answer: %s", error)
        return [], [], _("The broker does not answer: queues and workers are unknown.")
    workers = sorted(name for reply in replies for name in reply)
    return rows, workers, None


def _run_rows(now: datetime.datetime) -> list[dict[str, Any]]:
    # A run still "running" past the task time limit lost a chunk for good (its summary never
    # came): said as stalled.
    stalled_after = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    rows = []
    for run in recompute_run_list(limit=RUNS_SHOWN):
        stalled = run.status == RecomputeStatus.RUNNING and now - run.started_at > stalled_after
        rows.append(
            {
                "run": run,
                "stalled": stalled,
                "chunks_done": min(run.chunks_done, run.chunks),
                "duration": run.duration,
            }
        )
    return rows


def operations(request: HttpRequest, site: AdminSite) -> HttpResponse:
    if not may_operate(request):
        raise PermissionDenied
    if request.method == "POST":
        return _retry(request, site)
    now = timezone.now()
    queues, workers, broker_problem = _queues()
    try:
        backlog = outbox_backlog(now=now, older_than=notifications.sweep_after())
        failed = list(failed_delivery_list(limit=FAILED_SHOWN))
        runs = _run_rows(now)
        database_problem = None
    except DatabaseError:  # the page says so; the log has the traceback
        logger.exception("operations page: the database could not be read")
        backlog, failed, runs = None, [], []
        database_problem = _("The database could not be read: outbox and recomputes unknown.")
    context = {
        **site.each_context(request),
        "title": _("Operations"),
        "queues": queues,
        "workers": workers,
        "broker_problem": broker_problem,
        "backlog": backlog,
        "oldest_age": (now - backlog["oldest"]) if backlog and backlog["oldest"] else None,
        "failed": failed,
        "failed_shown": FAILED_SHOWN,
        "runs": runs,
        "database_problem": database_problem,
        "sweep_after": settings.NOTIFICATION_SWEEP_AFTER,
    }
    request.current_app = site.name
    return render(request, "admin/operations.html", context)


def _retry(request: HttpRequest, site: AdminSite) -> HttpResponse:
    raw = request.POST.getlist("notification")
    ids = sorted({int(value) for value in raw[: FAILED_SHOWN * 2] if value.isdigit()})
    url = reverse("admin:operations", current_app=site.name)
    if not ids:
        messages.warning(request, _("Choose the deliveries to retry."))
        return HttpResponseRedirect(url)
    retried = notifications.notifications_retry(notification_ids=ids)
    skipped = len(ids) - retried
    messages.success(
        request,
        ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", retried)
        % {"count": retried},
    )
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(count)d was no longer failed and was left alone.",
                "%(count)d were no longer failed and were left alone.",
                skipped,
            )
            % {"count": skipped},
        )
    return HttpResponseRedirect(url)
