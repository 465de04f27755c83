import datetime
from decimal import Decimal

import factory

from merchants.choices import (
    BrandStage,
    MembershipRole,
    MerchantType,
    NotificationKind,
    StorefrontChannel,
)
from merchants.models import (
    Merchant,
    MerchantMembership,
    MonthlyMetric,
    Notification,
    Storefront,
    WebhookEndpoint,
)
from tests.belts.factories import IndustrialBeltFactory, UserFactory


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    legal_name = factory.Sequence(lambda n: f"Merchant {n} Co., Ltd.")
    shop_name = factory.Sequence(lambda n: f"Shop {n}")
    belt = factory.SubFactory(IndustrialBeltFactory)
    category = factory.SelfAttribute("belt.category")
    merchant_type = MerchantType.SOURCE_FACTORY
    brand_stage = BrandStage.ME_TOO
    is_smb = True
    opened_on = datetime.date(2020, 3, 1)


class StorefrontFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Storefront

    merchant = factory.SubFactory(MerchantFactory)
    channel = StorefrontChannel.TAOBAO
    external_id = factory.Sequence(lambda n: f"shop-{n}")
    name = factory.LazyAttribute(lambda o: o.merchant.shop_name)


class MerchantMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MerchantMembership

    merchant = factory.SubFactory(MerchantFactory)
    user = factory.SubFactory(UserFactory)
    role = MembershipRole.OWNER


class MonthlyMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyMetric

    merchant = factory.SubFactory(MerchantFactory)
    month = datetime.date(2025, 1, 1)
    gmv = Decimal("150000.00")
    orders = 800
    live_gmv = Decimal("30000.00")
    live_sessions = 12
    followers = 5000
    refund_rate = Decimal("0.0350")
    new_listings = 6


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.GENERAL
    subject = "Welcome to Belt Ops"
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """A merchant's endpoint; pass ``merchant=None, operation_center=...`` for a center's."""

    class Meta:
        model = WebhookEndpoint

    merchant = factory.SubFactory(MerchantFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/belt-ops")
    events = factory.LazyFunction(lambda: [NotificationKind.ELIGIBILITY_GAINED.value])
    secret = factory.Sequence(lambda n: f"whsec_test-secret-{n}")
