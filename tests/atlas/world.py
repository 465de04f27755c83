"""A small world whose belt page figures are computed by hand (see each comment).

Tier policy 2025: ten-billion at CNY 1 bn, growth from CNY 100 M, top 2.

Belts in 2025 (GMV, growth, tier):
  luggage   456 M  +26.67%  growth    (2023: 300 M, 2024: 360 M +20%)
  furniture 2 bn   +10%     ten-billion
  lamps     500 M  +30%     growth
  toys      200 M  +5%      standard  (a candidate, third of three)
  tea       50 M   +50%     standard  (under the growth minimum)
Growth ranks: tea 1, lamps 2, luggage 3, furniture 4, toys 5 (of 5).
Candidates (100 M <= GMV < 1 bn): lamps 1, luggage 2, toys 3 (of 3).

The luggage belt's merchants (CLOSED ones are not counted):
  own   source factory, me too,    at (38.900, 115.500) in Baigou, a member: ``owner``
  peer  source factory, me better, at (38.850, 115.420)
  far   source factory, me only,   no location
  brand brand,          me better
  gone  distributor,    me too,    closed
  -> composition: source factory 1/1/1 = 3, brand 0/1/0 = 1; total 4; 3 factories, 2 located.
Programs: Source Power (active) eligible own, peer (gone too, but closed) = 2; enrolled own
(active; peer only submitted) = 1. Star Origin (active): 0 and 0. Retired (inactive): not shown.
Shipments: own's s1 (damaged), s2, s3 (cancelled, damaged: left out), brand's s4 -> 3
shipments, 1 damaged (33.3%). Legs: Linehaul Co on s1, s2, s4 = 3; Install Co on s1 = 1 (and
s3's, cancelled, left out).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from belts.choices import BeltTier
from belts.models import IndustrialBelt
from logistics.choices import LegKind, ProviderKind, ShipmentStatus
from merchants.choices import BrandStage, MerchantStatus, MerchantType
from programs.choices import EnrollmentState
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    StaffUserFactory,
    SuperUserFactory,
    TierPolicyFactory,
    UserFactory,
)
from tests.console.factories_extra import BeltTierChangeFactory
from tests.logistics.factories import (
    IncidentFactory,
    LegFactory,
    ServiceProviderFactory,
    ShipmentFactory,
)
from tests.merchants.factories import MerchantFactory, MerchantMembershipFactory
from tests.programs.factories import (
    CohortFactory,
    EligibilityFactory,
    EnrollmentFactory,
    ProgramFactory,
    PublishedRuleSetFactory,
)

M = Decimal(1_000_000)


@dataclass
class AtlasWorld:
    luggage: IndustrialBelt
    furniture: IndustrialBelt
    belts: dict[str, IndustrialBelt]
    superuser: object
    staff: object  # of the center serving the luggage belt
    other_staff: object  # of the center serving the furniture belt only
    owner: object  # a member of the luggage belt's "own" factory
    other_owner: object  # a member of a furniture merchant
    merchants: dict[str, object]
    programs: dict[str, object]


def build_atlas_world() -> AtlasWorld:
    TierPolicyFactory(year=2025, ten_billion_gmv=1000 * M, growth_min_gmv=100 * M, growth_top_n=2)
    baoding = CityFactory(
        name="Baoding",
        name_zh="保定",
        province="Hebei",
        province_zh="河北",
        latitude=Decimal("38.873891"),
        longitude=Decimal("115.464589"),
    )
    luggage = IndustrialBeltFactory(
        name="Baigou luggage",
        name_zh="白沟箱包",
        slug="baigou-luggage",
        city=baoding,
        category=CategoryFactory(name="Luggage", name_zh="箱包", slug="luggage"),
    )
    belts = {"luggage": luggage}
    for key, city, lat, lon in (
        ("furniture", "Foshan", "23.021548", "113.121416"),
        ("lamps", "Zhongshan", "22.517585", "113.392770"),
        ("toys", "Shantou", "23.354091", "116.681972"),
        ("tea", "Anxi", "25.055954", "118.186288"),
    ):
        belts[key] = IndustrialBeltFactory(
            name=f"{city} {key}",
            slug=f"{city.lower()}-{key}",
            city=CityFactory(name=city, latitude=Decimal(lat), longitude=Decimal(lon)),
            category=CategoryFactory(name=key.title(), slug=key),
        )
    for year, gmv, growth, tier in (
        (2023, 300, None, BeltTier.STANDARD),
        (2024, 360, "0.2000", BeltTier.GROWTH),
        (2025, 456, "0.2667", BeltTier.GROWTH),
    ):
        BeltYearStatFactory(
            belt=luggage,
            year=year,
            gmv=gmv * M,
            merchant_count=3 + year - 2023,
            yoy_growth=Decimal(growth) if growth else None,
            tier=tier,
        )
    for key, gmv, growth, tier in (
        ("furniture", 2000, "0.1000", BeltTier.TEN_BILLION),
        ("lamps", 500, "0.3000", BeltTier.GROWTH),
        ("toys", 200, "0.0500", BeltTier.STANDARD),
        ("tea", 50, "0.5000", BeltTier.STANDARD),
    ):
        BeltYearStatFactory(
            belt=belts[key], year=2025, gmv=gmv * M, yoy_growth=Decimal(growth), tier=tier
        )
    BeltTierChangeFactory(
        belt=luggage, year=2024, from_tier=BeltTier.STANDARD, to_tier=BeltTier.GROWTH
    )

    staff = StaffUserFactory(username="luggage-staff")
    other_staff = StaffUserFactory(username="furniture-staff")
    luggage_center = OperationCenterFactory(name="North China center", city=baoding)
    luggage_center.belts.add(luggage)
    furniture_center = OperationCenterFactory(name="South China center")
    furniture_center.belts.add(belts["furniture"])
    OperationCenterMembershipFactory(center=luggage_center, user=staff)
    OperationCenterMembershipFactory(center=furniture_center, user=other_staff)

    def merchant(shop: str, merchant_type: str, stage: str, **extra) -> object:
        return MerchantFactory(
            shop_name=shop, belt=luggage, merchant_type=merchant_type, brand_stage=stage, **extra
        )

    merchants = {
        "own": merchant(
            "Own Factory",
            MerchantType.SOURCE_FACTORY,
            BrandStage.ME_TOO,
            latitude=Decimal("38.900000"),
            longitude=Decimal("115.500000"),
            district="Baigou",
        ),
        "peer": merchant(
            "Peer Factory",
            MerchantType.SOURCE_FACTORY,
            BrandStage.ME_BETTER,
            latitude=Decimal("38.850000"),
            longitude=Decimal("115.420000"),
        ),
        "far": merchant("Far Factory", MerchantType.SOURCE_FACTORY, BrandStage.ME_ONLY),
        "brand": merchant("A Brand", MerchantType.BRAND, BrandStage.ME_BETTER),
        "gone": merchant(
            "Gone Distributor",
            MerchantType.DISTRIBUTOR,
            BrandStage.ME_TOO,
            status=MerchantStatus.CLOSED,
        ),
    }
    owner = UserFactory(username="luggage-owner")
    MerchantMembershipFactory(merchant=merchants["own"], user=owner)
    other_owner = UserFactory(username="furniture-owner")
    MerchantMembershipFactory(
        merchant=MerchantFactory(shop_name="Sofa Shop", belt=belts["furniture"]), user=other_owner
    )

    source_power = ProgramFactory(code="source-power", name="Source Power", name_zh="源力计划")
    star_origin = ProgramFactory(code="star-origin", name="Star Origin")
    retired = ProgramFactory(code="retired", name="Retired", is_active=False)
    rules = PublishedRuleSetFactory(program=source_power)
    for key, eligible in (("own", True), ("peer", True), ("brand", False), ("gone", True)):
        EligibilityFactory(
            merchant=merchants[key], rule_set=rules, program=source_power, is_eligible=eligible
        )
    EligibilityFactory(
        merchant=merchants["own"],
        rule_set=PublishedRuleSetFactory(program=retired),
        program=retired,
    )
    cohort = CohortFactory(program=source_power, belt=luggage)
    EnrollmentFactory(merchant=merchants["own"], cohort=cohort, state=EnrollmentState.ACTIVE)
    EnrollmentFactory(merchant=merchants["peer"], cohort=cohort, state=EnrollmentState.SUBMITTED)

    linehaul = ServiceProviderFactory(name="Linehaul Co", kind=ProviderKind.CONTRACTED)
    install = ServiceProviderFactory(name="Install Co", kind=ProviderKind.SELF_OPERATED)
    s1 = ShipmentFactory(merchant=merchants["own"])
    s2 = ShipmentFactory(merchant=merchants["own"])
    s3 = ShipmentFactory(merchant=merchants["own"], status=ShipmentStatus.CANCELLED)
    s4 = ShipmentFactory(merchant=merchants["brand"])
    LegFactory(shipment=s1, provider=linehaul, kind=LegKind.PICKUP, sequence=1)
    LegFactory(shipment=s1, provider=install, kind=LegKind.INSTALLATION, sequence=2)
    LegFactory(shipment=s2, provider=linehaul, sequence=1)
    LegFactory(shipment=s3, provider=install, sequence=1)
    LegFactory(shipment=s4, provider=linehaul, sequence=1)
    IncidentFactory(shipment=s1)
    IncidentFactory(shipment=s3)

    return AtlasWorld(
        luggage=luggage,
        furniture=belts["furniture"],
        belts=belts,
        superuser=SuperUserFactory(username="atlas-root"),
        staff=staff,
        other_staff=other_staff,
        owner=owner,
        other_owner=other_owner,
        merchants=merchants,
        programs={"source_power": source_power, "star_origin": star_origin, "retired": retired},
    )
