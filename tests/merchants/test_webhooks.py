"""Outgoing webhooks: the fan-out of merchants' events, signed delivery to a real HTTP receiver
on 127.0.0.1, retries, timeouts, disabling after a run of failures, and the SSRF guard."""

import datetime
import ipaddress
import json
import socket
import time
import uuid

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from merchants import webhooks
from merchants.choices import (
    MembershipRole,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from merchants.exceptions import WebhookError
from merchants.models import Notification, WebhookEndpoint
from merchants.services.notifications import (
    MAX_ATTEMPTS,
    TransientDeliveryError,
    bilingual,
    drafts_for_merchant,
    notifications_create,
    notifications_deliver,
    notifications_stale_ids,
    retry_delay,
    sweep_after,
)
from merchants.tasks import notifications_deliver as deliver_task
from merchants.tasks import notifications_sweep
from merchants.webhook_http import address_is_forbidden, webhook_target
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    UserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    WebhookEndpointFactory,
)
from tests.merchants.receiver import TLS_CERT, verify_signature

pytestmark = pytest.mark.django_db

GAINED = NotificationKind.ELIGIBILITY_GAINED
LOST = NotificationKind.ELIGIBILITY_LOST


def in_app_for(merchant, kind=GAINED, key=None, payload=None):
    """The one merchant-addressed in-app message of an event, as the engines write it, pending."""
    key = key or f"eligibility:{merchant.pk}:{uuid.uuid4().hex[:8]}"
    notifications_create(
        drafts_for_merchant(
            merchant_id=merchant.pk,
            kind=kind,
            key=key,
            payload=payload
            or {
                "program": "source_power",
                "program_name": "Source Power",
                "program_name_zh": "源头力量",
                "eligible": kind == GAINED,
            },
        )
    )
    return Notification.objects.get(dedupe_key=f"{key}:in_app")


def webhook_rows():
    return Notification.objects.filter(channel=NotificationChannel.WEBHOOK)


def ping(endpoint) -> Notification:
    """A webhook delivery in the outbox, pending (its on-commit task never runs in a test
    transaction: the test delivers it)."""
    return webhooks.webhook_ping(endpoint=endpoint)


