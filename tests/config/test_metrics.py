"""``/metrics/`` (config/metrics.py) and the platform counters behind it (core/metrics.py)."""

import datetime
import re
import uuid

import pytest
import redis
from django.contrib.auth.models import Permission
from django.utils import timezone

from config.celery import app as celery_app
from core import metrics
from merchants.models import Notification
from programs.choices import RecomputeStatus, RecomputeTrigger
from programs.models import RecomputeRun
from tests.belts.factories import UserFactory
from tests.merchants.factories import NotificationFactory
from tests.utils.services import skip_without

REDIS_URL = "redis://127.0.0.1:6379/14"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in Prometheus' text format, or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        if metric != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', label_text))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


@pytest.fixture
def operator(db):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="operate_platform"))
    return user


@pytest.fixture
def platform_counters(settings):
    """The counters on the local Redis, under a key of this test's own."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as error:
        skip_without(f"needs Redis at {REDIS_URL}: {error}")
    settings.METRICS_REDIS_URL = REDIS_URL
    settings.METRICS_KEY = f"test-metrics:{uuid.uuid4().hex}"
    yield
    redis.Redis.from_url(REDIS_URL).delete(settings.METRICS_KEY)


@pytest.mark.django_db
def test_only_a_scraper_with_the_token_or_an_operator_may_read_them(client, settings, operator):
    settings.METRICS_TOKEN = "s3cret-token-0123456789"
    staff = UserFactory(is_staff=True)

    anonymous = client.get("/metrics/")
    wrong = client.get("/metrics/", HTTP_AUTHORIZATION="Bearer nope")
    right = client.get("/metrics/", HTTP_AUTHORIZATION="Bearer s3cret-token-0123456789")
    client.force_login(staff)
    staff_only = client.get("/metrics/")
    client.force_login(operator)
    as_operator = client.get("/metrics/")
    settings.METRICS_TOKEN = ""
    client.logout()
    # Without a token set, no bearer value opens it (not even an empty one).
    empty = client.get("/metrics/", HTTP_AUTHORIZATION="Bearer ")

    for refused in (anonymous, wrong, staff_only, empty):
        assert refused.status_code == 401
        assert refused["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"belt_ops" not in refused.content
    for allowed in (right, as_operator):
        assert allowed.status_code == 200
        assert allowed["Content-Type"].startswith("text/plain; version=")
        assert "no-cache" in allowed["Cache-Control"]


@pytest.mark.django_db
def test_requests_by_view_and_the_platform_gauges(client, operator):
    finished = timezone.now() - datetime.timedelta(hours=2)
    RecomputeRun.objects.create(
        trigger=RecomputeTrigger.NIGHTLY,
        status=RecomputeStatus.FINISHED,
        as_of=finished.date(),
        started_at=finished - datetime.timedelta(seconds=95),
        finished_at=finished,
        written=1234,
    )
    late = NotificationFactory.create_batch(3)
    Notification.objects.filter(pk__in=[n.pk for n in late]).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    NotificationFactory(status="failed")
    client.force_login(operator)
    client.get("/health/")

    text = client.get("/metrics/").content.decode()

    assert sample(text, "belt_ops_recompute_last_duration_seconds", trigger="nightly") == 95.0
    assert sample(text, "belt_ops_recompute_last_rows_written", trigger="nightly") == 1234.0
    assert sample(
        text, "belt_ops_recompute_last_finished_timestamp_seconds", trigger="nightly"
    ) == pytest.approx(finished.timestamp())
    assert sample(text, "belt_ops_recompute_last_duration_seconds", trigger="publish") is None
    assert sample(text, "belt_ops_outbox_waiting") == 3.0
    assert sample(text, "belt_ops_outbox_failed") == 1.0
    assert sample(text, "belt_ops_outbox_oldest_pending_age_seconds") >= 3600
    assert sample(text, "belt_ops_scrape_errors", source="database") == 0.0
    # django-prometheus: this process's requests, by view.
    assert (
        sample(
            text,
            "django_http_requests_total_by_view_transport_method_total",
            view="health",
            method="GET",
        )
        >= 1
    )


@pytest.mark.django_db
def test_task_runs_and_deliveries_are_counted_across_processes(client, operator, platform_counters):
    # Eager here; a worker process sends the same signals (tests/integration/test_worker.py).
    celery_app.tasks["merchants.tasks.notifications_sweep"].delay()
    celery_app.tasks["merchants.tasks.notifications_sweep"].delay()
    notification = NotificationFactory()
    celery_app.tasks["merchants.tasks.notifications_deliver"].delay([notification.pk])
    client.force_login(operator)

    text = client.get("/metrics/").content.decode()

    sweep = "merchants.tasks.notifications_sweep"
    assert sample(text, "belt_ops_task_runs_total", task=sweep, state="SUCCESS") == 2.0
    assert sample(text, "belt_ops_task_duration_seconds_count", task=sweep) == 2.0
    assert sample(text, "belt_ops_task_duration_seconds_bucket", task=sweep, le="+Inf") == 2.0
    assert sample(text, "belt_ops_task_duration_seconds_sum", task=sweep) > 0
    assert (
        sample(
            text, "belt_ops_notification_deliveries_total", channel="in_app", outcome="delivered"
        )
        == 1.0
    )
    assert sample(text, "belt_ops_scrape_errors", source="redis_counters") == 0.0


@pytest.mark.django_db
def test_a_redis_that_is_down_costs_the_counters_not_the_task_or_the_page(
    client, settings, operator
):
    settings.METRICS_REDIS_URL = "redis://127.0.0.1:1/0"
    settings.METRICS_KEY = f"test-metrics:{uuid.uuid4().hex}"
    notification = NotificationFactory()

    result = celery_app.tasks["merchants.tasks.notifications_deliver"].delay([notification.pk])
    metrics.observe("belt_ops_task_duration_seconds", {"task": "x"}, 0.2)
    client.force_login(operator)
    response = client.get("/metrics/")

    assert result.get() == {"delivered": 1, "failed": 0}
    assert response.status_code == 200
    text = response.content.decode()
    assert sample(text, "belt_ops_scrape_errors", source="redis_counters") == 1.0
    assert sample(text, "belt_ops_outbox_failed") == 0.0  # the database's part still answers


def test_histogram_buckets_are_cumulative(settings, platform_counters):
    metrics.observe("h", {"task": "t"}, 0.07)
    metrics.observe("h", {"task": "t"}, 3.0)
    metrics.count("c", {"a": "1"}, 5)

    series = metrics.read()

    (histogram,) = series["h"]
    assert (histogram.count, histogram.sum) == (2, pytest.approx(3.07))
    assert (histogram.buckets or {}).get(0.1) == 1
    assert (histogram.buckets or {}).get(5.0) == 2
    assert 0.01 not in (histogram.buckets or {})
    assert series["c"][0].value == 5
