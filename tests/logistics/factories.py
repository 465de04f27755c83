import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from logistics.choices import (
    BreachKind,
    Condition,
    IncidentKind,
    LegKind,
    ProviderKind,
)
from logistics.models import (
    ConditionCheck,
    ConditionCheckPhoto,
    Incident,
    Leg,
    ProviderMembership,
    ServiceProvider,
    Shipment,
    SlaBreach,
)
from tests.belts.factories import CityFactory, UserFactory
from tests.merchants.factories import MerchantFactory


class ServiceProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProvider
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Carrier {n}")
    kind = ProviderKind.CONTRACTED


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    merchant = factory.SubFactory(MerchantFactory)
    order_reference = factory.Sequence(lambda n: f"ORD-{n:08d}")
    item_description = "Solid wood bathroom cabinet"
    declared_value = Decimal("3200.00")
    destination_city = factory.SubFactory(CityFactory)
    promised_delivery_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=5)
    )
    promised_installation_on = factory.LazyAttribute(
        lambda o: o.promised_delivery_on + datetime.timedelta(days=2)
    )


class LegFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leg

    shipment = factory.SubFactory(ShipmentFactory)
    kind = LegKind.PICKUP
    sequence = factory.Sequence(lambda n: n + 1)
    provider = factory.SubFactory(ServiceProviderFactory)
    sla_due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))


class ConditionCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConditionCheck

    # Hand-over 1 of a shipment: leg 1 gives the goods (no receiver leg unless given).
    giver = factory.SubFactory(LegFactory)
    shipment = factory.LazyAttribute(lambda o: o.giver.shipment if o.giver else None)
    index = factory.LazyAttribute(lambda o: o.giver.sequence if o.giver else 0)
    condition = Condition.INTACT
    checked_at = factory.LazyFunction(timezone.now)


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    shipment = factory.SubFactory(ShipmentFactory)
    kind = IncidentKind.DAMAGE
    description = "Corner of the cabinet cracked"
    reported_at = factory.LazyFunction(timezone.now)


class ConditionCheckPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConditionCheckPhoto

    check_record = factory.SubFactory(ConditionCheckFactory)
    image = factory.Sequence(lambda n: f"condition-checks/2026/12/test-{n}.jpg")
    content_type = "image/jpeg"
    width = 640
    height = 480
    size = 20_000


class SlaBreachFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaBreach

    leg = factory.SubFactory(LegFactory)
    kind = BreachKind.OPEN_OVERDUE
    due_at = factory.LazyAttribute(lambda o: o.leg.sla_due_at)
    detected_at = factory.LazyFunction(timezone.now)


class ProviderMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderMembership

    provider = factory.SubFactory(ServiceProviderFactory)
    user = factory.SubFactory(UserFactory)