# Fan-out ------------------------------------------------------------------------------------------
class TestFanOut:
    def test_one_row_per_matching_endpoint_and_none_for_the_others(self):
        belt, other_belt = IndustrialBeltFactory(), IndustrialBeltFactory()
        merchant = MerchantFactory(belt=belt)
        serving = OperationCenterFactory(belts=[belt])
        elsewhere = OperationCenterFactory(belts=[other_belt])
        own = WebhookEndpointFactory(merchant=merchant, events=[GAINED, LOST])
        center = WebhookEndpointFactory(merchant=None, operation_center=serving, events=[GAINED])
        # None of these may receive it:
        WebhookEndpointFactory(merchant=merchant, events=[LOST])  # not subscribed
        WebhookEndpointFactory(merchant=merchant, events=[GAINED], is_active=False)
        WebhookEndpointFactory(merchant=MerchantFactory(belt=belt), events=[GAINED])
        WebhookEndpointFactory(merchant=None, operation_center=elsewhere, events=[GAINED])

        source = in_app_for(merchant)
        notifications_deliver(notification_ids=[source.pk])

        rows = {row.webhook_endpoint_id: row for row in webhook_rows()}
        assert set(rows) == {own.pk, center.pk}
        for endpoint_id, row in rows.items():
            assert row.dedupe_key == f"{source.dedupe_key}:webhook:{endpoint_id}"
            assert row.kind == GAINED
            assert row.merchant_id == merchant.pk
            assert row.status == NotificationStatus.PENDING
            assert row.delivery_id is not None
            assert row.payload["program"] == "source_power"
        source.refresh_from_db()
        assert source.status == NotificationStatus.DELIVERED

    def test_a_second_delivery_or_fan_out_writes_nothing_more(self):
        merchant = MerchantFactory()
        WebhookEndpointFactory(merchant=merchant, events=[GAINED])
        source = in_app_for(merchant)
        notifications_deliver(notification_ids=[source.pk])
        notifications_deliver(notification_ids=[source.pk])
        webhooks.webhook_fan_out(notifications=[source])
        assert webhook_rows().count() == 1

    def test_kinds_no_endpoint_may_subscribe_to_and_personal_messages_fan_out_to_nobody(self):
        merchant = MerchantFactory()
        user = UserFactory()
        WebhookEndpointFactory(merchant=merchant, events=[GAINED])
        general = in_app_for(merchant, kind=NotificationKind.GENERAL)
        personal = Notification.objects.create(
            recipient=user, merchant=merchant, kind=GAINED, subject="x", dedupe_key="personal"
        )
        notifications_deliver(notification_ids=[general.pk, personal.pk])
        assert not webhook_rows().exists()

    def test_fan_out_costs_a_fixed_number_of_queries(self):
        belt = IndustrialBeltFactory()
        center = OperationCenterFactory(belts=[belt])

        def fan_out(count: int) -> int:
            merchants = MerchantFactory.create_batch(count, belt=belt)
            for merchant in merchants:
                WebhookEndpointFactory.create_batch(2, merchant=merchant, events=[GAINED])
            WebhookEndpointFactory(merchant=None, operation_center=center, events=[GAINED])
            sources = [in_app_for(merchant) for merchant in merchants]
            with CaptureQueriesContext(connection) as queries:
                webhooks.webhook_fan_out(notifications=sources)
            return len(queries)

        assert fan_out(1) == fan_out(6)
        # 1 merchant x 3 endpoints, then 6 x (2 own + 2 centers'), one row each.
        assert webhook_rows().count() == 3 + 6 * 4

    def test_rows_without_texts_like_the_sql_engines_are_rendered_in_both_languages(self, receiver):
        merchant = MerchantFactory()
        endpoint = WebhookEndpointFactory(merchant=merchant, url=receiver.url(), events=[GAINED])
        source = in_app_for(merchant)
        assert "texts" not in source.payload
        notifications_deliver(notification_ids=[source.pk])
        (row,) = webhook_rows()
        notifications_deliver(notification_ids=[row.pk])

        (request,) = receiver.requests
        body = json.loads(request.body)
        assert body["id"] == str(row.delivery_id)
        assert body["event"] == "eligibility_gained"
        assert datetime.datetime.fromisoformat(body["created_at"]) == row.created_at
        data = body["data"]
        assert data["merchant"] == merchant.pk
        assert data["payload"] == {
            "program": "source_power",
            "program_name": "Source Power",
            "program_name_zh": "源头力量",
            "eligible": True,
        }
        assert data["subject"]["en"] == "You are eligible for Source Power"
        assert "源头力量" in data["subject"]["zh-hans"]
        assert set(data["body"]) == {"en", "zh-hans"}
        assert endpoint.secret not in request.body.decode()


