"""The database itself refuses what the belts domain forbids."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from belts.models import BeltYearStat, City, IndustrialBelt, TierPolicy

from .factories import (
    BeltYearStatFactory,
    CityFactory,
    IndustrialBeltFactory,
    OperationCenterMembershipFactory,
    TierPolicyFactory,
)

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_city_coordinates_must_be_on_earth():
    refused(
        lambda: City.objects.create(
            name="Nowhere", province="X", latitude=Decimal("91"), longitude=Decimal("10")
        )
    )
    refused(
        lambda: City.objects.create(
            name="Nowhere", province="X", latitude=Decimal("10"), longitude=Decimal("-181")
        )
    )


def test_one_belt_per_city_and_category():
    belt = IndustrialBeltFactory()
    refused(
        lambda: IndustrialBelt.objects.create(
            name="Copy", slug="copy", city=belt.city, category=belt.category
        )
    )


def test_one_year_figure_per_belt_and_year():
    stat = BeltYearStatFactory()
    refused(lambda: BeltYearStat.objects.create(belt=stat.belt, year=stat.year, gmv=Decimal("1")))


def test_year_figures_refuse_negative_gmv_and_impossible_growth():
    belt = IndustrialBeltFactory()
    refused(lambda: BeltYearStat.objects.create(belt=belt, year=2024, gmv=Decimal("-0.01")))
    refused(
        lambda: BeltYearStat.objects.create(
            belt=belt, year=2024, gmv=Decimal("5"), yoy_growth=Decimal("-1.5")
        )
    )
    # A belt that fell to nothing is -100 %, the lowest growth there is.
    assert BeltYearStat.objects.create(
        belt=belt, year=2024, gmv=Decimal("0"), yoy_growth=Decimal("-1")
    )


def test_tier_policy_thresholds_are_consistent():
    refused(lambda: TierPolicy.objects.create(year=2030, growth_top_n=0))
    refused(lambda: TierPolicy.objects.create(year=2031, ten_billion_gmv=Decimal("-1")))
    refused(
        lambda: TierPolicy.objects.create(
            year=2032, ten_billion_gmv=Decimal("100"), growth_min_gmv=Decimal("200")
        )
    )
    TierPolicyFactory(year=2033)
    refused(lambda: TierPolicy.objects.create(year=2033))


def test_tier_policy_defaults_follow_the_source():
    policy = TierPolicy.objects.create(year=2023)
    policy.refresh_from_db()
    assert policy.ten_billion_gmv == Decimal("10000000000")
    assert policy.growth_min_gmv == Decimal("1000000000")
    assert policy.growth_top_n == 30


def test_staff_member_joins_a_center_once():
    membership = OperationCenterMembershipFactory()
    refused(
        lambda: OperationCenterMembershipFactory(center=membership.center, user=membership.user)
    )


def test_city_names_are_unique():
    CityFactory(name="Foshan")
    refused(
        lambda: City.objects.create(
            name="Foshan", province="Guangdong", latitude=Decimal("1"), longitude=Decimal("1")
        )
    )
