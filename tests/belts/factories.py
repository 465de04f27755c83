from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from belts.choices import CenterRole
from belts.models import (
    BeltYearStat,
    Category,
    City,
    IndustrialBelt,
    OperationCenter,
    OperationCenterMembership,
    TierPolicy,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pass-word-123")


class StaffUserFactory(UserFactory):
    is_staff = True


class SuperUserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"City {n}")
    name_zh = factory.Sequence(lambda n: f"城市{n}")
    province = "Guangdong"
    province_zh = "广东"
    latitude = Decimal("23.021548")
    longitude = Decimal("113.121416")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    name_zh = factory.Sequence(lambda n: f"品类{n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class IndustrialBeltFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustrialBelt

    city = factory.SubFactory(CityFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.LazyAttribute(lambda o: f"{o.city.name} {o.category.name.lower()}")
    slug = factory.Sequence(lambda n: f"belt-{n}")


class TierPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierPolicy
        django_get_or_create = ("year",)

    year = 2025


class BeltYearStatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BeltYearStat

    belt = factory.SubFactory(IndustrialBeltFactory)
    year = 2025
    gmv = Decimal("2500000000.00")
    merchant_count = 120
    yoy_growth = Decimal("0.1500")


class OperationCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OperationCenter
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Operation center {n}")
    city = factory.SubFactory(CityFactory)

    @factory.post_generation
    def belts(self, create, extracted, **kwargs):
        if create and extracted:
            self.belts.add(*extracted)


class OperationCenterMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OperationCenterMembership

    center = factory.SubFactory(OperationCenterFactory)
    user = factory.SubFactory(StaffUserFactory)
    role = CenterRole.REVIEWER