# Delivery -----------------------------------------------------------------------------------------
class TestDelivery:
    def test_signed_post_that_verifies_with_the_secret(self, receiver):
        merchant = MerchantFactory()
        endpoint = WebhookEndpointFactory(merchant=merchant, url=receiver.url())
        delivery = ping(endpoint)
        before = int(time.time())
        assert notifications_deliver(notification_ids=[delivery.pk]) == {
            "delivered": 1,
            "failed": 0,
        }

        (request,) = receiver.requests
        assert request.path == "/hooks/belt-ops"
        headers = {name.lower(): value for name, value in request.headers.items()}
        assert headers["content-type"] == "application/json"
        assert headers["belt-ops-delivery"] == str(delivery.delivery_id)
        assert headers["belt-ops-event"] == "ping"
        assert headers["host"] == f"127.0.0.1:{receiver.port}"
        timestamp = verify_signature(headers["belt-ops-signature"], request.body, endpoint.secret)
        assert before <= timestamp <= int(time.time())
        with pytest.raises(AssertionError):
            verify_signature(headers["belt-ops-signature"], request.body, "whsec_another")
        body = json.loads(request.body)
        assert body["event"] == "ping"
        assert body["data"]["payload"] == {"endpoint": endpoint.pk, "url": endpoint.url}
        assert body["data"]["subject"]["en"] == "Webhook test"

        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.DELIVERED
        assert delivery.response_code == 200
        assert delivery.latency_ms is not None
        assert delivery.attempts == 1

    def test_delivering_twice_sends_once(self, receiver):
        delivery = ping(WebhookEndpointFactory(url=receiver.url()))
        notifications_deliver(notification_ids=[delivery.pk])
        assert notifications_deliver(notification_ids=[delivery.pk]) == {
            "delivered": 0,
            "failed": 0,
        }
        deliver_task.delay([delivery.pk])
        assert len(receiver.requests) == 1

    def test_a_500_then_a_200_is_retried_by_the_task_and_delivered_once(self, receiver):
        receiver.reply(500, 200)
        delivery = ping(WebhookEndpointFactory(url=receiver.url()))
        # Eager and not propagating: the task's retry runs at once (a worker would wait out
        # the countdown).
        deliver_task.apply(args=[[delivery.pk]], throw=False)

        assert len(receiver.requests) == 2
        ids = {request.headers["Belt-Ops-Delivery"] for request in receiver.requests}
        assert ids == {str(delivery.delivery_id)}
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.DELIVERED
        assert delivery.attempts == 2
        assert delivery.response_code == 200
        assert delivery.last_error == ""
        assert delivery.next_attempt_at is None

        deliver_task.delay([delivery.pk])
        assert len(receiver.requests) == 2

    def test_the_tasks_retry_waits_the_rows_jittered_backoff(self, receiver):
        receiver.default = (502, 0.0)
        endpoint = WebhookEndpointFactory(url=receiver.url())
        countdowns = []
        for _delivery in range(3):
            delivery = ping(endpoint)
            with pytest.raises(Retry) as raised:
                deliver_task.delay([delivery.pk])
            delivery.refresh_from_db()
            wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
            assert abs(raised.value.when - wait) < 2
            countdowns.append(raised.value.when)
        assert all(15 <= countdown <= 30 for countdown in countdowns)
        assert len(set(countdowns)) == 3

    def test_a_slow_receiver_times_out_and_is_retried_later(self, receiver, settings):
        settings.WEBHOOK_TIMEOUT = 0.3
        receiver.reply((200, 1.5))
        delivery = ping(WebhookEndpointFactory(url=receiver.url()))
        started = time.monotonic()
        with pytest.raises(TransientDeliveryError) as raised:
            notifications_deliver(notification_ids=[delivery.pk])
        assert time.monotonic() - started < 1.2
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.PENDING
        assert delivery.attempts == 1
        assert "Timeout" in delivery.last_error
        assert delivery.response_code is None
        assert delivery.latency_ms >= 250
        assert delivery.claimed_at is None
        # The backoff, with its jitter, is what the task waits and what the sweeper respects.
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        assert 10 < wait <= 30
        assert abs(raised.value.retry_after - wait) < 5
        Notification.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - sweep_after() * 2
        )
        assert delivery.pk not in notifications_stale_ids()
        assert delivery.pk in notifications_stale_ids(now=delivery.next_attempt_at)

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (400, NotificationStatus.FAILED),
            (410, NotificationStatus.FAILED),
            (301, NotificationStatus.FAILED),
            (408, NotificationStatus.PENDING),
            (429, NotificationStatus.PENDING),
            (503, NotificationStatus.PENDING),
        ],
    )
    def test_client_errors_fail_for_good_others_are_retried(self, receiver, code, status):
        receiver.reply(code)
        delivery = ping(WebhookEndpointFactory(url=receiver.url()))
        try:
            notifications_deliver(notification_ids=[delivery.pk])
        except TransientDeliveryError:
            assert status == NotificationStatus.PENDING
        delivery.refresh_from_db()
        assert delivery.status == status
        assert delivery.response_code == code
        assert str(code) in delivery.last_error

    def test_a_receiver_that_is_down_is_transient(self, receiver):
        endpoint = WebhookEndpointFactory(url=receiver.url())
        with socket.socket() as sock:  # a port with nobody listening
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=f"http://127.0.0.1:{port}/")
        delivery = ping(endpoint)
        with pytest.raises(TransientDeliveryError):
            notifications_deliver(notification_ids=[delivery.pk])
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.PENDING
        assert delivery.last_error

    def test_the_sweeper_sends_stale_webhooks_each_in_a_task(self, receiver):
        endpoint = WebhookEndpointFactory(url=receiver.url())
        deliveries = [ping(endpoint), ping(endpoint)]
        Notification.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            created_at=timezone.now() - sweep_after() * 2
        )
        assert notifications_sweep() == 2
        assert len(receiver.requests) == 2
        assert webhook_rows().filter(status=NotificationStatus.DELIVERED).count() == 2

    def test_a_switched_off_endpoint_gets_nothing_but_pings(self, receiver):
        merchant = MerchantFactory()
        endpoint = WebhookEndpointFactory(merchant=merchant, url=receiver.url())
        source = in_app_for(merchant)
        notifications_deliver(notification_ids=[source.pk])
        (row,) = webhook_rows()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
        notifications_deliver(notification_ids=[row.pk])
        row.refresh_from_db()
        assert row.status == NotificationStatus.FAILED
        assert not receiver.requests
        endpoint.refresh_from_db()
        assert endpoint.consecutive_failures == 0  # not the receiver's fault

        notifications_deliver(notification_ids=[ping(endpoint).pk])
        assert len(receiver.requests) == 1


