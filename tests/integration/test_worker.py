"""Recompute and delivery on a real Celery worker over Redis, including a worker killed mid-run."""

import datetime
import socket
import uuid
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django_guid import clear_guid, set_guid

from bench.naive import merchant_facts_naive
from config.celery import app as celery_app
from core import metrics
from merchants.choices import NotificationChannel, NotificationKind, NotificationStatus
from merchants.models import Merchant, MonthlyMetric, Notification
from merchants.services.notifications import NotificationDraft, notifications_create
from merchants.tasks import notifications_sweep
from programs.choices import RecomputeStatus, RecomputeTrigger
from programs.eligibility import CompiledRuleSet, evaluate
from programs.models import Eligibility, RecomputeRun, RuleSet
from programs.tasks import eligibility_recompute_all
from tests.belts.factories import IndustrialBeltFactory, UserFactory
from tests.merchants.factories import MerchantMembershipFactory
from tests.programs.factories import PublishedRuleSetFactory
from tests.utils.waiting import wait_for

AS_OF = datetime.date(2026, 11, 27)
MONTHS = [datetime.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]


def build_merchants(count: int) -> list[Merchant]:
    """Merchants whose yearly GMV climbs with their index, so about half pass a 1 M minimum."""
    belt = IndustrialBeltFactory()
    merchants = Merchant.objects.bulk_create(
        Merchant(
            legal_name=f"Worker test {i}",
            shop_name=f"Shop {i}",
            belt=belt,
            category=belt.category,
            merchant_type="source_factory",
            opened_on=datetime.date(2020, 1, 1),
        )
        for i in range(count)
    )
    MonthlyMetric.objects.bulk_create(
        (
            MonthlyMetric(merchant=m, month=month, gmv=Decimal(2000 * (i + 1) * 100 // count))
            for i, m in enumerate(merchants)
            for month in MONTHS
        ),
        batch_size=5000,
    )
    return merchants


def expected_outcomes():
    rule_sets = [CompiledRuleSet.compile(r) for r in RuleSet.objects.filter(status="published")]
    return {
        (m.pk, r.program_id): evaluate(r, merchant_facts_naive(m, AS_OF))
        for m in Merchant.objects.prefetch_related("metrics").select_related("category")
        for r in rule_sets
    }


def assert_final_state_correct():
    expected = expected_outcomes()
    stored = {(e.merchant_id, e.program_id): e for e in Eligibility.objects.all()}
    assert stored.keys() == expected.keys()
    for key, outcome in expected.items():
        assert stored[key].is_eligible == outcome.is_eligible, key
        assert stored[key].actuals == list(outcome.actuals), key
    gained = sum(1 for outcome in expected.values() if outcome.is_eligible)
    return gained


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_worker_recomputes_and_delivers_each_notification_once(start_worker, smtp_server):
    inbox, port = smtp_server
    PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1000000"}}])
    merchants = build_merchants(60)
    owners = {}
    for merchant in merchants[-10:]:  # the richest ten: eligible, with an owner on e-mail
        user = UserFactory(email=f"owner{merchant.pk}@example.com")
        MerchantMembershipFactory(merchant=merchant, user=user)
        owners[merchant.pk] = user.email

    worker = start_worker(EMAIL_URL=f"smtp://127.0.0.1:{port}")
    eligibility_recompute_all.apply_async(
        kwargs={"as_of": AS_OF.isoformat(), "chunk_size": 7}, queue=worker.queue
    )

    wait_for(lambda: Eligibility.objects.count() == 60, timeout=90, what="every merchant")
    gained = assert_final_state_correct()
    assert 0 < gained < 60
    wait_for(
        lambda: (
            not Notification.objects.exclude(status=NotificationStatus.DELIVERED).exists()
            and Notification.objects.count() == gained + len(owners)
        ),
        timeout=60,
        what="delivery of every notification",
    )
    # The worker talked SMTP to our server: one message per owner, none twice.
    wait_for(lambda: len(inbox.messages) == len(owners), timeout=30, what="the e-mails")
    # Every row is delivered after one attempt (checked below), so no second message can still
    # be on its way: the inbox is final.
    assert sorted(r[0] for r, _content in inbox.messages) == sorted(owners.values())
    assert Notification.objects.filter(channel=NotificationChannel.EMAIL, attempts=1).count() == 10


def test_worker_killed_mid_recompute_loses_and_duplicates_nothing(start_worker):
    PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1000000"}}])
    PublishedRuleSetFactory(criteria=[{"type": "store_age_at_least", "params": {"months": 12}}])
    total = 1500
    build_merchants(total)
    fast_recovery = {
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "NOTIFICATION_CLAIM_TIMEOUT": "2",
        "NOTIFICATION_SWEEP_AFTER": "1",
    }
    first = start_worker(concurrency=1, **fast_recovery)
    eligibility_recompute_all.apply_async(
        kwargs={"as_of": AS_OF.isoformat(), "chunk_size": 25}, queue=first.queue
    )

    wait_for(
        lambda: Eligibility.objects.count() >= total // 4,
        timeout=120,
        what="a quarter of the recompute",
    )
    first.kill()
    done_at_kill = Eligibility.objects.count()
    assert done_at_kill < 2 * total, "the worker finished before it was killed: nothing tested"

    # The unacknowledged chunk comes back once the visibility timeout (3 s) has passed; the new
    # worker restores it then and finishes: waited for below, with a deadline.
    start_worker(concurrency=2, **fast_recovery)
    wait_for(lambda: Eligibility.objects.count() == 2 * total, timeout=180, what="all rows")
    gained = assert_final_state_correct()

    # Whatever the kill interrupted, the sweeper re-queues; every notice exists once, delivered.

    def all_delivered():
        if Notification.objects.exclude(status=NotificationStatus.DELIVERED).exists():
            notifications_sweep.apply_async(queue=first.queue)
            return False
        return True

    wait_for(all_delivered, timeout=90, what="every notification delivered")
    assert Notification.objects.count() == gained
    assert Notification.objects.values("dedupe_key").distinct().count() == gained


def test_notifications_are_delivered_while_a_recompute_waits_in_its_own_queue(
    start_worker, settings
):
    """The queue groups of config/task_routes.py: with only the notify group's worker running,
    a recompute queued by the code's own routing stays in its queue while a notification
    written after it is delivered; the recompute group's worker then runs it."""
    base = settings.CELERY_TASK_DEFAULT_QUEUE
    settings.CELERY_NOTIFY_QUEUE = f"{base}-notify"
    settings.CELERY_RECOMPUTE_QUEUE = f"{base}-recompute"
    # The workers' task counters (core/metrics.py), on a key of this test's own.
    settings.METRICS_REDIS_URL = settings.CELERY_BROKER_URL
    settings.METRICS_KEY = f"{base}-metrics"
    counters = {
        "METRICS_REDIS_URL": settings.METRICS_REDIS_URL,
        "METRICS_KEY": settings.METRICS_KEY,
    }
    PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1000000"}}])
    build_merchants(30)
    notify_worker = start_worker(queues=f"{settings.CELERY_NOTIFY_QUEUE},{base}", **counters)

    eligibility_recompute_all.delay(as_of=AS_OF.isoformat(), chunk_size=5)  # routed, no queue=
    user = UserFactory()
    # As in a request (django-guid's middleware sets it): the id travels with the task.
    request_id = uuid.uuid4().hex
    set_guid(request_id)
    try:
        created = notifications_create(
            [
                NotificationDraft(
                    dedupe_key="queues:1", kind=NotificationKind.GENERAL, recipient_id=user.pk
                )
            ]
        )
    finally:
        clear_guid()
    assert created == 1
    wait_for(
        lambda: Notification.objects.filter(
            dedupe_key="queues:1", status=NotificationStatus.DELIVERED
        ).exists(),
        timeout=30,
        what="the notification, past the waiting recompute",
    )
    assert not Eligibility.objects.exists()
    delivery_lines = [
        line
        for line in notify_worker.log.read_text().splitlines()
        if "merchants.tasks" in line and "'delivered': 1" in line
    ]
    assert delivery_lines
    assert all(f"[{request_id}]" in line for line in delivery_lines), delivery_lines
    with celery_app.connection_for_write() as conn:
        assert conn.default_channel.client.llen(settings.CELERY_RECOMPUTE_QUEUE) == 1

    start_worker(queues=settings.CELERY_RECOMPUTE_QUEUE, **counters)
    wait_for(lambda: Eligibility.objects.count() == 30, timeout=90, what="the recompute")
    assert_final_state_correct()
    # The run is recorded, closed by the chord's summary, and the workers counted the tasks.
    wait_for(
        lambda: RecomputeRun.objects.filter(status=RecomputeStatus.FINISHED).exists(),
        timeout=30,
        what="the run's summary",
    )
    run = RecomputeRun.objects.get()
    assert (run.trigger, run.chunks, run.chunks_done, run.merchants, run.written) == (
        RecomputeTrigger.MANUAL,
        6,
        6,
        30,
        30,
    )
    assert run.finished_at > run.started_at
    runs = {
        series.labels["task"]: series.value
        for series in metrics.read()["belt_ops_task_runs"]
        if series.labels["state"] == "SUCCESS"
    }
    assert runs["programs.tasks.eligibility_recompute_chunk"] == 6
    assert runs["programs.tasks.eligibility_recompute_summary"] == 1
    assert runs["merchants.tasks.notifications_deliver"] >= 1
    redis_client = metrics.client()
    assert redis_client is not None
    redis_client.delete(settings.METRICS_KEY)
