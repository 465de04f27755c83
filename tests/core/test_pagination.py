"""core.pagination.BigTablePaginator: bounded counts, bounded depth, deep pages by key."""

import pytest
from django.db import connection

from core import pagination
from core.pagination import BigTablePaginator
from merchants.models import Merchant
from tests.merchants.factories import MerchantFactory


@pytest.fixture
def small_limits(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    monkeypatch.setattr(pagination, "LISTED_MAX", 20)
    monkeypatch.setattr(pagination, "DEFERRED_FROM", 4)


@pytest.fixture
def merchants(db):
    made = MerchantFactory.create_batch(30)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE merchants_merchant")
    return made


def test_a_short_list_is_counted_exactly(small_limits, merchants):
    few = Merchant.objects.filter(pk__in=[m.pk for m in merchants[:7]]).order_by("-pk")
    paginator = BigTablePaginator(few, 5)
    assert (paginator.count, paginator.capped, paginator.estimated) == (7, False, False)
    assert paginator.num_pages == 2


def test_a_long_filtered_list_is_counted_up_to_the_cap(small_limits, merchants):
    paginator = BigTablePaginator(Merchant.objects.filter(pk__gt=0).order_by("-pk"), 5)
    assert (paginator.count, paginator.capped) == (10, True)
    assert paginator.num_pages == 2  # the cap's rows, no deeper


def test_a_long_unfiltered_list_says_an_estimate_and_its_links_stop(small_limits, merchants):
    paginator = BigTablePaginator(Merchant.objects.order_by("-pk"), 5)
    if connection.vendor == "postgresql":
        assert paginator.estimated
        assert paginator.count == 30  # the planner's figure after ANALYZE
    else:  # no estimate to read: counted up to the cap
        assert (paginator.count, paginator.capped) == (10, True)
    assert paginator.truncated == (paginator.count > 20)
    assert paginator.num_pages == min(-(-paginator.count // 5), 4)


@pytest.mark.parametrize("ordering", [("-pk",), ("belt_id", "-id"), ("shop_name", "id")])
def test_deep_pages_hold_the_same_rows_as_plain_slicing(small_limits, merchants, ordering):
    queryset = Merchant.objects.select_related("belt").order_by(*ordering)
    paginator = BigTablePaginator(queryset, 5)
    for number in range(1, paginator.num_pages + 1):
        page = paginator.page(number)
        start = (number - 1) * 5
        assert [m.pk for m in page.object_list] == [m.pk for m in queryset[start : start + 5]]