def test_retry_delays_grow_and_are_jittered():
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1800), (12, 1800)]:
        delays = {retry_delay(attempts) for _ in range(20)}
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(delays) > 1


# Disabling ----------------------------------------------------------------------------------------
class TestDisabling:
    def test_a_run_of_failures_switches_the_endpoint_off_and_tells_the_owner(
        self, receiver, settings, django_capture_on_commit_callbacks
    ):
        settings.WEBHOOK_DISABLE_AFTER = 3
        receiver.default = (410, 0.0)
        merchant = MerchantFactory()
        owner = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user
        operator = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user
        endpoint = WebhookEndpointFactory(merchant=merchant, url=receiver.url())

        for _attempt in range(2):
            notifications_deliver(notification_ids=[ping(endpoint).pk])
        endpoint.refresh_from_db()
        assert (endpoint.is_active, endpoint.consecutive_failures) == (True, 2)

        with django_capture_on_commit_callbacks(execute=True):
            notifications_deliver(notification_ids=[ping(endpoint).pk])
        endpoint.refresh_from_db()
        assert endpoint.is_active is False
        assert endpoint.disabled_at is not None
        assert endpoint.consecutive_failures == 3

        told = Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED)
        assert {(n.recipient_id, n.channel) for n in told} == {
            (owner.pk, NotificationChannel.IN_APP),
            (owner.pk, NotificationChannel.EMAIL),
        }
        assert all(n.status == NotificationStatus.DELIVERED for n in told)
        assert endpoint.url in told.get(channel=NotificationChannel.IN_APP).subject
        (email,) = mail.outbox
        assert email.to == [owner.email]
        assert operator.email not in email.to

        # Further failures (of pings) tell nobody again.
        notifications_deliver(notification_ids=[ping(endpoint).pk])
        assert told.count() == 2

    def test_a_center_endpoint_tells_the_centers_staff(self, receiver, settings):
        settings.WEBHOOK_DISABLE_AFTER = 1
        receiver.default = (404, 0.0)
        center = OperationCenterFactory()
        staff = OperationCenterMembershipFactory.create_batch(2, center=center)
        OperationCenterMembershipFactory()  # another center's
        endpoint = WebhookEndpointFactory(
            merchant=None, operation_center=center, url=receiver.url()
        )
        notifications_deliver(notification_ids=[ping(endpoint).pk])
        told = Notification.objects.filter(
            kind=NotificationKind.WEBHOOK_DISABLED, channel=NotificationChannel.IN_APP
        )
        assert {n.recipient_id for n in told} == {m.user_id for m in staff}

    def test_a_delivered_one_starts_the_run_over(self, receiver, settings):
        settings.WEBHOOK_DISABLE_AFTER = 3
        receiver.reply(400, 400, 200, 400, 400)
        endpoint = WebhookEndpointFactory(url=receiver.url())
        for _attempt in range(5):
            notifications_deliver(notification_ids=[ping(endpoint).pk])
        endpoint.refresh_from_db()
        assert (endpoint.is_active, endpoint.consecutive_failures) == (True, 2)

    def test_exhausted_retries_count_as_a_failure(self, receiver, settings):
        settings.WEBHOOK_DISABLE_AFTER = 1
        receiver.reply(503)
        endpoint = WebhookEndpointFactory(url=receiver.url())
        delivery = ping(endpoint)
        Notification.objects.filter(pk=delivery.pk).update(attempts=MAX_ATTEMPTS - 1)
        assert notifications_deliver(notification_ids=[delivery.pk]) == {
            "delivered": 0,
            "failed": 1,
        }
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.FAILED
        endpoint.refresh_from_db()
        assert endpoint.is_active is False


