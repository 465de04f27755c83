"""The logistics API: shipments created with their legs, hand-overs recorded in order by the
providers' keys (photos as multipart, checked and stripped), incidents reported, attributed in
the reader's language, attributed again after a correction, and resolved; scope as everywhere
(out of scope is a 404, a body naming a row out of scope a 400 worded as for a missing one)."""

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from logistics.choices import Condition, IncidentKind, IncidentStatus, ShipmentStatus
from logistics.exceptions import LogisticsForbidden
from logistics.models import ConditionCheck, ConditionCheckPhoto, Incident, ProviderMembership
from logistics.services.provider_keys import provider_api_key_create, provider_api_key_revoke
from merchants.choices import NotificationChannel, NotificationKind
from merchants.exceptions import ApiKeyForbidden
from merchants.models import ApiKey, Notification, WebhookEndpoint
from tests.belts.factories import CityFactory, OperationCenterFactory, SuperUserFactory
from tests.logistics.factories import ServiceProviderFactory
from tests.logistics.world import chain_world, image_bytes, new_shipment
from tests.merchants.factories import ApiKeyFactory, WebhookEndpointFactory
from tests.utils.queries import assert_num_queries

from .base import AUTH_QUERIES, CURSOR_LIST, list_ids

pytestmark = pytest.mark.django_db

# A shipment's detail: the shipment, its legs, hand-overs, their photos, its incidents.
DETAIL = 5


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def chain():
    return chain_world()


@pytest.fixture
def provider_keys(chain) -> dict[int, APIClient]:
    """A client with a key of each provider of the chain, by provider id."""
    clients = {}
    for provider in chain.providers:
        _, raw_key = provider_api_key_create(actor=None, provider=provider, name="Scanner")
        clients[provider.pk] = key_client(raw_key)
    return clients


