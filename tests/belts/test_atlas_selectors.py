"""The atlas's rows: every belt once, with the figures of one year, in a fixed number of
queries; and the filter form the API and the pages share."""

from decimal import Decimal

import pytest
from django.utils import translation

from belts.choices import BeltTier
from belts.filtersets import AtlasFilter, AtlasFilterForm
from belts.selectors import AtlasBelt, atlas_belt_list, atlas_year_list
from tests.belts.factories import (
    BeltYearStatFactory,
    CategoryFactory,
    CityFactory,
    IndustrialBeltFactory,
)
from tests.utils.queries import assert_num_queries

pytestmark = pytest.mark.django_db

# The rows: belts, their city and category and the year's stat in one LEFT JOIN.
ROWS = 1
# Finding the newest year with figures, when no year is given.
NEWEST_YEAR = 1


@pytest.fixture
def world():
    """Three belts: Baigou luggage (a growth belt in 2025, standard in 2024), Foshan furniture
    (ten-billion both years) and Ganzhou furniture (figures in 2024 only)."""
    luggage = CategoryFactory(name="Luggage", name_zh="箱包", slug="luggage")
    furniture = CategoryFactory(name="Furniture", name_zh="家具", slug="furniture")
    baoding = CityFactory(
        name="Baoding",
        name_zh="保定",
        province="Hebei",
        province_zh="河北",
        latitude=Decimal("38.873891"),
        longitude=Decimal("115.464806"),
    )
    foshan = CityFactory(name="Foshan", name_zh="佛山")
    ganzhou = CityFactory(name="Ganzhou", name_zh="赣州", province="Jiangxi", province_zh="江西")
    baigou = IndustrialBeltFactory(
        name="Baoding-Baigou luggage", name_zh="白沟箱包", city=baoding, category=luggage
    )
    foshan_furniture = IndustrialBeltFactory(
        name="Foshan furniture", name_zh="佛山家具", city=foshan, category=furniture
    )
    ganzhou_furniture = IndustrialBeltFactory(
        name="Ganzhou furniture", name_zh="赣州家具", city=ganzhou, category=furniture
    )
    BeltYearStatFactory(
        belt=baigou,
        year=2025,
        gmv=Decimal("4600000000.00"),
        merchant_count=412,
        yoy_growth=Decimal("0.2500"),
        tier=BeltTier.GROWTH,
    )
    BeltYearStatFactory(
        belt=baigou,
        year=2024,
        gmv=Decimal("3680000000.00"),
        merchant_count=390,
        yoy_growth=None,
        tier=BeltTier.STANDARD,
    )
    BeltYearStatFactory(
        belt=foshan_furniture,
        year=2025,
        gmv=Decimal("52000000000.00"),
        merchant_count=2100,
        yoy_growth=Decimal("0.0400"),
        tier=BeltTier.TEN_BILLION,
    )
    BeltYearStatFactory(
        belt=foshan_furniture,
        year=2024,
        gmv=Decimal("50000000000.00"),
        tier=BeltTier.TEN_BILLION,
    )
    BeltYearStatFactory(
        belt=ganzhou_furniture,
        year=2024,
        gmv=Decimal("1200000000.00"),
        tier=BeltTier.STANDARD,
    )
    return {"baigou": baigou, "foshan": foshan_furniture, "ganzhou": ganzhou_furniture}


def slugs(belts: list[AtlasBelt]) -> list[str]:
    return [belt.slug for belt in belts]


class TestAtlasYearList:
    def test_years_with_figures_newest_first_in_one_query(self, world):
        BeltYearStatFactory(year=2023)
        with assert_num_queries(1, "the years"):
            assert atlas_year_list() == [2025, 2024, 2023]

    def test_none_without_figures(self):
        IndustrialBeltFactory()
        assert atlas_year_list() == []


