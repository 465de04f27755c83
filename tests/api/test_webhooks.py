"""Webhook endpoints through the API: a merchant's owner manages its endpoints and its operators
read them, a center's staff manage the center's, nobody else sees either; the secret shows on
create and rotate only; deliveries are listed newest first by cursor."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.choices import MembershipRole, NotificationKind, NotificationStatus
from merchants.models import Notification, WebhookEndpoint
from merchants.webhooks import webhook_ping
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    WebhookEndpointFactory,
)
from tests.merchants.receiver import verify_signature
from tests.utils.queries import assert_num_queries

from .base import AUTH_QUERIES, LIST, REFUSED

pytestmark = pytest.mark.django_db

GAINED = NotificationKind.ELIGIBILITY_GAINED.value
LOST = NotificationKind.ELIGIBILITY_LOST.value


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def list_url() -> str:
    return reverse("api:webhook-list")


def detail_url(endpoint, action: str = "detail") -> str:
    return reverse(f"api:webhook-{action}", args=[endpoint.pk])


def deliveries_url(endpoint) -> str:
    return reverse("api:webhook-delivery-list", kwargs={"endpoint_id": endpoint.pk})


@pytest.fixture
def merchant():
    return MerchantFactory()


@pytest.fixture
def owner(merchant):
    return MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OWNER).user


@pytest.fixture
def operator(merchant):
    return MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user


@pytest.fixture
def endpoint(merchant):
    return WebhookEndpointFactory(merchant=merchant, events=[GAINED], description="ERP")


@pytest.fixture
def stranger():
    """The owner of another merchant."""
    return MerchantMembershipFactory(role=MembershipRole.OWNER).user


def test_anonymous_is_refused(api_client, endpoint):
    for url in (list_url(), detail_url(endpoint), deliveries_url(endpoint)):
        assert api_client.get(url).status_code in REFUSED, url
    response = api_client.post(
        list_url(),
        {"merchant": endpoint.merchant_id, "url": "https://a.example/", "events": [GAINED]},
    )
    assert response.status_code in REFUSED
    assert api_client.post(detail_url(endpoint, "ping")).status_code in REFUSED
    assert WebhookEndpoint.objects.count() == 1


class TestOwner:
    def test_create_shows_the_secret_once(self, owner, merchant):
        client = client_for(owner)
        response = client.post(
            list_url(),
            {
                "merchant": merchant.pk,
                "url": "https://erp.example.com/belt-ops",
                "events": [GAINED, LOST],
                "description": "Our ERP",
            },
            format="json",
        )
        assert response.status_code == 201, response.data
        endpoint = WebhookEndpoint.objects.get(pk=response.data["id"])
        assert response.data["secret"] == endpoint.secret
        assert response.data["events"] == [GAINED, LOST]
        assert response.data["merchant"] == merchant.pk
        assert response.data["operation_center"] is None
        assert response.data["created_by"] == owner.username
        assert endpoint.created_by == owner

        read = client.get(detail_url(endpoint))
        assert read.status_code == 200
        assert "secret" not in read.data
        assert all("secret" not in row for row in client.get(list_url()).data["results"])

    def test_update_changes_only_what_is_sent(self, owner, endpoint):
        response = client_for(owner).patch(
            detail_url(endpoint), {"description": "Warehouse"}, format="json"
        )
        assert response.status_code == 200, response.data
        endpoint.refresh_from_db()
        assert (endpoint.description, endpoint.events) == ("Warehouse", [GAINED])
        assert "secret" not in response.data

    def test_put_is_not_offered(self, owner, endpoint):
        response = client_for(owner).put(
            detail_url(endpoint), {"url": "https://b.example/", "events": [LOST]}, format="json"
        )
        assert response.status_code == 405

    def test_switching_a_disabled_endpoint_on_again(self, owner, endpoint):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False, consecutive_failures=10
        )
        response = client_for(owner).patch(detail_url(endpoint), {"is_active": True}, format="json")
        assert response.status_code == 200
        assert (response.data["is_active"], response.data["consecutive_failures"]) == (True, 0)

    def test_delete(self, owner, endpoint):
        webhook_ping(endpoint=endpoint)
        assert client_for(owner).delete(detail_url(endpoint)).status_code == 204
        assert not WebhookEndpoint.objects.exists()
        assert not Notification.objects.filter(webhook_endpoint_id=endpoint.pk).exists()

    def test_rotate_secret(self, owner, endpoint):
        old = endpoint.secret
        response = client_for(owner).post(detail_url(endpoint, "rotate-secret"))
        assert response.status_code == 200
        endpoint.refresh_from_db()
        assert response.data["secret"] == endpoint.secret != old

    def test_ping_is_delivered_through_the_outbox(
        self, owner, endpoint, receiver, django_capture_on_commit_callbacks
    ):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url())
        endpoint.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(owner).post(detail_url(endpoint, "ping"))
        assert response.status_code == 202
        delivery = Notification.objects.get(webhook_endpoint=endpoint)
        assert response.data["id"] == str(delivery.delivery_id)
        assert response.data["event"] == "ping"
        (request,) = receiver.requests
        verify_signature(request.headers["Belt-Ops-Signature"], request.body, endpoint.secret)
        assert json.loads(request.body)["id"] == str(delivery.delivery_id)
        delivery.refresh_from_db()
        assert delivery.status == NotificationStatus.DELIVERED

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"url": "https://127.0.0.1/hook"}, "url"),
            ({"url": "http://8.8.8.8/hook"}, "url"),
            ({"url": "https://[::1]/hook"}, "url"),
            ({"url": "https://localhost/hook"}, "url"),
        ],
    )
    def test_unsafe_addresses_are_refused_in_the_error_shape(
        self, owner, merchant, settings, data, field
    ):
        settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
        response = client_for(owner).post(
            list_url(), {"merchant": merchant.pk, "events": [GAINED], **data}, format="json"
        )
        assert response.status_code == 400
        assert response.data["error"]["code"] == "unsafe_url"
        assert response.data["error"]["field"] == field
        assert not WebhookEndpoint.objects.exists()

    def test_input_is_bounded(self, owner, merchant):
        client = client_for(owner)
        base = {"merchant": merchant.pk, "url": "https://a.example/", "events": [GAINED]}
        for bad in (
            {"events": []},
            {"events": ["ping"]},
            {"events": [GAINED] * 7},
            {"url": "https://a.example/" + "x" * 500},
            {"description": "x" * 201},
            {"merchant": None},
        ):
            response = client.post(list_url(), {**base, **bad}, format="json")
            assert response.status_code == 400, bad
        assert not WebhookEndpoint.objects.exists()

    def test_no_more_than_twenty(self, owner, merchant):
        WebhookEndpointFactory.create_batch(20, merchant=merchant)
        response = client_for(owner).post(
            list_url(),
            {"merchant": merchant.pk, "url": "https://a.example/", "events": [GAINED]},
            format="json",
        )
        assert response.status_code == 400
        assert response.data["error"]["code"] == "too_many"


class TestOperator:
    def test_reads(self, operator, endpoint):
        client = client_for(operator)
        assert client.get(detail_url(endpoint)).status_code == 200
        assert [row["id"] for row in client.get(list_url()).data["results"]] == [endpoint.pk]
        assert client.get(deliveries_url(endpoint)).status_code == 200

    def test_does_not_write(self, operator, endpoint, merchant):
        client = client_for(operator)
        assert client.patch(detail_url(endpoint), {"description": "x"}).status_code == 403
        assert client.delete(detail_url(endpoint)).status_code == 403
        assert client.post(detail_url(endpoint, "ping")).status_code == 403
        assert client.post(detail_url(endpoint, "rotate-secret")).status_code == 403
        response = client.post(
            list_url(),
            {"merchant": merchant.pk, "url": "https://a.example/", "events": [GAINED]},
            format="json",
        )
        assert response.status_code == 400
        endpoint.refresh_from_db()
        assert endpoint.description == "ERP"
        assert WebhookEndpoint.objects.count() == 1
        assert not Notification.objects.exists()


class TestOutsiders:
    def test_another_merchants_user_sees_nothing(self, stranger, endpoint):
        client = client_for(stranger)
        assert client.get(list_url()).data["results"] == []
        for response in (
            client.get(detail_url(endpoint)),
            client.get(deliveries_url(endpoint)),
            client.patch(detail_url(endpoint), {"description": "x"}),
            client.delete(detail_url(endpoint)),
            client.post(detail_url(endpoint, "ping")),
            client.post(detail_url(endpoint, "rotate-secret")),
        ):
            assert response.status_code == 404
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    def test_another_merchant_is_refused_like_a_missing_one(self, stranger, merchant):
        client = client_for(stranger)
        answers = []
        for merchant_id in (merchant.pk, 2_000_000_000):
            response = client.post(
                list_url(),
                {"merchant": merchant_id, "url": "https://a.example/", "events": [GAINED]},
                format="json",
            )
            assert response.status_code == 400
            # The same answer but for the id the caller sent back.
            answers.append(str(response.data).replace(str(merchant_id), "<id>"))
        assert answers[0] == answers[1]
        response_data = response.data
        assert response_data["error"]["field"] == "merchant"
        assert response_data["error"]["details"][0]["code"] == "does_not_exist"
        assert not WebhookEndpoint.objects.exists()

    def test_center_staff_do_not_see_the_endpoints_of_merchants_they_serve(self, merchant):
        center = OperationCenterFactory(belts=[merchant.belt])
        staff = OperationCenterMembershipFactory(center=center).user
        WebhookEndpointFactory(merchant=merchant)
        assert client_for(staff).get(list_url()).data["count"] == 0


class TestCenterStaff:
    def test_manage_their_centers_endpoints_only(self):
        center, other = OperationCenterFactory(), OperationCenterFactory()
        staff = OperationCenterMembershipFactory(center=center).user
        client = client_for(staff)
        data = {"url": "https://center.example/in", "events": [GAINED]}
        response = client.post(list_url(), {**data, "operation_center": center.pk}, format="json")
        assert response.status_code == 201, response.data
        assert response.data["operation_center"] == center.pk
        refused = client.post(list_url(), {**data, "operation_center": other.pk}, format="json")
        assert refused.status_code == 400
        both = client.post(
            list_url(),
            {**data, "operation_center": center.pk, "merchant": MerchantFactory().pk},
            format="json",
        )
        assert both.status_code == 400

        theirs = WebhookEndpointFactory(merchant=None, operation_center=other)
        assert client.get(detail_url(theirs)).status_code == 404
        ours = WebhookEndpoint.objects.get(pk=response.data["id"])
        assert client.patch(detail_url(ours), {"events": [LOST]}, format="json").status_code == 200
        assert [row["id"] for row in client.get(list_url()).data["results"]] == [ours.pk]

    def test_superuser_sees_every_endpoint(self, endpoint):
        theirs = WebhookEndpointFactory(merchant=None, operation_center=OperationCenterFactory())
        response = client_for(SuperUserFactory()).get(list_url())
        assert {row["id"] for row in response.data["results"]} == {endpoint.pk, theirs.pk}


class TestDeliveries:
    def test_newest_first_by_cursor(self, owner, endpoint):
        deliveries = [webhook_ping(endpoint=endpoint) for _ in range(5)]
        Notification.objects.filter(pk=deliveries[0].pk).update(
            status=NotificationStatus.FAILED,
            attempts=3,
            response_code=500,
            latency_ms=42,
            last_error="The receiver answered 500.",
        )
        client = client_for(owner)
        first = client.get(deliveries_url(endpoint), {"page_size": 2}).data
        assert [row["id"] for row in first["results"]] == [
            str(d.delivery_id) for d in reversed(deliveries[-2:])
        ]
        assert "count" not in first
        seen = [row["id"] for row in first["results"]]
        page = first
        while page["next"]:
            page = client.get(page["next"]).data
            seen += [row["id"] for row in page["results"]]
        assert seen == [str(d.delivery_id) for d in reversed(deliveries)]
        oldest = page["results"][-1]
        assert oldest == {
            "id": str(deliveries[0].delivery_id),
            "event": "ping",
            "status": "failed",
            "attempts": 3,
            "response_code": 500,
            "latency_ms": 42,
            "last_error": "The receiver answered 500.",
            "next_attempt_at": None,
            "created_at": oldest["created_at"],
            "delivered_at": None,
        }

    def test_only_this_endpoints(self, owner, endpoint, merchant):
        other = WebhookEndpointFactory(merchant=merchant)
        webhook_ping(endpoint=other)
        mine = webhook_ping(endpoint=endpoint)
        rows = client_for(owner).get(deliveries_url(endpoint)).data["results"]
        assert [row["id"] for row in rows] == [str(mine.delivery_id)]


class TestQueryCounts:
    def test_endpoint_list(self, owner, merchant):
        client = client_for(owner)
        expected = AUTH_QUERIES + LIST
        for count in (3, 20):
            WebhookEndpointFactory.create_batch(
                count - WebhookEndpoint.objects.count(), merchant=merchant
            )
            with assert_num_queries(expected, f"{count} endpoints"):
                response = client.get(list_url())
            assert response.data["count"] == count

    def test_delivery_list(self, owner, endpoint):
        client = client_for(owner)
        # The session and user, the endpoint (in scope?), the page: no count.
        expected = AUTH_QUERIES + 1 + 1
        for count in (3, 30):
            for _ in range(count - Notification.objects.count()):
                webhook_ping(endpoint=endpoint)
            with assert_num_queries(expected, f"{count} deliveries"):
                response = client.get(deliveries_url(endpoint))
            assert len(response.data["results"]) == count