@pytest.fixture
def media(settings, tmp_path):
    """Photos stored as files under a MEDIA_ROOT of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def stored_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def checks_url(shipment) -> str:
    return reverse("api:shipment-check-list", kwargs={"shipment_id": shipment.pk})


def check_url(shipment, index: int) -> str:
    return reverse("api:shipment-check-detail", kwargs={"shipment_id": shipment.pk, "index": index})


def at(chain, hours: float) -> str:
    return (chain.start + datetime.timedelta(hours=hours)).isoformat()


def giver_client(chain, provider_keys, index: int) -> APIClient:
    """The key of the provider giving the goods at hand-over ``index`` (receiving at 0)."""
    sequence = max(index, 1)
    return provider_keys[chain.shipment.legs.get(sequence=sequence).provider_id]


def record(chain, provider_keys, index: int, condition=Condition.INTACT, **extra):
    body = {"index": index, "condition": condition, "checked_at": at(chain, 1 + index * 20)}
    return giver_client(chain, provider_keys, index).post(
        checks_url(chain.shipment), {**body, **extra}, format="json"
    )


def shipment_body(chain, **extra) -> dict:
    providers = chain.providers
    return {
        "order_reference": "ORD-API-1",
        "item_description": "Three-seat leather sofa",
        "declared_value": "8800.00",
        "destination_city": CityFactory().pk,
        "promised_delivery_on": "2026-12-20",
        "legs": [
            {"kind": "pickup", "provider": providers[0].pk, "sla_due_at": at(chain, 300)},
            {"kind": "last_mile", "provider": providers[1].pk, "sla_due_at": at(chain, 400)},
            {"kind": "installation", "provider": providers[2].pk, "sla_due_at": at(chain, 500)},
        ],
        **extra,
    }


# Shipments -------------------------------------------------------------------------------------
class TestShipments:
    def test_a_merchant_key_creates_one_for_its_own_merchant(self, chain):
        client = key_client(ApiKeyFactory(merchant=chain.served.merchant).raw_key)
        response = client.post(reverse("api:shipment-list"), shipment_body(chain), format="json")
        assert response.status_code == 201, response.data
        assert response.data["merchant"]["id"] == chain.served.merchant.pk
        assert [leg["kind"] for leg in response.data["legs"]] == [
            "pickup",
            "last_mile",
            "installation",
        ]
        assert [leg["sequence"] for leg in response.data["legs"]] == [1, 2, 3]
        assert [step["index"] for step in response.data["handovers"]] == [0, 1, 2, 3]
        assert response.data["status"] == ShipmentStatus.CREATED
        assert response.data["position"].startswith("Waiting for pickup")
        detail = client.get(reverse("api:shipment-detail", args=[response.data["id"]]))
        assert detail.status_code == 200
        assert detail.data == response.data

    def test_staff_name_the_merchant(self, chain):
        client = session_client(chain.reviewer)
        url = reverse("api:shipment-list")
        missing = client.post(url, shipment_body(chain), format="json")
        assert missing.status_code == 400
        assert missing.data["error"]["field"] == "merchant"
        response = client.post(
            url, shipment_body(chain, merchant=chain.served.merchant.pk), format="json"
        )
        assert response.status_code == 201, response.data

    def test_a_staff_key_of_the_serving_center_creates_one(self, chain):
        client = key_client(ApiKeyFactory(center=chain.served.center).raw_key)
        response = client.post(
            reverse("api:shipment-list"),
            shipment_body(chain, merchant=chain.served.merchant.pk),
            format="json",
        )
        assert response.status_code == 201, response.data

    def test_another_centers_key_sees_nothing_and_creates_nothing(self, chain):
        client = key_client(ApiKeyFactory(center=OperationCenterFactory()).raw_key)
        before = chain.served.merchant.shipments.count()
        response = client.post(
            reverse("api:shipment-list"),
            shipment_body(chain, merchant=chain.served.merchant.pk),
            format="json",
        )
        # A merchant out of scope in a body reads as one that does not exist: 400 on the field.
        assert response.status_code == 400
        assert response.data["error"]["field"] == "merchant"
        assert chain.served.merchant.shop_name not in str(response.data)
        assert chain.served.merchant.shipments.count() == before
        detail = client.get(reverse("api:shipment-detail", args=[chain.shipment.pk]))
        assert detail.status_code == 404
        assert detail.data["error"]["code"] == "not_found"
        assert client.get(checks_url(chain.shipment)).status_code == 404
        assert list_ids(client, reverse("api:shipment-list")) == []

    def test_a_provider_key_creates_no_shipment(self, chain, provider_keys):
        client = provider_keys[chain.providers[0].pk]
        response = client.post(
            reverse("api:shipment-list"),
            shipment_body(chain, merchant=chain.served.merchant.pk),
            format="json",
        )
        assert response.status_code == 403
        assert set(response.data["error"]) == {"code", "message", "field", "details"}

    def test_bad_legs_are_refused_whole(self, chain):
        client = session_client(chain.owner)
        body = shipment_body(chain)
        body["legs"][1]["sla_due_at"] = at(chain, 1)  # before the pickup's
        response = client.post(reverse("api:shipment-list"), body, format="json")
        assert response.status_code == 400
        assert response.data["error"]["code"] == "invalid_legs"
        assert response.data["error"]["details"][0]["index"] == 1
        assert not chain.served.merchant.shipments.filter(order_reference="ORD-API-1").exists()

    def test_filters_and_flags(self, chain):
        other = new_shipment(chain, order="ORD-CHAIN-2", hours=(10**4, 10**4, 10**4, 10**4))
        client = session_client(chain.owner)
        url = reverse("api:shipment-list")
        rows = {row["id"]: row for row in client.get(url).data["results"]}
        # The chain's first leg was due 24 h after a start ten days ago: overdue.
        assert rows[chain.shipment.pk]["is_overdue"] is True
        assert rows[other.pk]["is_overdue"] is False
        assert list_ids(client, url, {"overdue": "true"}) == [chain.shipment.pk]
        assert list_ids(client, url, {"overdue": "false"}) == [other.pk]
        Incident.objects.create(
            shipment=other, kind=IncidentKind.DAMAGE, reported_at=chain.start, description=""
        )
        assert list_ids(client, url, {"damaged": "true"}) == [other.pk]
        assert list_ids(client, url, {"has_open_incident": "true"}) == [other.pk]
        assert list_ids(client, url, {"status": "created"}) == [other.pk, chain.shipment.pk]
        assert list_ids(client, url, {"merchant": chain.served.merchant.pk + 1000}) == []
        future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).isoformat()
        assert list_ids(client, url, {"created_after": future}) == []
        assert len(list_ids(client, url, {"created_before": future})) == 2
        refused = client.get(url, {"created_after": "yesterday"})
        assert refused.status_code == 400
        assert refused.data["error"]["field"] == "created_after"

    def test_list_query_count_is_fixed(self, chain):
        client = session_client(chain.owner)
        url = reverse("api:shipment-list")
        for count in range(2, 12):
            new_shipment(chain, order=f"ORD-MANY-{count}")
        for size in (2, 11):
            with assert_num_queries(AUTH_QUERIES + CURSOR_LIST, f"a page of {size}"):
                response = client.get(url, {"page_size": size})
            assert len(response.data["results"]) == size

    def test_the_detail_costs_the_same_queries_whatever_the_chain_holds(self, chain, provider_keys):
        client = session_client(chain.owner)
        url = reverse("api:shipment-detail", args=[chain.shipment.pk])
        assert record(chain, provider_keys, 0).status_code == 201
        with assert_num_queries(AUTH_QUERIES + DETAIL, "one hand-over"):
            client.get(url)
        for index in (1, 2, 3):
            assert record(chain, provider_keys, index).status_code == 201
        client.post(
            reverse("api:incident-list"),
            {"shipment": chain.shipment.pk, "kind": "damage"},
            format="json",
        )
        with assert_num_queries(AUTH_QUERIES + DETAIL, "four hand-overs and an incident"):
            response = client.get(url)
        assert [step["recorded"] for step in response.data["handovers"]] == [True] * 4 + [False]
        assert response.data["handovers"][2]["check"]["giver_leg"] == 2

    def test_a_provider_key_lists_the_shipments_it_carries(self, chain, provider_keys):
        other_provider = ServiceProviderFactory(name="Carrier Z")
        elsewhere = new_shipment(
            chain, order="ORD-CHAIN-Z", providers=[other_provider, other_provider] * 2
        )
        carrier = provider_keys[chain.providers[1].pk]
        assert list_ids(carrier, reverse("api:shipment-list")) == [chain.shipment.pk]
        assert carrier.get(reverse("api:shipment-detail", args=[elsewhere.pk])).status_code == 404
        assert (
            carrier.get(reverse("api:shipment-detail", args=[chain.shipment.pk])).status_code == 200
        )


# Hand-overs ------------------------------------------------------------------------------------
class TestHandovers:
    def test_in_order_by_the_providers_with_a_jpeg_stripped_of_its_exif(
        self, chain, provider_keys, media
    ):
        original = image_bytes("JPEG", exif=True)
        assert Image.open(io.BytesIO(original)).getexif()  # the phone's EXIF is there
        client = giver_client(chain, provider_keys, 0)
        response = client.post(
            checks_url(chain.shipment),
            {
                "index": 0,
                "condition": "intact",
                "checked_at": at(chain, 1),
                "note": "Wrapped, four corners padded",
                "photos": [SimpleUploadedFile("pickup.jpg", original, "image/jpeg")],
            },
            format="multipart",
        )
        assert response.status_code == 201, response.data
        assert response.data["index"] == 0
        assert response.data["giver_leg"] is None
        assert response.data["receiver_leg"] == 1
        (photo,) = response.data["photos"]
        assert photo["url"] == f"http://testserver/api/v1/photos/{photo['id']}/"
        assert photo["content_type"] == "image/jpeg"
        stored = ConditionCheckPhoto.objects.get(pk=photo["id"])
        with default_storage.open(stored.image.name) as handle:
            kept = Image.open(io.BytesIO(handle.read()))
            assert kept.format == "JPEG"
            assert not kept.getexif()
        assert len(stored_files(media)) == 1

        for index in (1, 2, 3, 4):
            response = record(chain, provider_keys, index)
            assert response.status_code == 201, (index, response.data)
        detail = session_client(chain.owner).get(
            reverse("api:shipment-detail", args=[chain.shipment.pk])
        )
        assert detail.data["status"] == ShipmentStatus.INSTALLED
        assert detail.data["position"] == "Installed"
        assert all(step["recorded"] for step in detail.data["handovers"])
        assert detail.data["handovers"][0]["check"]["photos"][0]["url"] == photo["url"]
        assert [leg["completed_at"] is not None for leg in detail.data["legs"]] == [True] * 4
        listed = session_client(chain.reviewer).get(checks_url(chain.shipment))
        assert [check["index"] for check in listed.data] == [0, 1, 2, 3, 4]

    def test_out_of_order_is_refused_in_the_error_shape(self, chain, provider_keys):
        assert record(chain, provider_keys, 0).status_code == 201
        response = record(chain, provider_keys, 2)
        assert response.status_code == 400
        error = response.data["error"]
        assert set(error) == {"code", "message", "field", "details"}
        assert error["code"] == "previous_missing"
        assert error["field"] == "index"
        assert not ConditionCheck.objects.filter(shipment=chain.shipment, index=2).exists()

    def test_another_provider_may_not_record_it(self, chain, provider_keys):
        installer = provider_keys[chain.providers[2].pk]  # runs leg 4 only: sees the shipment
        body = {"index": 0, "condition": "intact", "checked_at": at(chain, 1)}
        response = installer.post(checks_url(chain.shipment), body, format="json")
        assert response.status_code == 403
        assert response.data["error"]["code"] == "forbidden"
        _, raw_key = provider_api_key_create(
            actor=None, provider=ServiceProviderFactory(name="Stranger"), name="Scanner"
        )
        stranger = key_client(raw_key)
        response = stranger.post(checks_url(chain.shipment), body, format="json")
        assert response.status_code == 404  # not on the shipment: it does not exist for them
        assert chain.served.merchant.shop_name not in str(response.data)
        assert not ConditionCheck.objects.filter(shipment=chain.shipment).exists()

    def test_a_file_that_is_not_an_image_saves_nothing(self, chain, provider_keys, media):
        client = giver_client(chain, provider_keys, 0)
        response = client.post(
            checks_url(chain.shipment),
            {
                "index": 0,
                "condition": "intact",
                "checked_at": at(chain, 1),
                "photos": [
                    SimpleUploadedFile("good.jpg", image_bytes("JPEG"), "image/jpeg"),
                    SimpleUploadedFile("evil.jpg", b"<?php system($_GET['x']); ?>", "image/jpeg"),
                ],
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert response.data["error"]["code"] == "photo_not_image"
        assert response.data["error"]["field"] == "photos"
        assert not ConditionCheck.objects.filter(shipment=chain.shipment).exists()
        assert not ConditionCheckPhoto.objects.exists()
        assert stored_files(media) == []

    def test_a_body_over_the_limit_is_refused_before_it_is_read(
        self, chain, provider_keys, settings
    ):
        settings.LOGISTICS_HANDOVER_MAX_BODY_BYTES = 1000
        response = giver_client(chain, provider_keys, 0).post(
            checks_url(chain.shipment),
            {
                "index": 0,
                "condition": "intact",
                "photos": [SimpleUploadedFile("big.png", image_bytes("PNG", size=(400, 400)))],
            },
            format="multipart",
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"
        assert not ConditionCheck.objects.exists()

    def test_a_correction_changes_only_what_is_sent(self, chain, provider_keys):
        assert record(chain, provider_keys, 0, note="first").status_code == 201
        client = giver_client(chain, provider_keys, 0)
        response = client.patch(
            check_url(chain.shipment, 0), {"condition": "damaged"}, format="json"
        )
        assert response.status_code == 200, response.data
        assert response.data["condition"] == "damaged"
        assert response.data["note"] == "first"
        assert response.data["corrections"] == 1
        assert client.patch(check_url(chain.shipment, 3), {}, format="json").status_code == 404


# Incidents -------------------------------------------------------------------------------------
class TestIncidents:
    def report(self, client, chain, kind=IncidentKind.DAMAGE, **headers):
        return client.post(
            reverse("api:incident-list"),
            {"shipment": chain.shipment.pk, "kind": kind, "description": "Cracked corner"},
            format="json",
            **headers,
        )

    def test_attributed_in_the_readers_language_and_again_after_a_correction(
        self, chain, provider_keys
    ):
        for index, condition in ((0, "intact"), (1, "intact"), (2, "damaged")):
            assert record(chain, provider_keys, index, condition).status_code == 201
        response = self.report(session_client(chain.owner), chain)
        assert response.status_code == 201, response.data
        attribution = response.data["attribution"]
        assert attribution["status"] == "attributed"
        assert attribution["rule"] == "worse_at_leg"
        assert attribution["leg"] == 2
        assert attribution["evidence"] == [1, 2]
        assert attribution["text"].startswith("Caused during Line haul by Carrier X")
        assert response.data["responsible_provider"] == chain.providers[1].pk
        assert response.data["status"] == IncidentStatus.ATTRIBUTED

        url = reverse("api:incident-detail", args=[response.data["id"]])
        chinese = session_client(chain.owner).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        text = chinese.data["attribution"]["text"]
        assert text.startswith("责任环节")
        assert chinese.data["attribution"]["leg"] == 2

        # The pickup → line haul hand-over was damaged after all: the pickup leg caused it.
        client = giver_client(chain, provider_keys, 1)
        corrected = client.patch(check_url(chain.shipment, 1), {"condition": "damaged"})
        assert corrected.status_code == 200, corrected.data
        after = session_client(chain.owner).get(url).data["attribution"]
        assert after["leg"] == 1
        assert after["evidence"] == [0, 1]
        assert after["text"] != attribution["text"]
        # The carrier reads the incidents of the shipments it carries.
        assert client.get(url).status_code == 200

    def test_resolve_needs_a_reason_when_unattributed(self, chain, provider_keys):
        response = self.report(session_client(chain.owner), chain)
        assert response.data["attribution"]["status"] == "unattributed"
        assert response.data["attribution"]["rule"] == "missing_check"
        assert response.data["attribution"]["candidates"] == [1, 2, 3, 4]
        url = reverse("api:incident-resolve", args=[response.data["id"]])
        body = {"resolution": "resend_new", "cost": "800.00", "bearer": "platform"}
        refused = session_client(chain.reviewer).post(url, body, format="json")
        assert refused.status_code == 400
        assert refused.data["error"]["code"] == "reason_required"
        assert refused.data["error"]["field"] == "note"
        carrier = provider_keys[chain.providers[1].pk].post(
            url, {**body, "note": "x"}, format="json"
        )
        assert carrier.status_code == 403
        owner = session_client(chain.owner).post(url, {**body, "note": "x"}, format="json")
        assert owner.status_code == 403
        resolved = session_client(chain.reviewer).post(
            url, {**body, "note": "Buyer's photos show the crate intact"}, format="json"
        )
        assert resolved.status_code == 200, resolved.data
        assert resolved.data["status"] == IncidentStatus.RESOLVED
        assert resolved.data["resolution_cost"] == "800.00"
        again = session_client(chain.reviewer).post(url, {**body, "note": "y"}, format="json")
        assert again.status_code == 400
        assert again.data["error"]["code"] == "already_resolved"

    def test_another_centers_key_cannot_report_or_read(self, chain):
        client = key_client(ApiKeyFactory(center=OperationCenterFactory()).raw_key)
        response = self.report(client, chain)
        assert response.status_code == 400
        assert response.data["error"]["field"] == "shipment"
        assert not Incident.objects.exists()

    def test_filters_and_query_count(self, chain):
        owner = session_client(chain.owner)
        for kind in (IncidentKind.DAMAGE, IncidentKind.DELAY, IncidentKind.DAMAGE):
            assert self.report(owner, chain, kind).status_code == 201
        url = reverse("api:incident-list")
        assert len(list_ids(owner, url, {"kind": "damage"})) == 2
        assert len(list_ids(owner, url, {"attribution_status": "attributed"})) == 1  # delay
        assert len(list_ids(owner, url, {"shipment": chain.shipment.pk})) == 3
        assert list_ids(owner, url, {"status": "resolved"}) == []
        for size in (1, 3):
            with assert_num_queries(AUTH_QUERIES + CURSOR_LIST, f"a page of {size}"):
                response = owner.get(url, {"page_size": size})
            assert len(response.data["results"]) == size

    def test_a_merchants_webhook_gets_the_report(
        self, chain, receiver, django_capture_on_commit_callbacks
    ):
        endpoint = WebhookEndpointFactory(
            merchant=chain.served.merchant,
            events=[NotificationKind.SHIPMENT_INCIDENT],
            url=receiver.url(),
        )
        WebhookEndpointFactory(
            merchant=chain.served.merchant,
            events=[NotificationKind.ELIGIBILITY_GAINED],
            url=receiver.url(),
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = self.report(session_client(chain.owner), chain)
        assert response.status_code == 201
        (delivery,) = Notification.objects.filter(channel=NotificationChannel.WEBHOOK)
        assert delivery.webhook_endpoint_id == endpoint.pk
        assert delivery.kind == NotificationKind.SHIPMENT_INCIDENT
        assert WebhookEndpoint.objects.count() == 2
        (request,) = receiver.requests
        body = json.loads(request.body)
        assert body["event"] == "shipment_incident"
        assert body["data"]["payload"]["event"] == "incident_reported"
        assert body["data"]["payload"]["incident"] == response.data["id"]


# Providers and their keys ------------------------------------------------------------------------
class TestProviders:
    def test_a_provider_key_sees_its_own_provider_only(self, chain, provider_keys):
        carrier = provider_keys[chain.providers[1].pk]
        listed = carrier.get(reverse("api:provider-list"))
        assert [row["id"] for row in listed.data["results"]] == [chain.providers[1].pk]
        other = carrier.get(reverse("api:provider-detail", args=[chain.providers[0].pk]))
        assert other.status_code == 404
        everyone = session_client(chain.owner).get(reverse("api:provider-list"))
        assert {row["id"] for row in everyone.data["results"]} == {p.pk for p in chain.providers}
        assert set(everyone.data["results"][0]) == {"id", "name", "name_zh", "kind", "is_active"}

    def test_a_provider_key_reads_its_own_scorecard_only(self, chain, provider_keys):
        for index, condition in ((0, "intact"), (1, "intact"), (2, "damaged")):
            assert record(chain, provider_keys, index, condition).status_code == 201
        owner = session_client(chain.owner)
        owner.post(
            reverse("api:incident-list"),
            {"shipment": chain.shipment.pk, "kind": "damage"},
            format="json",
        )
        carrier = chain.providers[1]
        url = reverse("api:provider-scorecard", args=[carrier.pk])
        period = {"start": at(chain, -1), "end": at(chain, 24 * 9)}
        response = provider_keys[carrier.pk].get(url, period)
        assert response.status_code == 200, response.data
        assert response.data["provider"]["id"] == carrier.pk
        rows = {row["kind"]: row for row in response.data["rows"]}
        assert set(rows) == {"line_haul", "last_mile"}
        assert rows["line_haul"]["incidents_attributed"] == 1
        assert Decimal(rows["line_haul"]["damage_rate_per_1000"]) == 1000
        assert rows["last_mile"]["incidents_attributed"] == 0
        assert rows["line_haul"]["kind_label"] == "Line haul"
        only = provider_keys[carrier.pk].get(url, {**period, "kind": "last_mile"})
        assert [row["kind"] for row in only.data["rows"]] == ["last_mile"]
        # Another provider's scorecard does not exist for this key; staff read any.
        other = reverse("api:provider-scorecard", args=[chain.providers[0].pk])
        assert provider_keys[carrier.pk].get(other, period).status_code == 404
        assert session_client(chain.reviewer).get(other, period).status_code == 200
        refused = provider_keys[carrier.pk].get(
            url, {"start": period["end"], "end": period["start"]}
        )
        assert refused.status_code == 400
        assert refused.data["error"]["field"] == "start"
        ancient = provider_keys[carrier.pk].get(url, {"start": "0278-03-09T00:00:00Z"})
        assert ancient.status_code == 400
        assert ancient.data["error"]["field"] == "start"
        # Whom the user acts for (the provider scope), the provider, the figures.
        with assert_num_queries(AUTH_QUERIES + 3, "a scorecard"):
            owner.get(url, period)

    def test_the_command_prints_a_key_once_and_it_acts_for_the_provider(self, chain, capsys):
        provider = chain.providers[1]
        call_command("provider_api_key_create", "--provider", str(provider.pk), "--name", "PDA")
        raw_key = capsys.readouterr().out.strip()
        api_key = ApiKey.objects.get(prefix=raw_key.partition(".")[0])
        assert api_key.merchant is None
        assert api_key.center is None
        assert not api_key.user.has_usable_password()
        assert not api_key.user.is_staff
        assert ProviderMembership.objects.get(user=api_key.user).provider == provider
        client = key_client(raw_key)
        assert list_ids(client, reverse("api:shipment-list")) == [chain.shipment.pk]
        provider_api_key_revoke(api_key=api_key, actor=None)
        assert client.get(reverse("api:shipment-list")).status_code == 401

    def test_only_a_superuser_revokes_a_provider_key(self, chain):
        api_key, _ = provider_api_key_create(actor=None, provider=chain.providers[0], name="x")
        with pytest.raises(ApiKeyForbidden):
            provider_api_key_revoke(api_key=api_key, actor=chain.reviewer)
        api_key.refresh_from_db()
        assert not api_key.revoked
        revoked = provider_api_key_revoke(api_key=api_key, actor=SuperUserFactory())
        assert revoked.revoked

    def test_only_a_superuser_creates_a_provider_key(self, chain):
        with pytest.raises(LogisticsForbidden):
            provider_api_key_create(actor=chain.reviewer, provider=chain.providers[0], name="x")
        assert not ApiKey.objects.filter(merchant=None, center=None).exists()