class TestAtlasBeltList:
    def test_every_belt_once_with_the_newest_year_by_default(self, world):
        belts = atlas_belt_list()
        assert slugs(belts) == [world["foshan"].slug, world["baigou"].slug, world["ganzhou"].slug]
        assert {belt.year for belt in belts} == {2025}

        baigou = belts[1]
        assert baigou == AtlasBelt(
            id=world["baigou"].pk,
            slug=world["baigou"].slug,
            name="Baoding-Baigou luggage",
            name_zh="白沟箱包",
            city="Baoding",
            city_zh="保定",
            province="Hebei",
            province_zh="河北",
            latitude=38.873891,
            longitude=115.464806,
            category_slug="luggage",
            category="Luggage",
            category_zh="箱包",
            year=2025,
            gmv=Decimal("4600000000.00"),
            merchant_count=412,
            yoy_growth=Decimal("0.2500"),
            tier=BeltTier.GROWTH,
        )
        assert isinstance(baigou.latitude, float)
        assert isinstance(baigou.longitude, float)

    def test_a_belt_without_figures_that_year_is_standard_with_no_gmv(self, world):
        ganzhou = atlas_belt_list(year=2025)[-1]
        assert ganzhou.slug == world["ganzhou"].slug
        assert (ganzhou.gmv, ganzhou.merchant_count, ganzhou.yoy_growth) == (None, None, None)
        assert ganzhou.tier == BeltTier.STANDARD
        assert ganzhou.year == 2025

    def test_the_figures_of_the_year_asked_for(self, world):
        belts = {belt.slug: belt for belt in atlas_belt_list(year=2024)}
        baigou = belts[world["baigou"].slug]
        assert (baigou.year, baigou.gmv, baigou.merchant_count) == (
            2024,
            Decimal("3680000000.00"),
            390,
        )
        assert baigou.yoy_growth is None
        assert baigou.tier == BeltTier.STANDARD
        assert belts[world["ganzhou"].slug].gmv == Decimal("1200000000.00")

    def test_ordered_by_gmv_then_name_with_no_figures_last(self, world):
        # Two belts without figures in 2025 besides Ganzhou: they come last, by name.
        aksu = IndustrialBeltFactory(name="Aksu cotton")
        zibo = IndustrialBeltFactory(name="Zibo ceramics")
        # The same GMV as Baigou's: by name after it.
        yiwu = IndustrialBeltFactory(name="Yiwu small commodities")
        BeltYearStatFactory(belt=yiwu, year=2025, gmv=Decimal("4600000000.00"))
        assert slugs(atlas_belt_list()) == [
            world["foshan"].slug,
            world["baigou"].slug,
            yiwu.slug,
            aksu.slug,
            world["ganzhou"].slug,
            zibo.slug,
        ]

    def test_by_category(self, world):
        assert slugs(atlas_belt_list(category_slug="furniture")) == [
            world["foshan"].slug,
            world["ganzhou"].slug,
        ]
        assert atlas_belt_list(category_slug="wigs") == []

    def test_by_tier(self, world):
        assert slugs(atlas_belt_list(tier=BeltTier.GROWTH)) == [world["baigou"].slug]
        assert slugs(atlas_belt_list(tier=BeltTier.TEN_BILLION)) == [world["foshan"].slug]
        # Standard includes the belt without figures that year.
        assert slugs(atlas_belt_list(tier=BeltTier.STANDARD)) == [world["ganzhou"].slug]
        assert slugs(atlas_belt_list(year=2024, tier=BeltTier.STANDARD)) == [
            world["baigou"].slug,
            world["ganzhou"].slug,
        ]
        assert atlas_belt_list(year=2024, tier=BeltTier.GROWTH) == []

    def test_filters_combine(self, world):
        belts = atlas_belt_list(year=2025, category_slug="furniture", tier=BeltTier.STANDARD)
        assert slugs(belts) == [world["ganzhou"].slug]

    def test_limit_keeps_the_first_rows(self, world):
        assert slugs(atlas_belt_list(limit=2)) == [world["foshan"].slug, world["baigou"].slug]

    def test_without_any_figures_every_belt_has_no_year(self):
        belt = IndustrialBeltFactory()
        [row] = atlas_belt_list()
        assert (row.id, row.year, row.gmv, row.tier) == (belt.pk, None, None, BeltTier.STANDARD)

    def test_display_names_follow_the_language(self, world):
        baigou = atlas_belt_list(category_slug="luggage")[0]
        assert (baigou.display_name, baigou.display_city, baigou.display_category) == (
            "Baoding-Baigou luggage",
            "Baoding",
            "Luggage",
        )
        with translation.override("zh-hans"):
            assert (
                baigou.display_name,
                baigou.display_city,
                baigou.display_province,
                baigou.display_category,
            ) == ("白沟箱包", "保定", "河北", "箱包")

    @pytest.mark.parametrize(
        ("filters", "expected"),
        [
            ({}, NEWEST_YEAR + ROWS),
            ({"year": 2025}, ROWS),
            ({"year": 2025, "category_slug": "furniture", "tier": "standard"}, ROWS),
            ({"tier": "growth"}, NEWEST_YEAR + ROWS),
        ],
    )
    def test_query_count_does_not_grow_with_the_belts(self, filters, expected):
        def make(count: int) -> None:
            for stat in BeltYearStatFactory.create_batch(count, year=2025):
                BeltYearStatFactory(belt=stat.belt, year=2024)
            IndustrialBeltFactory.create_batch(count)  # no figures

        make(3)
        with assert_num_queries(expected, "6 belts"):
            atlas_belt_list(**filters)
        make(27)
        with assert_num_queries(expected, "60 belts"):
            belts = atlas_belt_list(**filters)
        if not filters:
            assert len(belts) == 60


