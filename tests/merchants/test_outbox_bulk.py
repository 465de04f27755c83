"""The outbox's bulk writer: the rows notifications_create writes, many at once, each key once."""

import pytest
from django.db import DataError, IntegrityError, connection

from merchants.choices import NotificationChannel, NotificationKind, NotificationStatus
from merchants.models import Notification
from merchants.services import notifications
from merchants.services.notifications import (
    NotificationDraft,
    drafts_for_merchant,
    notification_dedupe_key,
    notifications_create,
    notifications_insert_bulk,
)
from tests.belts.factories import UserFactory
from tests.merchants.factories import MerchantFactory

FIELDS = (
    "kind",
    "channel",
    "merchant_id",
    "recipient_id",
    "payload",
    "subject",
    "body",
    "status",
    "attempts",
    "last_error",
    "webhook_endpoint_id",
    "delivery_id",
)
PAYLOAD = {
    "program": "p",
    "program_name": "Source Power",
    "program_name_zh": "源力",
    "eligible": True,
}


def test_a_dedupe_key_is_the_event_the_channel_and_the_person():
    assert notification_dedupe_key("e:1", channel=NotificationChannel.IN_APP) == "e:1:in_app"
    assert (
        notification_dedupe_key("e:1", channel=NotificationChannel.EMAIL, recipient_id=7)
        == "e:1:email:7"
    )


def _drafts(merchant, user, key):
    return drafts_for_merchant(
        merchant_id=merchant.pk,
        kind=NotificationKind.ELIGIBILITY_GAINED,
        key=key,
        emails=[(user.pk, user.email)],
        payload=PAYLOAD,
    )


@pytest.mark.django_db
def test_bulk_writes_what_create_writes_each_key_once(django_capture_on_commit_callbacks):
    merchant, user = MerchantFactory(), UserFactory()
    notifications_create(_drafts(merchant, user, "one"))
    drafts = _drafts(merchant, user, "two")

    with django_capture_on_commit_callbacks() as callbacks:
        ids = notifications_insert_bulk([*drafts, drafts[0]])  # a key twice: written once

    assert len(ids) == 2
    assert len(callbacks) == 1  # delivery queued on commit
    written = {n.dedupe_key: n for n in Notification.objects.filter(pk__in=ids)}
    assert sorted(written) == [f"two:email:{user.pk}", "two:in_app"]
    for channel in ("in_app", "email"):
        by_create = Notification.objects.get(dedupe_key__startswith="one:", channel=channel)
        by_bulk = Notification.objects.get(dedupe_key__startswith="two:", channel=channel)
        assert [getattr(by_bulk, f) for f in FIELDS] == [getattr(by_create, f) for f in FIELDS]
    assert by_bulk.subject == "You are eligible for Source Power"
    assert by_bulk.status == NotificationStatus.PENDING
    assert by_bulk.created_at is not None

    # Written before: nothing again, nothing queued.
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications_insert_bulk(drafts) == []
    assert callbacks == []
    assert Notification.objects.count() == 4


@pytest.mark.django_db
def test_bulk_is_all_or_nothing_across_its_statements(monkeypatch):
    merchant = MerchantFactory()
    # Two rows a statement, whichever way the database takes them.
    monkeypatch.setattr("merchants.services.notifications.BULK_INSERT_BATCH", 2)
    monkeypatch.setattr("merchants.services.notifications.BULK_INSERT_BATCH_ARRAYS", 2)
    drafts = [
        NotificationDraft(
            dedupe_key=f"k{i}", kind=NotificationKind.GENERAL, merchant_id=merchant.pk
        )
        for i in range(3)
    ]
    assert len(notifications_insert_bulk(drafts)) == 3
    # The third draft, in the second statement, has no addressee: the check constraint refuses
    # it, and the first statement's rows go with it.
    bad = [
        NotificationDraft(dedupe_key="n1", kind=NotificationKind.GENERAL, merchant_id=merchant.pk),
        NotificationDraft(dedupe_key="n2", kind=NotificationKind.GENERAL, merchant_id=merchant.pk),
        NotificationDraft(dedupe_key="n3", kind=NotificationKind.GENERAL),
    ]
    with pytest.raises(IntegrityError):
        notifications_insert_bulk(bad)
    assert not Notification.objects.filter(dedupe_key__startswith="n").exists()


def test_a_batch_renders_each_distinct_payload_once_and_each_its_own(monkeypatch):
    calls = []
    monkeypatch.setitem(
        notifications.RENDERERS,
        "probe",
        lambda payload: calls.append(dict(payload)) or (f"S {payload['n']}", f"B {payload['n']}"),
    )
    texts = notifications.EnglishTexts()
    shared = {"n": 1}
    assert texts.of("probe", shared) == {"subject": "S 1", "body": "B 1"}
    assert texts.of("probe", shared) == {"subject": "S 1", "body": "B 1"}
    assert texts.of("probe", {"n": 1}) == {"subject": "S 1", "body": "B 1"}  # equal: no render
    assert calls == [{"n": 1}]
    # Payloads made and dropped one after another (CPython hands a dropped object's address to
    # the next): each is rendered for what it holds, never answered by another's identity.
    for n in range(2, 40):
        assert texts.of("probe", {"n": n})["subject"] == f"S {n}"
    assert len(calls) == 39


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite does not enforce a column's length"
)
def test_a_key_too_long_is_refused_not_cut_and_nothing_is_written():
    merchant = MerchantFactory()
    drafts = [
        NotificationDraft(
            dedupe_key="fine", kind=NotificationKind.GENERAL, merchant_id=merchant.pk
        ),
        NotificationDraft(
            dedupe_key="k" * 201, kind=NotificationKind.GENERAL, merchant_id=merchant.pk
        ),
    ]
    with pytest.raises(DataError):
        notifications_insert_bulk(drafts)
    assert not Notification.objects.exists()
