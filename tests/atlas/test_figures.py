"""A belt's page figures (config.atlas.figures) against the hand-computed world of
tests/atlas/world.py, for each kind of reader, with their query counts pinned."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from belts.choices import BeltTier
from belts.models import IndustrialBelt
from config.atlas.access import BeltAccess, belt_access
from config.atlas.figures import belt_figures_get
from merchants.choices import MerchantType
from tests.atlas.world import AtlasWorld, build_atlas_world
from tests.merchants.factories import MerchantFactory
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> AtlasWorld:
    return build_atlas_world()


def test_the_reference_figures_are_the_same_for_every_reader(world):
    for user in (world.superuser, world.staff, world.other_staff, world.owner, world.other_owner):
        figures = belt_figures_get(user=user, slug="baigou-luggage")
        assert [(p.year, p.gmv, p.yoy_growth, p.tier) for p in figures.years] == [
            (2023, Decimal("300000000.00"), None, BeltTier.STANDARD),
            (2024, Decimal("360000000.00"), Decimal("0.2000"), BeltTier.GROWTH),
            (2025, Decimal("456000000.00"), Decimal("0.2667"), BeltTier.GROWTH),
        ]
        assert figures.latest.year == 2025
        assert [(c.year, c.from_tier, c.to_tier) for c in figures.tier_history] == [
            (2024, BeltTier.STANDARD, BeltTier.GROWTH)
        ]
        assert [center.name for center in figures.centers] == ["North China center"]


def test_why_a_growth_belt_is_one(world):
    reason = belt_figures_get(user=world.staff, belt_id=world.luggage.pk).tier_reason
    assert (reason.tier, reason.year) == (BeltTier.GROWTH, 2025)
    # Growth of every belt: tea 50%, lamps 30%, luggage 26.67%, furniture 10%, toys 5%.
    assert (reason.growth_rank, reason.ranked_of) == (3, 5)
    # Candidates between CNY 100 M and 1 bn: lamps, luggage, toys.
    assert (reason.candidate_rank, reason.candidates) == (2, 3)
    with translation.override("en"):
        sentence = belt_figures_get(user=world.staff, belt_id=world.luggage.pk).tier_reason
    assert "26.7%" in sentence.sentence
    assert "ranking 2 of the 3 belts" in sentence.sentence
    assert "top 2 of them are growth belts" in sentence.sentence


@pytest.mark.parametrize(
    ("key", "tier", "words"),
    [
        ("furniture", BeltTier.TEN_BILLION, "ten-billion belt"),
        ("toys", BeltTier.STANDARD, "ranking 3 of the 3 belts"),
        ("tea", BeltTier.STANDARD, "under the CNY 100 M a growth belt needs"),
    ],
)
def test_why_the_other_tiers(world, key, tier, words):
    with translation.override("en"):
        reason = belt_figures_get(user=world.superuser, belt_id=world.belts[key].pk).tier_reason
    assert reason.tier == tier
    assert words in reason.sentence


def test_a_belt_without_figures_has_no_reason_and_no_years(world):
    bare = MerchantFactory().belt
    figures = belt_figures_get(user=world.superuser, belt_id=bare.pk)
    assert figures.years == []
    assert figures.latest is None
    assert figures.tier_reason is None


def test_the_staff_serving_the_belt_see_everything(world):
    figures = belt_figures_get(user=world.staff, belt_id=world.luggage.pk)
    assert figures.access == BeltAccess.FULL
    rows = {
        row.merchant_type: (row.me_too, row.me_better, row.me_only, row.total)
        for row in figures.composition.rows
    }
    assert rows == {MerchantType.SOURCE_FACTORY: (1, 1, 1, 3), MerchantType.BRAND: (0, 1, 0, 1)}
    assert figures.composition.stage_totals == {"me_too": 1, "me_better": 2, "me_only": 1}
    assert figures.composition.total == 4
    assert [(p.name, p.eligible, p.enrolled) for p in figures.programs] == [
        ("Source Power", 2, 1),
        ("Star Origin", 0, 0),
    ]
    logistics = figures.logistics
    assert (logistics.shipments, logistics.damaged) == (3, 1)
    assert logistics.damage_rate == Decimal(1) / Decimal(3)
    assert [(p.name, p.legs) for p in logistics.providers] == [
        ("Linehaul Co", 3),
        ("Install Co", 1),
    ]
    assert figures.factory_count == 3
    assert sorted((f.label, f.latitude, f.longitude, f.district) for f in figures.factories) == [
        ("Own Factory", 38.9, 115.5, "Baigou"),
        ("Peer Factory", 38.85, 115.42, ""),
    ]
    assert all(f.merchant_id is not None and not f.is_own for f in figures.factories)


def test_a_member_sees_the_counts_and_only_their_own_factory_by_name(world):
    figures = belt_figures_get(user=world.owner, belt_id=world.luggage.pk)
    assert figures.access == BeltAccess.MEMBER
    assert figures.composition.total == 4
    assert [(p.eligible, p.enrolled) for p in figures.programs] == [(2, 1), (0, 0)]
    assert figures.logistics.shipments == 3
    own = [f for f in figures.factories if f.is_own]
    peers = [f for f in figures.factories if not f.is_own]
    assert [(f.merchant_id, f.label) for f in own] == [(world.merchants["own"].pk, "Own Factory")]
    assert [(f.merchant_id, f.label, f.latitude) for f in peers] == [(None, None, 38.85)]


@pytest.mark.parametrize("reader", ["other_staff", "other_owner"])
def test_anyone_else_sees_the_reference_figures_only(world, reader):
    figures = belt_figures_get(user=getattr(world, reader), belt_id=world.luggage.pk)
    assert figures.access == BeltAccess.PUBLIC
    assert figures.years
    assert figures.tier_reason is not None
    assert figures.composition is None
    assert figures.programs is None
    assert figures.logistics is None
    assert figures.factory_count is None
    assert figures.factories == []


def test_access_levels(world):
    luggage = world.luggage.pk
    assert belt_access(world.superuser, luggage) == BeltAccess.FULL
    assert belt_access(world.staff, luggage) == BeltAccess.FULL
    assert belt_access(world.staff, world.furniture.pk) == BeltAccess.PUBLIC
    assert belt_access(world.owner, luggage) == BeltAccess.MEMBER
    assert belt_access(world.other_owner, luggage) == BeltAccess.PUBLIC
    assert belt_access(AnonymousUser(), luggage) == BeltAccess.PUBLIC


def test_an_unknown_belt_is_does_not_exist(world):
    with pytest.raises(IndustrialBelt.DoesNotExist):
        belt_figures_get(user=world.superuser, slug="no-such-belt")
    with pytest.raises(IndustrialBelt.DoesNotExist):
        belt_figures_get(user=world.superuser, belt_id=0)


@pytest.mark.parametrize(
    ("reader", "queries"),
    # belt, years, policy, ranks, tier changes, centers (6); access: staff 1, member 2, other 2;
    # merchant figures: composition, programs, shipments, providers, factories, count (6).
    [("superuser", 12), ("staff", 13), ("owner", 14), ("other_owner", 8)],
)
def test_query_counts_do_not_grow_with_the_belt(world, reader, queries):
    user = getattr(world, reader)
    with assert_num_queries(queries, reader):
        belt_figures_get(user=user, belt_id=world.luggage.pk)
    for number in range(20):
        MerchantFactory(
            belt=world.luggage,
            latitude=Decimal("38.8"),
            longitude=Decimal(f"115.{number:02d}"),
        )
    user = type(user).objects.get(pk=user.pk)  # a new request: nothing kept on the user
    with assert_num_queries(queries, reader):
        belt_figures_get(user=user, belt_id=world.luggage.pk)