class TestAtlasFilterForm:
    def test_empty_is_the_newest_year_and_everything(self, world):
        form = AtlasFilterForm({})
        assert form.is_valid(), form.errors
        assert form.atlas_filter() == AtlasFilter(year=2025, category_slug=None, tier=None)

    def test_a_full_filter(self, world):
        form = AtlasFilterForm({"year": "2024", "category": "furniture", "tier": "growth"})
        assert form.is_valid(), form.errors
        assert form.atlas_filter() == AtlasFilter(
            year=2024, category_slug="furniture", tier="growth"
        )

    def test_without_figures_the_year_is_none(self):
        form = AtlasFilterForm({})
        assert form.is_valid()
        assert form.atlas_filter().year is None

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"year": "2023"}, "year", "There are no belt figures for 2023."),
            ({"year": "20x5"}, "year", "There are no belt figures for 20x5."),
            ({"year": "9" * 40}, "year", None),
            ({"category": "wigs"}, "category", "There is no category “wigs”."),
            ({"tier": "gold"}, "tier", "“gold” is not a belt tier."),
        ],
    )
    def test_bad_input_names_its_field(self, world, data, field, message):
        form = AtlasFilterForm(data)
        assert not form.is_valid()
        assert set(form.errors) == {field}
        if message is not None:
            assert form.errors[field] == [message]

    def test_the_selects_list_what_exists(self, world):
        form = AtlasFilterForm({})
        years = [value for value, _label in form.fields["year"].choices]
        assert years == ["", 2025, 2024]
        html = str(form["category"])
        assert 'value="furniture"' in html
        assert 'value="luggage"' in html
        with translation.override("zh-hans"):
            assert "家具" in str(AtlasFilterForm({})["category"])

    def test_made_in_one_query_and_a_category_checked_in_one_more(self, world):
        with assert_num_queries(1, "the years"):
            form = AtlasFilterForm({"year": "2025", "tier": "growth"})
            assert form.is_valid()
        with assert_num_queries(2, "the years and the category"):
            form = AtlasFilterForm({"category": "luggage"})
            assert form.is_valid()
