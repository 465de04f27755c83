"""``monthly_metrics_upsert``: a figure a row omits keeps its stored value, a figure it sends is
written (0 included); every bad row of a batch is listed and nothing is written; created, updated
and unchanged are counted; ``metrics_changed`` goes out after the commit for the merchants whose
figures changed, and only for them."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from merchants.exceptions import MetricError
from merchants.models import MonthlyMetric
from merchants.services.metrics import MAX_ERROR_DETAILS, MAX_METRIC_ROWS, monthly_metrics_upsert
from merchants.signals import metrics_changed
from tests.belts.factories import (
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    UserFactory,
)
from tests.utils.months import months_back
from tests.utils.queries import assert_num_queries

from .factories import MerchantFactory, MerchantMembershipFactory, MonthlyMetricFactory

pytestmark = pytest.mark.django_db

LAST_MONTH = months_back(1)
THIS_MONTH = months_back(0)
NEXT_MONTH = months_back(-1)

STORED = {
    "gmv": Decimal("150000.00"),
    "orders": 800,
    "live_gmv": Decimal("30000.00"),
    "live_sessions": 12,
    "followers": 5000,
    "refund_rate": Decimal("0.0350"),
    "new_listings": 6,
}


def figures(metric: MonthlyMetric) -> dict:
    metric.refresh_from_db()
    return {name: getattr(metric, name) for name in STORED}


@pytest.fixture
def changes():
    """The merchant ids of each ``metrics_changed`` sent (the real signal, after the commit)."""
    sent: list[list[int]] = []

    def record(sender, merchant_ids, **kwargs):
        sent.append(sorted(merchant_ids))

    metrics_changed.connect(record, dispatch_uid="tests.record_metrics_changed")
    yield sent
    metrics_changed.disconnect(dispatch_uid="tests.record_metrics_changed")


@pytest.fixture
def stored():
    return MonthlyMetricFactory(month=LAST_MONTH, **STORED)


# What a row omits, sends, or repeats -----------------------------------------------------------
def test_a_row_with_only_gmv_keeps_every_other_figure(stored):
    counts = monthly_metrics_upsert(
        rows=[{"merchant_id": stored.merchant_id, "month": LAST_MONTH, "gmv": "200000.50"}]
    )
    assert counts == {"created": 0, "updated": 1, "unchanged": 0}
    assert figures(stored) == {**STORED, "gmv": Decimal("200000.50")}


def test_a_zero_sent_is_written(stored):
    monthly_metrics_upsert(
        rows=[
            {
                "merchant_id": stored.merchant_id,
                "month": LAST_MONTH,
                "orders": 0,
                "live_gmv": "0",
                "refund_rate": 0,
            }
        ]
    )
    assert figures(stored) == {
        **STORED,
        "orders": 0,
        "live_gmv": Decimal("0.00"),
        "refund_rate": Decimal("0.0000"),
    }


def test_a_new_month_gets_the_defaults_for_what_it_omits():
    merchant = MerchantFactory()
    counts = monthly_metrics_upsert(
        rows=[{"merchant_id": merchant.pk, "month": LAST_MONTH.isoformat(), "followers": 7}]
    )
    assert counts == {"created": 1, "updated": 0, "unchanged": 0}
    metric = MonthlyMetric.objects.get(merchant=merchant)
    assert figures(metric) == {
        "gmv": Decimal("0.00"),
        "orders": 0,
        "live_gmv": Decimal("0.00"),
        "live_sessions": 0,
        "followers": 7,
        "refund_rate": Decimal("0.0000"),
        "new_listings": 0,
    }


def test_rows_equal_to_the_stored_ones_are_unchanged_and_not_written(
    stored, changes, django_capture_on_commit_callbacks
):
    before = MonthlyMetric.objects.get(pk=stored.pk).updated_at
    other = MerchantFactory()
    rows = [
        # Equal values in other spellings: a string, more trailing zeros.
        {"merchant_id": stored.merchant_id, "month": LAST_MONTH, "gmv": "150000", "orders": 800},
        {"merchant_id": other.pk, "month": LAST_MONTH, "gmv": "10.00"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        counts = monthly_metrics_upsert(rows=rows)
    assert counts == {"created": 1, "updated": 0, "unchanged": 1}
    assert MonthlyMetric.objects.get(pk=stored.pk).updated_at == before
    assert changes == [[other.pk]]  # the unchanged merchant is not recomputed


def test_the_same_batch_twice_leaves_the_same_state_and_queues_nothing_the_second_time(
    stored, changes, django_capture_on_commit_callbacks
):
    new = MerchantFactory()
    rows = [
        {"merchant_id": stored.merchant_id, "month": LAST_MONTH, "gmv": "160000.00"},
        {"merchant_id": new.pk, "month": THIS_MONTH, "gmv": "5.00", "orders": 1},
    ]
    with django_capture_on_commit_callbacks(execute=True) as first:
        assert monthly_metrics_upsert(rows=rows) == {"created": 1, "updated": 1, "unchanged": 0}
    state = list(MonthlyMetric.objects.order_by("pk").values())
    assert len(first) == 1
    assert changes == [sorted([stored.merchant_id, new.pk])]

    with django_capture_on_commit_callbacks(execute=True) as second:
        assert monthly_metrics_upsert(rows=rows) == {"created": 0, "updated": 0, "unchanged": 2}
    assert second == []
    assert changes == [sorted([stored.merchant_id, new.pk])]
    assert list(MonthlyMetric.objects.order_by("pk").values()) == state


def test_rows_sending_different_figures_are_each_written_as_sent():
    merchants = MerchantFactory.create_batch(3)
    for merchant in merchants:
        MonthlyMetricFactory(merchant=merchant, month=LAST_MONTH, **STORED)
    monthly_metrics_upsert(
        rows=[
            {"merchant_id": merchants[0].pk, "month": LAST_MONTH, "orders": 1},
            {"merchant_id": merchants[1].pk, "month": LAST_MONTH, "followers": 2},
            {"merchant_id": merchants[2].pk, "month": LAST_MONTH, "orders": 3, "followers": 4},
        ]
    )
    rows = MonthlyMetric.objects.order_by("merchant_id").values_list("orders", "followers")
    assert list(rows) == [(1, 5000), (800, 2), (3, 4)]


def test_live_gmv_is_checked_against_the_stored_gmv(stored):
    row = {"merchant_id": stored.merchant_id, "month": LAST_MONTH}
    with pytest.raises(MetricError) as error:
        monthly_metrics_upsert(rows=[{**row, "live_gmv": "150000.01"}])
    assert error.value.details[0]["code"] == "live_gmv_exceeds_gmv"
    with pytest.raises(MetricError):  # a lower GMV under the stored live-stream GMV
        monthly_metrics_upsert(rows=[{**row, "gmv": "29999.99"}])
    assert figures(stored) == STORED
    # Both sent together: the new pair is what counts.
    monthly_metrics_upsert(rows=[{**row, "gmv": "300000", "live_gmv": "250000"}])
    assert figures(stored)["live_gmv"] == Decimal("250000.00")


# Bad rows ---------------------------------------------------------------------------------------
BAD_ROWS = [
    ("gmv", "12.5x", "invalid"),
    ("gmv", True, "invalid"),
    ("gmv", [1], "invalid"),
    ("gmv", "NaN", "invalid"),
    ("gmv", -1, "negative"),
    ("gmv", "10.001", "too_precise"),
    ("gmv", "100000000000000", "too_large"),
    ("gmv", None, "null"),
    ("orders", -3, "negative"),
    ("orders", 2.5, "invalid"),
    ("orders", "many", "invalid"),
    ("orders", 2_147_483_648, "too_large"),
    ("followers", -1, "negative"),
    ("refund_rate", "1.01", "out_of_range"),
    ("refund_rate", -0.1, "out_of_range"),
    ("refund_rate", "0.12345", "too_precise"),
    ("month", LAST_MONTH.replace(day=2), "not_first_day"),
    ("month", NEXT_MONTH, "future"),
    ("month", datetime.date(1999, 12, 1), "out_of_range"),
    ("month", "2025-13-01", "invalid"),
    ("month", "last month", "invalid"),
    ("merchant_id", 2_000_000_000, "unknown_merchant"),
    ("merchant_id", "abc", "invalid"),
    ("merchant_id", -4, "invalid"),
    ("shop_name", "Oakworks", "unknown_field"),
]


@pytest.mark.parametrize(("field", "value", "code"), BAD_ROWS)
def test_each_kind_of_bad_row_writes_nothing_and_is_named(
    stored, changes, django_capture_on_commit_callbacks, field, value, code
):
    good = {"merchant_id": stored.merchant_id, "month": LAST_MONTH, "gmv": "1.00", "live_gmv": 0}
    new = {"merchant_id": MerchantFactory().pk, "month": LAST_MONTH, "gmv": "5.00"}
    bad = [{**new, "month": month, field: value} for month in (THIS_MONTH, months_back(2))]
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(MetricError) as error,
    ):
        monthly_metrics_upsert(rows=[good, new, *bad])
    # Both bad rows are listed, and only them.
    assert error.value.code == "invalid_rows"
    assert [(d["index"], d["field"], d["code"]) for d in error.value.details] == [
        (2, field, code),
        (3, field, code),
    ]
    assert all(d["message"] for d in error.value.details)
    assert figures(stored) == STORED
    assert MonthlyMetric.objects.count() == 1
    assert callbacks == []
    assert changes == []


def test_every_bad_row_is_listed_with_its_problems():
    merchant = MerchantFactory()
    rows = [
        {"merchant_id": merchant.pk, "month": LAST_MONTH, "gmv": "1"},
        "not a row",
        {"month": LAST_MONTH, "gmv": -1},
        {"merchant_id": merchant.pk, "month": LAST_MONTH, "gmv": "2"},
        {"merchant_id": merchant.pk, "month": THIS_MONTH, "gmv": "1", "live_gmv": "2"},
    ]
    with pytest.raises(MetricError) as error:
        monthly_metrics_upsert(rows=rows)
    assert [(d["index"], d["field"], d["code"]) for d in error.value.details] == [
        (1, None, "invalid"),
        (2, "merchant_id", "required"),
        (2, "gmv", "negative"),
        (3, "month", "duplicate"),
        (4, "live_gmv", "live_gmv_exceeds_gmv"),
    ]
    assert error.value.message == "4 rows are invalid: nothing was written."
    assert "row 1" in error.value.details[3]["message"]
    assert not MonthlyMetric.objects.exists()


def test_one_bad_row_is_named_in_the_message():
    with pytest.raises(MetricError, match="Row 1: gmv cannot be negative") as error:
        monthly_metrics_upsert(
            rows=[{"merchant_id": MerchantFactory().pk, "month": LAST_MONTH, "gmv": -1}]
        )
    assert error.value.field == "gmv"


def test_the_problems_listed_are_bounded():
    merchant = MerchantFactory()
    rows = [
        {"merchant_id": merchant.pk, "month": months_back(back), "gmv": -1, "orders": -1}
        for back in range(1, 121)
    ]
    with pytest.raises(MetricError) as error:
        monthly_metrics_upsert(rows=rows)
    assert len(error.value.details) == MAX_ERROR_DETAILS
    assert error.value.message.startswith("120 rows are invalid")


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([], "empty"),
        ({"merchant_id": 1}, "invalid"),
        ("rows", "invalid"),
        ([{}] * (MAX_METRIC_ROWS + 1), "too_many_rows"),
    ],
)
def test_the_batch_is_bounded(rows, code):
    with pytest.raises(MetricError) as error:
        monthly_metrics_upsert(rows=rows)
    assert (error.value.code, error.value.field) == (code, "rows")


# Scope -------------------------------------------------------------------------------------------
def test_a_user_writes_only_the_merchants_in_scope_and_others_read_as_unknown():
    member = MerchantMembershipFactory()
    theirs = member.merchant
    elsewhere = MerchantFactory()
    served = MerchantFactory()
    reviewer = OperationCenterMembershipFactory(center=OperationCenterFactory(belts=[served.belt]))

    def problems(user, merchant_id):
        with pytest.raises(MetricError) as error:
            monthly_metrics_upsert(
                rows=[{"merchant_id": merchant_id, "month": LAST_MONTH, "gmv": 1}], user=user
            )
        return [(d["code"], d["message"]) for d in error.value.details]

    assert monthly_metrics_upsert(
        rows=[{"merchant_id": theirs.pk, "month": LAST_MONTH, "gmv": 1}], user=member.user
    ) == {"created": 1, "updated": 0, "unchanged": 0}
    assert (
        monthly_metrics_upsert(
            rows=[{"merchant_id": served.pk, "month": LAST_MONTH, "gmv": 1}], user=reviewer.user
        )["created"]
        == 1
    )
    # Another merchant and one that does not exist: the same words but the id sent.
    (outside,) = problems(member.user, elsewhere.pk)
    (missing,) = problems(member.user, 2_000_000_000)
    assert outside[0] == missing[0] == "unknown_merchant"
    assert outside[1].replace(str(elsewhere.pk), "#") == missing[1].replace("2000000000", "#")
    assert problems(reviewer.user, elsewhere.pk)[0][0] == "unknown_merchant"
    assert problems(UserFactory(), theirs.pk)[0][0] == "unknown_merchant"
    assert not MonthlyMetric.objects.filter(merchant=elsewhere).exists()


def test_the_merchant_key_names_the_merchant_in_rows_and_problems():
    merchant = MerchantFactory()
    monthly_metrics_upsert(
        rows=[{"merchant": merchant.pk, "month": LAST_MONTH, "gmv": 1}], merchant_key="merchant"
    )
    assert MonthlyMetric.objects.filter(merchant=merchant).exists()
    with pytest.raises(MetricError) as error:
        monthly_metrics_upsert(
            rows=[{"merchant_id": merchant.pk, "month": LAST_MONTH}], merchant_key="merchant"
        )
    assert {(d["field"], d["code"]) for d in error.value.details} == {
        ("merchant_id", "unknown_field"),
        ("merchant", "required"),
    }


# Cost --------------------------------------------------------------------------------------------
def test_the_number_of_queries_does_not_grow_with_the_rows():
    def batch(count):
        merchants = MerchantFactory.create_batch(count)
        for merchant in merchants[: count // 2]:
            MonthlyMetricFactory(merchant=merchant, month=LAST_MONTH)
        return [
            {"merchant_id": merchant.pk, "month": LAST_MONTH, "gmv": "200000"}
            for merchant in merchants
        ]

    # Savepoint, merchants in scope, stored rows, one upsert, release.
    superuser = UserFactory(is_superuser=True)
    for count in (2, 40):
        rows = batch(count)
        with assert_num_queries(5, f"{count} rows"):
            counts = monthly_metrics_upsert(rows=rows, user=superuser)
        assert counts == {"created": count // 2, "updated": count // 2, "unchanged": 0}


def test_the_current_month_is_accepted_and_the_next_is_not():
    merchant = MerchantFactory()
    today = timezone.localdate()
    assert today.replace(day=1) == THIS_MONTH
    monthly_metrics_upsert(rows=[{"merchant_id": merchant.pk, "month": THIS_MONTH, "gmv": 1}])
    with pytest.raises(MetricError):
        monthly_metrics_upsert(rows=[{"merchant_id": merchant.pk, "month": NEXT_MONTH, "gmv": 1}])
