"""The caller's inbox over the API (newest first, cursor-paged, in the request's language, marked
read one by one or all at once) and their e-mail preference per kind of notification."""

import factory
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.choices import NotificationChannel, NotificationKind
from merchants.models import Notification, NotificationPreference
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    UserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    NotificationFactory,
)
from tests.utils.queries import assert_num_queries

from .base import (
    AUTH_QUERIES,
    CURSOR_LIST,
    REFUSED,
    ReadOnlyCursorAPITests,
    list_ids,
)

READER = "inbox-reader"
TEXTS = {
    "en": {"subject": "You are eligible for Star Origin", "body": "English body"},
    "zh-hans": {"subject": "您已符合星源计划的条件", "body": "中文正文"},
}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


class InboxNotificationFactory(NotificationFactory):
    """A notification to the one reader of these tests (the user is got or created by name)."""

    recipient = factory.SubFactory(UserFactory, username=READER)


class TestNotificationAPI(ReadOnlyCursorAPITests):
    url_name = "api:notification"
    factory = InboxNotificationFactory
    # And the caller's merchants, read first so the inbox's two kinds come from their indexes.
    list_query_count = AUTH_QUERIES + CURSOR_LIST + 1

    @pytest.fixture
    def reader_client(self, db):
        return client_for(UserFactory(username=READER))

    def test_a_signed_in_user_reads_unless_staff_only(self, user_api_client) -> None:
        # Someone else's notification: absent from the list, a 404 when asked for.
        notification = self.factory()
        listed = user_api_client.get(self.list_url())
        assert listed.status_code == 200
        assert listed.data["results"] == []
        assert user_api_client.get(self.detail_url(notification.pk)).status_code == 404


@pytest.fixture
def inbox():
    """A merchant with two members; messages to the merchant, to each member, by e-mail; and a
    reviewer of the center serving the merchant's belt."""

    class Inbox:
        pass

    box = Inbox()
    box.merchant = MerchantFactory()
    box.owner = MerchantMembershipFactory(merchant=box.merchant).user
    box.operator = MerchantMembershipFactory(merchant=box.merchant, role="operator").user
    box.reviewer = OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[box.merchant.belt])
    ).user
    box.to_merchant = NotificationFactory(
        recipient=None,
        merchant=box.merchant,
        kind=NotificationKind.ELIGIBILITY_GAINED,
        subject=TEXTS["en"]["subject"],
        payload={"program": "star-origin", "texts": TEXTS},
    )
    box.to_owner = NotificationFactory(recipient=box.owner, subject="For the owner")
    box.to_operator = NotificationFactory(recipient=box.operator, subject="For the operator")
    box.email = NotificationFactory(recipient=box.owner, channel=NotificationChannel.EMAIL)
    return box


def url(name="list", *args):
    return reverse(f"api:notification-{name}", args=args)


@pytest.mark.django_db
class TestInbox:
    def test_ones_own_and_ones_merchants_in_app_messages_newest_first(self, inbox):
        assert list_ids(client_for(inbox.owner), url()) == [inbox.to_owner.pk, inbox.to_merchant.pk]
        assert list_ids(client_for(inbox.operator), url()) == [
            inbox.to_operator.pk,
            inbox.to_merchant.pk,
        ]
        # Staff serving the belt read their own inbox, not the merchant's.
        assert list_ids(client_for(inbox.reviewer), url()) == []
        assert (
            client_for(inbox.reviewer).get(url("detail", inbox.to_merchant.pk)).status_code == 404
        )
        assert client_for(inbox.owner).get(url("detail", inbox.to_operator.pk)).status_code == 404

    def test_an_item_in_the_requests_language_without_the_stored_texts(self, inbox):
        client = client_for(inbox.owner)
        english = client.get(url("detail", inbox.to_merchant.pk)).data
        chinese = client.get(
            url("detail", inbox.to_merchant.pk), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).data
        assert (english["subject"], english["body"]) == (
            "You are eligible for Star Origin",
            "English body",
        )
        assert (chinese["subject"], chinese["body"]) == ("您已符合星源计划的条件", "中文正文")
        assert english["payload"] == {"program": "star-origin"}
        assert english["kind"] == "eligibility_gained"
        assert english["merchant"] == inbox.merchant.pk
        assert english["read_at"] is None
        assert english["created_at"]
        listed = client.get(url(), HTTP_ACCEPT_LANGUAGE="zh-hans").data["results"]
        assert listed[1]["subject"] == "您已符合星源计划的条件"
        assert listed[0]["subject"] == "For the owner"  # no texts stored: the stored subject

    def test_filters(self, inbox):
        client = client_for(inbox.owner)
        assert list_ids(client, url(), {"kind": "eligibility_gained"}) == [inbox.to_merchant.pk]
        Notification.objects.filter(pk=inbox.to_owner.pk).update(read_at="2026-01-01T00:00Z")
        assert list_ids(client, url(), {"unread": "true"}) == [inbox.to_merchant.pk]
        assert list_ids(client, url(), {"unread": "false"}) == [inbox.to_owner.pk]
        assert client.get(url(), {"kind": "gossip"}).status_code == 400

    def test_mark_one_read(self, inbox):
        client = client_for(inbox.owner)
        response = client.post(url("read", inbox.to_merchant.pk))
        assert response.status_code == 200
        assert response.data["read_at"] is not None
        first = Notification.objects.get(pk=inbox.to_merchant.pk).read_at
        assert (
            client.post(url("read", inbox.to_merchant.pk)).data["read_at"]
            == response.data["read_at"]
        )
        assert Notification.objects.get(pk=inbox.to_merchant.pk).read_at == first
        # Someone else's, or one that does not exist: the same 404, and nothing marked.
        assert client.post(url("read", inbox.to_operator.pk)).status_code == 404
        assert client.post(url("read", 2_000_000_000)).status_code == 404
        assert Notification.objects.get(pk=inbox.to_operator.pk).read_at is None

    def test_mark_all_read(self, inbox):
        client = client_for(inbox.owner)
        assert client.post(url("read-all")).data == {"marked": 2}
        assert client.post(url("read-all")).data == {"marked": 0}
        assert Notification.objects.get(pk=inbox.to_operator.pk).read_at is None
        assert Notification.objects.get(pk=inbox.email.pk).read_at is None

    def test_anonymous_is_refused(self, inbox, api_client):
        assert api_client.get(url()).status_code in REFUSED
        assert api_client.post(url("read-all")).status_code in REFUSED
        assert api_client.post(url("read", inbox.to_merchant.pk)).status_code in REFUSED
        assert Notification.objects.filter(read_at__isnull=False).count() == 0


