import datetime
from decimal import Decimal

import factory

from merchants.api_keys import api_key_create
from merchants.choices import (
    BrandStage,
    MembershipRole,
    MerchantType,
    NotificationKind,
    StorefrontChannel,
)
from merchants.models import (
    ApiKey,
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


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key made by the service, as the command line would (no actor); the key in clear is on
    ``raw_key``, as it is shown once."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Integration {n}")

    @classmethod
    def _create(cls, model_class, *args, merchant=None, center=None, name="", **kwargs):
        if merchant is None and center is None:
            merchant = MerchantFactory()
        api_key, raw_key = api_key_create(
            actor=None,
            merchant=merchant,
            center=center,
            name=name,
            expires_at=kwargs.get("expiry_date"),
        )
        api_key.raw_key = raw_key
        return api_key


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """A merchant's endpoint; pass ``merchant=None, operation_center=...`` for a center's."""

    class Meta:
        model = WebhookEndpoint

    merchant = factory.SubFactory(MerchantFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/belt-ops")
    events = factory.LazyFunction(lambda: [NotificationKind.ELIGIBILITY_GAINED.value])
    secret = factory.Sequence(lambda n: f"whsec_test-secret-{n}")
