"""The merchant changelist is the console's biggest page: its search and filters must not grow
with the table."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from merchants.choices import MerchantStatus
from merchants.models import Merchant, MonthlyMetric, Notification
from tests.belts.factories import IndustrialBeltFactory, OperationCenterFactory
from tests.merchants.factories import MerchantFactory, MonthlyMetricFactory, NotificationFactory
from tests.utils.queries import assert_num_queries, format_queries

from .base import admin_url

# Session and user, the belt, category and center filters' choices, the count, the page.
MERCHANT_CHANGELIST_QUERIES = 2 + 3 + 1 + 1

pytestmark = pytest.mark.django_db


def _changelist(client, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(Merchant, "changelist"), params)
    assert response.status_code == 200
    return response, queries


def _assert_same_queries(few, many, rows_few, rows_many):
    assert len(few) == len(many), (
        f"{len(few)} queries with {rows_few} rows, {len(many)} with {rows_many}.\n"
        f"With {rows_few}:\n{format_queries(few)}\n\nWith {rows_many}:\n{format_queries(many)}"
    )


def test_changelist_skips_the_unfiltered_total(console_client):
    MerchantFactory.create_batch(3)
    with assert_num_queries(MERCHANT_CHANGELIST_QUERIES, "merchant changelist"):
        response = console_client.get(admin_url(Merchant, "changelist"))
    assert response.context["cl"].full_result_count is None


def test_search_answers_with_a_fixed_number_of_queries(console_client):
    belt = IndustrialBeltFactory()
    MerchantFactory.create_batch(3, belt=belt, shop_name="Foshan sofa works")
    MerchantFactory(belt=belt, shop_name="Baigou luggage")

    response, few = _changelist(console_client, {"q": "sofa"})
    assert response.context["cl"].result_count == 3

    MerchantFactory.create_batch(27, belt=belt, legal_name="Shunde Sofa Co., Ltd.")
    response, many = _changelist(console_client, {"q": "sofa"})
    assert response.context["cl"].result_count == 30

    _assert_same_queries(few, many, 3, 30)
    assert len(many) == MERCHANT_CHANGELIST_QUERIES


def test_filters_answer_with_a_fixed_number_of_queries(console_client):
    belt, other_belt = IndustrialBeltFactory.create_batch(2)
    MerchantFactory.create_batch(3, belt=belt)
    MerchantFactory(belt=belt, status=MerchantStatus.DORMANT)
    MerchantFactory(belt=other_belt)
    params = {
        "belt__id__exact": belt.pk,
        "status__exact": MerchantStatus.ACTIVE,
        "is_smb__exact": 1,
    }

    response, few = _changelist(console_client, params)
    assert response.context["cl"].result_count == 3

    MerchantFactory.create_batch(27, belt=belt)
    MerchantFactory.create_batch(10, belt=other_belt)
    response, many = _changelist(console_client, params)
    assert response.context["cl"].result_count == 30

    _assert_same_queries(few, many, 3, 30)
    assert len(many) == MERCHANT_CHANGELIST_QUERIES


def test_operation_center_filter_lists_each_merchant_once(console_client):
    # A belt served by two centers: the many-to-many filter must not duplicate its merchants.
    belt = IndustrialBeltFactory()
    center = OperationCenterFactory(belts=[belt])
    OperationCenterFactory(belts=[belt])
    MerchantFactory.create_batch(3, belt=belt)
    MerchantFactory()
    params = {"belt__operation_centers__id__exact": center.pk}

    response, few = _changelist(console_client, params)
    assert response.context["cl"].result_count == 3
    assert len(response.context["cl"].result_list) == 3

    MerchantFactory.create_batch(27, belt=belt)
    response, many = _changelist(console_client, params)
    assert response.context["cl"].result_count == 30

    _assert_same_queries(few, many, 3, 30)


def test_money_is_shown_in_yuan_with_grouping(console_client):
    MonthlyMetricFactory()  # GMV 150000.00
    response = console_client.get(admin_url(MonthlyMetric, "changelist"))
    assert "CNY 150,000.00" in response.content.decode()


def test_notification_delivery_fields_are_read_only(console_client):
    notification = NotificationFactory()
    url = admin_url(Notification, "change", notification.pk)
    response = console_client.get(url)
    readonly = set(response.context["adminform"].readonly_fields)
    assert {"status", "attempts", "last_error", "delivered_at", "dedupe_key"} <= readonly

    response = console_client.post(
        url,
        {
            "recipient": notification.recipient_id,
            "channel": notification.channel,
            "kind": notification.kind,
            "subject": "Edited subject",
            "body": "",
            "payload": "{}",
            "status": "delivered",
            "attempts": "9",
            "dedupe_key": "forged",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    notification.refresh_from_db()
    assert notification.subject == "Edited subject"
    assert notification.status == "pending"
    assert notification.attempts == 0
    assert notification.dedupe_key != "forged"


def test_metrics_filter_on_a_recent_month(console_client):
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    merchant = MerchantFactory()
    MonthlyMetricFactory(merchant=merchant, month=this_month)
    MonthlyMetricFactory(merchant=merchant, month=last_month)
    url = admin_url(MonthlyMetric, "changelist")

    response = console_client.get(url, {"month": last_month.isoformat()})
    assert response.status_code == 200
    assert [metric.month for metric in response.context["cl"].result_list] == [last_month]

    response = console_client.get(url, {"month": "not-a-month"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