# Preferences -----------------------------------------------------------------------------------
PREFERENCES = "/api/v1/notification-preferences/"


@pytest.mark.django_db
class TestPreferences:
    def test_every_kind_on_by_default(self):
        user = UserFactory()
        client = client_for(user)
        with assert_num_queries(AUTH_QUERIES + 1, "preferences"):
            response = client.get(PREFERENCES)
        assert response.status_code == 200
        assert [item["kind"] for item in response.data] == list(NotificationKind.values)
        assert all(item["email_enabled"] is True for item in response.data)
        assert response.data[0]["label"] == "Became eligible"

    @pytest.mark.parametrize("method", ["patch", "put"])
    def test_an_update_changes_only_the_kinds_sent(self, method):
        user = UserFactory()
        NotificationPreference.objects.create(
            user=user, kind=NotificationKind.SLA_BREACH, email_enabled=False
        )
        client = client_for(user)
        send = getattr(client, method)
        response = send(
            PREFERENCES, {"kind": "eligibility_lost", "email_enabled": False}, format="json"
        )
        assert response.status_code == 200, response.data
        off = {item["kind"] for item in response.data if not item["email_enabled"]}
        assert off == {"eligibility_lost", "sla_breach"}
        response = send(
            PREFERENCES,
            [
                {"kind": "sla_breach", "email_enabled": True},
                {"kind": "general", "email_enabled": False},
            ],
            format="json",
        )
        off = {item["kind"] for item in response.data if not item["email_enabled"]}
        assert off == {"eligibility_lost", "general"}
        stored = dict(
            NotificationPreference.objects.filter(user=user).values_list("kind", "email_enabled")
        )
        assert stored == {"sla_breach": True, "eligibility_lost": False, "general": False}

    def test_the_preferences_are_the_callers_own(self):
        user, other = UserFactory(), UserFactory()
        client_for(user).patch(
            PREFERENCES, {"kind": "general", "email_enabled": False}, format="json"
        )
        assert all(item["email_enabled"] for item in client_for(other).get(PREFERENCES).data)

    @pytest.mark.parametrize(
        "body",
        [
            {"kind": "gossip", "email_enabled": False},
            {"kind": "general"},
            {"kind": "general", "email_enabled": "maybe"},
            [],
            [{"kind": "general", "email_enabled": False}] * 2,
            [{"kind": kind, "email_enabled": True} for kind in NotificationKind.values] * 2,
            "general",
        ],
    )
    def test_bad_updates_change_nothing(self, body):
        user = UserFactory()
        response = client_for(user).patch(PREFERENCES, body, format="json")
        assert response.status_code == 400
        assert not NotificationPreference.objects.filter(user=user).exists()

    def test_anonymous_is_refused(self, api_client):
        assert api_client.get(PREFERENCES).status_code in REFUSED
        response = api_client.patch(
            PREFERENCES, {"kind": "general", "email_enabled": False}, format="json"
        )
        assert response.status_code in REFUSED
