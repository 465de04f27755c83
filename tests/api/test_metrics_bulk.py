"""``POST /api/v1/metrics/bulk/``: up to 5,000 rows, all or nothing, every bad row listed, omitted
figures kept, counts of created, updated and unchanged; the recompute queued after the commit for
the merchants that changed; 413 before the body is read; ``Idempotency-Key`` replays."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from merchants.api import idempotency
from merchants.choices import MembershipRole
from merchants.models import MerchantMembership, MonthlyMetric
from merchants.services.metrics import MAX_METRIC_ROWS
from merchants.signals import metrics_changed
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    SuperUserFactory,
)
from tests.merchants.factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
)
from tests.utils.months import months_back
from tests.utils.queries import assert_num_queries, writes

from .base import AUTH_QUERIES, REFUSED

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/bulk/"
LAST_MONTH = months_back(1).isoformat()
THIS_MONTH = months_back(0).isoformat()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def post(client, body, **headers):
    return client.post(URL, body, format="json", headers=headers)


@pytest.fixture
def changes():
    """The merchant ids of each ``metrics_changed`` (the real signal, sent after the commit)."""
    sent: list[list[int]] = []

    def record(sender, merchant_ids, **kwargs):
        sent.append(sorted(merchant_ids))

    metrics_changed.connect(record, dispatch_uid="tests.api.record_metrics_changed")
    yield sent
    metrics_changed.disconnect(dispatch_uid="tests.api.record_metrics_changed")


@pytest.fixture
def owner():
    """A merchant's owner, and the merchant with last month's figures stored."""
    membership = MerchantMembershipFactory()
    metric = MonthlyMetricFactory(merchant=membership.merchant, month=months_back(1))
    return client_for(membership.user), membership.merchant, metric


def test_the_route_is_the_documented_one():
    assert reverse("api:metric-bulk") == URL


def test_rows_are_written_and_counted(owner, changes, django_capture_on_commit_callbacks):
    client, merchant, metric = owner
    body = {
        "rows": [
            # Only the GMV: every other figure of the month stays.
            {"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "200000.50"},
            {"merchant": merchant.pk, "month": THIS_MONTH, "gmv": 10, "orders": 0},
            {"merchant": merchant.pk, "month": months_back(2).isoformat()},
        ]
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, body)
    assert response.status_code == 200, response.data
    assert response.data == {"created": 2, "updated": 1, "unchanged": 0}
    metric.refresh_from_db()
    assert (metric.gmv, metric.orders, metric.live_gmv, metric.refund_rate) == (
        Decimal("200000.50"),
        800,
        Decimal("30000.00"),
        Decimal("0.0350"),
    )
    assert MonthlyMetric.objects.get(merchant=merchant, month=THIS_MONTH).gmv == Decimal("10")
    assert callbacks
    assert changes == [[merchant.pk]]


def test_the_same_batch_twice_leaves_the_same_state_and_queues_nothing_again(
    owner, changes, django_capture_on_commit_callbacks
):
    client, merchant, _metric = owner
    body = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "followers": 9}]}
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body).data == {"created": 0, "updated": 1, "unchanged": 0}
    state = list(MonthlyMetric.objects.values())
    with django_capture_on_commit_callbacks(execute=True) as second:
        assert post(client, body).data == {"created": 0, "updated": 0, "unchanged": 1}
    assert second == []
    assert changes == [[merchant.pk]]
    assert list(MonthlyMetric.objects.values()) == state


def test_the_query_count_does_not_grow_with_the_rows():
    client = client_for(SuperUserFactory())
    for count in (2, 30):
        merchants = MerchantFactory.create_batch(count)
        rows = [{"merchant": m.pk, "month": LAST_MONTH, "gmv": "1.00"} for m in merchants]
        # Savepoint, merchants in scope, stored rows, one upsert, release.
        with assert_num_queries(AUTH_QUERIES + 5, f"{count} rows") as context:
            response = post(client, {"rows": rows})
        assert response.data["created"] == count
        assert len(writes(context)) == 1


# Bad rows: nothing written, each listed -------------------------------------------------------
BAD_VALUES = [
    ("gmv", "12.5x", "invalid"),
    ("gmv", True, "invalid"),
    ("gmv", {"amount": 1}, "invalid"),
    ("gmv", -1, "negative"),
    ("gmv", "0.001", "too_precise"),
    ("gmv", 10**14, "too_large"),
    ("gmv", None, "null"),
    ("live_gmv", "999999999", "live_gmv_exceeds_gmv"),
    ("orders", -1, "negative"),
    ("orders", 1.5, "invalid"),
    ("live_sessions", 2**31, "too_large"),
    ("refund_rate", 1.5, "out_of_range"),
    ("refund_rate", "0.00001", "too_precise"),
    ("month", "2025-01-15", "not_first_day"),
    ("month", months_back(-1).isoformat(), "future"),
    ("month", "1999-01-01", "out_of_range"),
    ("month", 202501, "invalid"),
    ("merchant", 2_000_000_000, "unknown_merchant"),
    ("merchant", "one", "invalid"),
    ("merchant_id", 1, "unknown_field"),
]


@pytest.mark.parametrize(("field", "value", "code"), BAD_VALUES)
def test_each_kind_of_bad_row_writes_nothing_and_every_bad_row_is_listed(
    owner, django_capture_on_commit_callbacks, field, value, code
):
    client, merchant, metric = owner
    good = {"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "1.00", "live_gmv": "0"}
    bad = [
        {"merchant": merchant.pk, "month": month, "gmv": "5.00", field: value}
        for month in (THIS_MONTH, months_back(3).isoformat())
    ]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(client, {"rows": [good, bad[0], good | {"month": months_back(2)}, bad[1]]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_rows"
    assert error["message"] == "2 rows are invalid: nothing was written."
    assert [(d["index"], d["field"], d["code"]) for d in error["details"]] == [
        (1, field, code),
        (3, field, code),
    ]
    metric.refresh_from_db()
    assert metric.gmv == Decimal("150000.00")
    assert MonthlyMetric.objects.count() == 1
    assert callbacks == []


def test_a_merchant_out_of_scope_reads_like_one_that_does_not_exist(owner):
    client, _merchant, _metric = owner
    elsewhere = MerchantFactory()
    rows = [
        {"merchant": elsewhere.pk, "month": LAST_MONTH, "gmv": 1},
        {"merchant": 2_000_000_000, "month": LAST_MONTH, "gmv": 1},
    ]
    details = post(client, {"rows": rows}).json()["error"]["details"]
    assert [d["code"] for d in details] == ["unknown_merchant"] * 2
    assert details[0]["message"].replace(str(elsewhere.pk), "#") == details[1]["message"].replace(
        "2000000000", "#"
    )
    assert not MonthlyMetric.objects.filter(merchant=elsewhere).exists()


def test_the_same_month_twice_is_a_bad_row(owner):
    client, merchant, _metric = owner
    row = {"merchant": merchant.pk, "month": THIS_MONTH, "gmv": 1}
    error = post(client, {"rows": [row, {**row, "gmv": 2}]}).json()["error"]
    assert [(d["index"], d["code"]) for d in error["details"]] == [(1, "duplicate")]
    assert error["message"].startswith("Row 2:")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"rows": []}, "empty"),
        ({"rows": [{}] * (MAX_METRIC_ROWS + 1)}, "too_many_rows"),
        ({"rows": {"merchant": 1}}, "invalid"),
        ({"rows": [], "dry_run": True}, "invalid"),
        ([{"merchant": 1, "month": "2025-01-01"}], "invalid"),
        ({}, "invalid"),
    ],
)
def test_the_batch_is_bounded(owner, body, code):
    client, _merchant, _metric = owner
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert MonthlyMetric.objects.count() == 1


def test_a_body_that_is_not_json_is_a_400(owner):
    client, _merchant, _metric = owner
    response = client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


# Who may write ----------------------------------------------------------------------------------
def test_staff_of_a_center_serving_the_belt_write_and_others_do_not():
    merchant = MerchantFactory()
    reviewer = OperationCenterMembershipFactory(
        center=OperationCenterFactory(belts=[merchant.belt])
    )
    stranger = OperationCenterMembershipFactory(center=OperationCenterFactory())
    row = {"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "7.00"}
    refused = post(client_for(stranger.user), {"rows": [row]})
    assert refused.json()["error"]["details"][0]["code"] == "unknown_merchant"
    assert post(client_for(reviewer.user), {"rows": [row]}).data["created"] == 1


def test_anonymous_is_refused(api_client):
    merchant = MerchantFactory()
    response = post(api_client, {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH}]})
    assert response.status_code in REFUSED
    assert not MonthlyMetric.objects.exists()


# Limits: 413 before parsing --------------------------------------------------------------------
def test_a_body_over_the_limit_is_a_413_before_it_is_read(owner, settings):
    client, merchant, _metric = owner
    settings.METRICS_BULK_MAX_BYTES = 200
    # Not even JSON: a 400 would mean it was parsed.
    response = client.post(URL, "x" * 201, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    rows = [{"merchant": merchant.pk, "month": THIS_MONTH, "gmv": "1.00"}] * 5
    assert post(client, {"rows": rows}).status_code == 413
    assert MonthlyMetric.objects.count() == 1
    small = {"rows": [{"merchant": merchant.pk, "month": THIS_MONTH, "gmv": "1.00"}]}
    assert post(client, small).status_code == 200


def test_django_reads_bodies_as_long_as_the_bulk_limit(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.METRICS_BULK_MAX_BYTES


# Idempotency-Key --------------------------------------------------------------------------------
def test_a_key_replays_the_first_answer_without_writing_again(
    owner, changes, django_capture_on_commit_callbacks
):
    client, merchant, metric = owner
    body = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "99000.00"}]}
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, body, **{"Idempotency-Key": "batch-2026-10 #1"})
    metric.refresh_from_db()
    written_at = metric.updated_at
    # Someone else changes the month meanwhile: a replay does not overwrite it.
    MonthlyMetric.objects.filter(pk=metric.pk).update(gmv=Decimal("50000.00"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = post(client, body, **{"Idempotency-Key": "batch-2026-10 #1"})

    assert first.data == {"created": 0, "updated": 1, "unchanged": 0}
    assert again.status_code == 200
    assert again.data == first.data
    assert again["Idempotent-Replayed"] == "true"
    assert callbacks == []
    assert changes == [[merchant.pk]]
    metric.refresh_from_db()
    assert (metric.gmv, metric.updated_at) == (Decimal("50000.00"), written_at)


def test_a_key_with_another_body_is_refused(owner):
    client, merchant, metric = owner
    row = {"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "99000.00"}
    assert post(client, {"rows": [row]}, **{"Idempotency-Key": "k1"}).status_code == 200
    response = post(client, {"rows": [{**row, "gmv": "98000.00"}]}, **{"Idempotency-Key": "k1"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    metric.refresh_from_db()
    assert metric.gmv == Decimal("99000.00")


def test_keys_are_the_callers_own(owner):
    client, merchant, _metric = owner
    other = MerchantMembershipFactory(merchant=merchant, role=MembershipRole.OPERATOR).user
    body = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": "99000.00"}]}
    assert post(client, body, **{"Idempotency-Key": "shared"}).data["updated"] == 1
    response = post(client_for(other), body, **{"Idempotency-Key": "shared"})
    assert response.data == {"created": 0, "updated": 0, "unchanged": 1}
    assert "Idempotent-Replayed" not in response


def test_a_refused_batch_is_not_kept_under_its_key(owner):
    client, merchant, _metric = owner
    bad = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": -1}]}
    good = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": 40000}]}
    assert post(client, bad, **{"Idempotency-Key": "retry-me"}).status_code == 400
    assert post(client, good, **{"Idempotency-Key": "retry-me"}).status_code == 200


def test_a_request_with_a_key_in_use_is_refused(owner):
    client, merchant, _metric = owner
    user_id = MerchantMembership.objects.get(merchant=merchant).user_id
    # What a request still running with this key holds.
    lock = idempotency.lock_key(scope="metrics-bulk", user_id=user_id, key="busy")
    assert idempotency.cache.add(lock, True)
    body = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": 1}]}
    response = post(client, body, **{"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert MonthlyMetric.objects.get(merchant=merchant).gmv == Decimal("150000.00")


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "tab\there"])
def test_the_key_is_bounded(owner, key):
    client, merchant, _metric = owner
    body = {"rows": [{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": 1}]}
    response = client.post(
        URL, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert MonthlyMetric.objects.get(merchant=merchant).gmv == Decimal("150000.00")
