"""``/metrics/``: Prometheus' text format, for a scraper with the token or a signed-in operator.

What it reports:

- this instance's requests, by view and method, their latencies and response codes
  (django-prometheus; ``django_http_*``). Under gunicorn with several workers, set
  ``PROMETHEUS_MULTIPROC_DIR`` (docs/operations.md) and every worker of the instance is counted;
- the platform's task runs by task and state and their durations, and the outbox's deliveries by
  channel and outcome, added up over every worker on every machine (core/metrics.py, in Redis);
- gauges read at scrape time, each from an index: the outbox's backlog (late, failed for good,
  the oldest pending one's age), the queues' lengths, the last recompute of each trigger (its
  duration, rows written, when it finished).

A dependency that is down leaves its families out and sets ``belt_ops_scrape_errors`` for it;
the endpoint still answers, so one failure does not hide the rest.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from config import task_routes
from core import metrics
from merchants.selectors import outbox_backlog
from merchants.services import notifications
from programs.choices import RecomputeTrigger
from programs.models import RecomputeRun

logger = logging.getLogger(__name__)

OPERATE_PERMISSION = "programs.operate_platform"
HELP = {
    "belt_ops_task_runs": "Celery task runs by task and final state (SUCCESS, FAILURE, RETRY).",
    "belt_ops_task_duration_seconds": "Celery task run time by task.",
    notifications.DELIVERIES_METRIC: "Notification deliveries by channel and outcome.",
}


class _ProcessMetrics:
    """This process's registry (django-prometheus' request metrics and the client's process
    metrics), or every gunicorn worker's under ``PROMETHEUS_MULTIPROC_DIR``."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()


class PlatformCollector:
    """The platform's series: the counters in Redis and the gauges read from the database."""

    def collect(self) -> Iterator[Metric]:
        errors = GaugeMetricFamily(
            "belt_ops_scrape_errors",
            "1 when a dependency could not be read for this scrape.",
            labels=["source"],
        )
        for source, collect in (
            ("redis_counters", self._counters),
            ("redis_queues", self._queues),
            ("database", self._database),
        ):
            try:
                families = list(collect())
            except (redis.RedisError, DatabaseError) as error:
                logger.warning("metrics: %s not read: %s", source, error)
                errors.add_metric([source], 1)
                continue
            errors.add_metric([source], 0)
            yield from families
        yield errors

    def _counters(self) -> Iterator[Metric]:
        for name, series in metrics.read().items():
            if not series:
                continue
            label_names = sorted(series[0].labels)
            if series[0].kind == "counter":
                family: Metric = CounterMetricFamily(name, HELP.get(name, name), labels=label_names)
                for item in series:
                    family.add_metric([item.labels[n] for n in label_names], item.value)
            else:
                family = HistogramMetricFamily(name, HELP.get(name, name), labels=label_names)
                for item in series:
                    buckets = [
                        (repr(bound), (item.buckets or {}).get(bound, 0.0))
                        for bound in metrics.BUCKETS
                    ]
                    buckets.append(("+Inf", item.count))
                    family.add_metric(
                        [item.labels[n] for n in label_names], buckets, sum_value=item.sum
                    )
            yield family

    def _queues(self) -> Iterator[Metric]:
        if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL.startswith(
            ("redis://", "rediss://")
        ):
            return
        connection = redis.Redis.from_url(
            settings.CELERY_BROKER_URL,
            socket_timeout=metrics.SOCKET_TIMEOUT,
            socket_connect_timeout=metrics.SOCKET_TIMEOUT,
        )
        family = GaugeMetricFamily(
            "belt_ops_queue_length", "Tasks waiting in a Celery queue.", labels=["group", "queue"]
        )
        for group, queue, length in queue_lengths(connection):
            family.add_metric([group, queue], length)
        yield family

    def _database(self) -> Iterator[Metric]:
        backlog = outbox_backlog(older_than=notifications.sweep_after())
        yield GaugeMetricFamily(
            "belt_ops_outbox_waiting",
            "Notifications pending longer than the sweeper's delay (at most 10,000 counted).",
            value=backlog["waiting"],
        )
        yield GaugeMetricFamily(
            "belt_ops_outbox_failed",
            "Notifications that failed for good (at most 10,000 counted).",
            value=backlog["failed"],
        )
        oldest = backlog["oldest"]
        yield GaugeMetricFamily(
            "belt_ops_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending notification (0 when none is pending).",
            value=(timezone.now() - oldest).total_seconds() if oldest else 0.0,
        )
        duration = GaugeMetricFamily(
            "belt_ops_recompute_last_duration_seconds",
            "Duration of the last finished full recompute, by trigger.",
            labels=["trigger"],
        )
        written = GaugeMetricFamily(
            "belt_ops_recompute_last_rows_written",
            "Eligibility rows written by the last finished full recompute, by trigger.",
            labels=["trigger"],
        )
        finished = GaugeMetricFamily(
            "belt_ops_recompute_last_finished_timestamp_seconds",
            "When the last full recompute of each trigger finished (Unix time).",
            labels=["trigger"],
        )
        for trigger in RecomputeTrigger.values:
            run = (
                RecomputeRun.objects.filter(trigger=trigger, finished_at__isnull=False)
                .order_by("-finished_at")
                .first()
            )
            if run is None or run.finished_at is None:
                continue
            duration.add_metric([trigger], (run.finished_at - run.started_at).total_seconds())
            written.add_metric([trigger], run.written)
            finished.add_metric([trigger], run.finished_at.timestamp())
        yield from (duration, written, finished)


def queue_lengths(connection: redis.Redis) -> list[tuple[str, str, int]]:
    """``(group, queue, waiting tasks)`` of each queue the project uses (Redis lists)."""
    names = task_routes.queue_names()
    pipe = connection.pipeline(transaction=False)
    for queue in names.values():
        pipe.llen(queue)
    return [
        (group, queue, int(length))
        for (group, queue), length in zip(names.items(), pipe.execute(), strict=True)
    ]


def may_read(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.has_perm(OPERATE_PERMISSION))


@login_not_required
@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_read(request):
        response = HttpResponse(
            "Metrics need a bearer token or an operator's session.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())  # type: ignore[arg-type]
    registry.register(PlatformCollector())  # type: ignore[arg-type]
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