# The SSRF guard -----------------------------------------------------------------------------------
REFUSED_URLS = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://10.0.0.8/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.10/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.100.100.200/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://[fe80::1]/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://localhost/hook",
    "https://localhost./hook",
    "http://8.8.8.8/hook",
    "ftp://8.8.8.8/hook",
    "https://user:password@8.8.8.8/hook",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_the_guard_refuses_private_local_and_plain_addresses(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(WebhookError) as raised:
        webhooks.webhook_endpoint_create(
            merchant=MerchantFactory(), url=url, events=[GAINED], actor=None
        )
    assert raised.value.field == "url"
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "192.168.0.1",
        "100.64.0.1",
        "198.18.0.1",
        "fc00::1",
        "ff02::1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
        "::",
        "169.254.169.254",
    ],
)
def test_forbidden_addresses(address):
    assert address_is_forbidden(address_of(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert not address_is_forbidden(address_of(address))


def test_only_metadata_stays_forbidden_when_private_addresses_are_allowed():
    assert not address_is_forbidden(address_of("127.0.0.1"), allow_private=True)
    assert not address_is_forbidden(address_of("10.0.0.1"), allow_private=True)
    assert address_is_forbidden(address_of("169.254.169.254"), allow_private=True)
    assert address_is_forbidden(address_of("::ffff:169.254.169.254"), allow_private=True)


def address_of(text):
    return ipaddress.ip_address(text)


def fake_dns(monkeypatch, names: dict[str, str]):
    """Resolve these names to these addresses; everything else as usual."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_every_resolved_address_is_checked(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    real = socket.getaddrinfo

    def two_addresses(host, port, *args, **kwargs):
        if host == "mixed.example":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port)),
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    with pytest.raises(WebhookError):
        webhooks.webhook_endpoint_create(
            merchant=MerchantFactory(), url="https://mixed.example/", events=[GAINED], actor=None
        )


def test_the_guard_runs_again_at_delivery_so_dns_rebinding_is_refused(
    receiver, settings, monkeypatch
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    fake_dns(monkeypatch, {"rebind.example": "8.8.8.8"})
    endpoint = webhooks.webhook_endpoint_create(
        merchant=MerchantFactory(),
        url=f"https://rebind.example:{receiver.port}/hook",
        events=[GAINED],
        actor=None,
    )
    fake_dns(monkeypatch, {"rebind.example": "127.0.0.1"})
    delivery = ping(endpoint)
    assert notifications_deliver(notification_ids=[delivery.pk])["failed"] == 1
    delivery.refresh_from_db()
    assert delivery.status == NotificationStatus.FAILED
    assert "private" in delivery.last_error
    assert not receiver.requests


def test_an_endpoint_saved_while_private_was_allowed_is_refused_once_it_is_not(receiver, settings):
    delivery = ping(WebhookEndpointFactory(url=receiver.url()))
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    notifications_deliver(notification_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == NotificationStatus.FAILED
    assert not receiver.requests


def test_the_request_goes_to_the_checked_address_under_the_host_name(receiver, monkeypatch):
    fake_dns(monkeypatch, {"receiver.test": "127.0.0.1"})
    target = webhook_target(f"http://receiver.test:{receiver.port}/in?x=1")
    assert (target.address, target.host, target.path) == ("127.0.0.1", "receiver.test", "/in?x=1")
    endpoint = WebhookEndpointFactory(url=f"http://receiver.test:{receiver.port}/in?x=1")
    notifications_deliver(notification_ids=[ping(endpoint).pk])
    (request,) = receiver.requests
    assert request.path == "/in?x=1"
    assert request.headers["Host"] == f"receiver.test:{receiver.port}"


# Endpoint services --------------------------------------------------------------------------------
class TestEndpointServices:
    def create(self, **kwargs):
        values = {
            "merchant": MerchantFactory(),
            "url": "https://hooks.example.com/in",
            "events": [GAINED],
            "actor": None,
        }
        return webhooks.webhook_endpoint_create(**{**values, **kwargs})

    def test_create_makes_a_secret_and_keeps_events_once_each(self):
        endpoint = self.create(events=[GAINED, LOST, GAINED], description="  ERP  ")
        assert endpoint.secret.startswith("whsec_")
        assert len(endpoint.secret) > 40
        assert endpoint.events == [GAINED, LOST]
        assert endpoint.description == "ERP"
        assert endpoint.is_active

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"events": []}, "events"),
            ({"events": ["ping"]}, "events"),
            ({"events": ["webhook_disabled"]}, "events"),
            ({"url": "https://hooks.example.com/" + "a" * 480}, "url"),
            ({"url": "not a url"}, "url"),
            ({"description": "x" * 201}, "description"),
        ],
    )
    def test_create_refuses_bad_input(self, kwargs, field):
        with pytest.raises(WebhookError) as raised:
            self.create(**kwargs)
        assert raised.value.field == field

    def test_exactly_one_owner(self):
        with pytest.raises(WebhookError):
            self.create(operation_center=OperationCenterFactory())
        with pytest.raises(WebhookError):
            self.create(merchant=None)

    def test_no_more_than_twenty_per_owner(self):
        merchant = MerchantFactory()
        WebhookEndpointFactory.create_batch(20, merchant=merchant)
        with pytest.raises(WebhookError) as raised:
            self.create(merchant=merchant)
        assert raised.value.code == "too_many"
        self.create(merchant=MerchantFactory())  # another owner's count is its own

    def test_update_changes_only_what_is_given(self):
        endpoint = self.create(events=[GAINED], description="ERP")
        webhooks.webhook_endpoint_update(endpoint=endpoint, events=[LOST])
        endpoint.refresh_from_db()
        assert (endpoint.events, endpoint.description) == ([LOST], "ERP")
        assert endpoint.url == "https://hooks.example.com/in"

    def test_switching_on_again_starts_the_run_over(self):
        endpoint = self.create()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False, consecutive_failures=10, disabled_at=timezone.now()
        )
        updated = webhooks.webhook_endpoint_update(endpoint=endpoint, is_active=True)
        assert (updated.is_active, updated.consecutive_failures, updated.disabled_at) == (
            True,
            0,
            None,
        )

    def test_rotate_replaces_the_secret(self):
        endpoint = self.create()
        old = endpoint.secret
        webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint)
        endpoint.refresh_from_db()
        assert endpoint.secret != old

    def test_delete_takes_the_deliveries_along(self):
        endpoint = WebhookEndpointFactory()
        ping(endpoint)
        webhooks.webhook_endpoint_delete(endpoint=endpoint)
        assert not webhook_rows().exists()

    def test_a_ping_is_a_pending_delivery_of_its_own(self):
        endpoint = WebhookEndpointFactory(merchant=None, operation_center=OperationCenterFactory())
        first, second = ping(endpoint), ping(endpoint)
        assert first.pk != second.pk
        assert first.delivery_id != second.delivery_id
        assert (first.kind, first.channel, first.status) == (
            NotificationKind.PING,
            NotificationChannel.WEBHOOK,
            NotificationStatus.PENDING,
        )
        assert first.merchant_id is None


def test_bilingual_texts_of_a_draft_reach_the_body(receiver):
    merchant = MerchantFactory()
    WebhookEndpointFactory(merchant=merchant, url=receiver.url(), events=[LOST])
    notifications_create(
        drafts_for_merchant(
            merchant_id=merchant.pk,
            kind=LOST,
            key="texts-test",
            texts=bilingual(lambda: ("Subject", "Body")),
        )
    )
    source = Notification.objects.get(dedupe_key="texts-test:in_app")
    notifications_deliver(notification_ids=[source.pk])
    notifications_deliver(notification_ids=list(webhook_rows().values_list("pk", flat=True)))
    data = json.loads(receiver.requests[0].body)["data"]
    assert data["subject"] == {"en": "Subject", "zh-hans": "Subject"}
    assert "texts" not in data["payload"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_does_not_stop_the_rest_of_the_batch(receiver):
    """Eager tasks (the embedded default): the webhook's task runs, and fails, as soon as the
    fan-out commits, inside the delivery of the in-app message; the e-mail of the same event,
    in the same batch, still goes out."""
    receiver.default = (500, 0.0)
    merchant = MerchantFactory()
    owner = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user
    WebhookEndpointFactory(merchant=merchant, url=receiver.url(), events=[GAINED])
    notifications_create(
        drafts_for_merchant(
            merchant_id=merchant.pk,
            kind=GAINED,
            key="batch-test",
            texts=bilingual(lambda: ("Eligible", "You are eligible")),
            emails=[(owner.pk, owner.email)],
        )
    )
    assert len(receiver.requests) == 1
    (row,) = webhook_rows()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert (
        not Notification.objects.exclude(channel=NotificationChannel.WEBHOOK)
        .exclude(status=NotificationStatus.DELIVERED)
        .exists()
    )


# HTTPS -------------------------------------------------------------------------------------------
class TestHTTPS:
    def test_the_checked_address_is_reached_with_sni_and_the_certificate_checked(
        self, tls_receiver, monkeypatch
    ):
        monkeypatch.setenv("SSL_CERT_FILE", str(TLS_CERT))
        fake_dns(monkeypatch, {"receiver.test": "127.0.0.1"})
        endpoint = WebhookEndpointFactory(url=tls_receiver.url(host="receiver.test"))
        delivery = ping(endpoint)
        notifications_deliver(notification_ids=[delivery.pk])
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.DELIVERED, delivery.last_error
        (request,) = tls_receiver.requests
        assert request.headers["Host"] == f"receiver.test:{tls_receiver.port}"
        verify_signature(request.headers["Belt-Ops-Signature"], request.body, endpoint.secret)

    @pytest.mark.parametrize("trusted", [False, True])
    def test_a_certificate_not_trusted_or_for_another_name_is_refused(
        self, tls_receiver, monkeypatch, trusted
    ):
        if trusted:  # trusted, but the address is not the certificate's name
            monkeypatch.setenv("SSL_CERT_FILE", str(TLS_CERT))
        fake_dns(monkeypatch, {"receiver.test": "127.0.0.1", "other.test": "127.0.0.1"})
        host = "other.test" if trusted else "receiver.test"
        delivery = ping(WebhookEndpointFactory(url=tls_receiver.url(host=host)))
        with pytest.raises(TransientDeliveryError):
            notifications_deliver(notification_ids=[delivery.pk])
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.PENDING
        assert "SSL" in delivery.last_error or "certificate" in delivery.last_error
        assert not tls_receiver.requests
