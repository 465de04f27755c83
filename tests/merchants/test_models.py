"""The database itself refuses what the merchants domain forbids."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from merchants.choices import MembershipRole, NotificationStatus
from merchants.models import MonthlyMetric, Notification

from .factories import (
    MerchantFactory,
    MerchantMembershipFactory,
    MonthlyMetricFactory,
    NotificationFactory,
    StorefrontFactory,
)

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_one_metric_per_merchant_and_month():
    metric = MonthlyMetricFactory()
    refused(lambda: MonthlyMetric.objects.create(merchant=metric.merchant, month=metric.month))
    # The same month of another merchant is fine.
    MonthlyMetricFactory(month=metric.month)


def test_metric_month_is_the_first_day():
    refused(lambda: MonthlyMetricFactory(month=datetime.date(2025, 3, 15)))


@pytest.mark.parametrize(
    "fields",
    [
        {"gmv": Decimal("-1.00"), "live_gmv": Decimal("0")},
        {"gmv": Decimal("100.00"), "live_gmv": Decimal("-5.00")},
        {"gmv": Decimal("100.00"), "live_gmv": Decimal("100.01")},
        {"refund_rate": Decimal("1.0001")},
        {"refund_rate": Decimal("-0.0001")},
    ],
)
def test_metric_money_and_rates_stay_in_range(fields):
    refused(lambda: MonthlyMetricFactory(**fields))


def test_metric_bounds_themselves_are_allowed():
    MonthlyMetricFactory(gmv=Decimal("0"), live_gmv=Decimal("0"), refund_rate=Decimal("0"))
    MonthlyMetricFactory(gmv=Decimal("10"), live_gmv=Decimal("10"), refund_rate=Decimal("1"))


def test_metric_counts_are_non_negative():
    refused(lambda: MonthlyMetricFactory(orders=-1))


def test_merchant_cannot_return_before_it_opened():
    refused(
        lambda: MerchantFactory(
            opened_on=datetime.date(2021, 5, 1), returned_on=datetime.date(2020, 1, 1)
        )
    )


def test_storefront_id_unique_per_channel():
    shop = StorefrontFactory()
    refused(lambda: StorefrontFactory(channel=shop.channel, external_id=shop.external_id))


def test_a_merchant_has_one_owner():
    owner = MerchantMembershipFactory(role=MembershipRole.OWNER)
    refused(lambda: MerchantMembershipFactory(merchant=owner.merchant, role=MembershipRole.OWNER))
    MerchantMembershipFactory(merchant=owner.merchant, role=MembershipRole.OPERATOR)


def test_notification_dedupe_key_is_unique():
    first = NotificationFactory()
    refused(lambda: NotificationFactory(dedupe_key=first.dedupe_key))


def test_notification_needs_an_addressee_and_delivery_time():
    refused(lambda: Notification.objects.create(subject="To nobody", dedupe_key="nobody"))
    refused(lambda: NotificationFactory(status=NotificationStatus.DELIVERED, delivered_at=None))
