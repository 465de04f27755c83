"""The set-based statement does not widen with the criteria.

A tester published a draft of 1,000 criteria: the statement built two columns per criterion and
PostgreSQL refused it (at most 1664 columns), so every later recompute of all programs failed.
Now a rule set is one boolean expression and an array of the values its criteria saw, whatever
its length. On SQLite the set-based engine is not used: the same test checks the Python one.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from belts.choices import BeltTier
from belts.models import Category
from bench.naive import merchant_facts_naive
from merchants.choices import BrandStage, MerchantType
from merchants.models import Merchant, MonthlyMetric
from programs.criteria import criterion_from_json
from programs.eligibility import CompiledRuleSet, evaluate
from programs.models import Eligibility
from programs.services import eligibility_recompute_range
from tests.belts.factories import BeltYearStatFactory, IndustrialBeltFactory
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import ProgramFactory, RuleSetFactory

AS_OF = datetime.date(2026, 11, 27)
MONTHS = [datetime.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]
MAX_CRITERIA = 50
SLUGS = [f"category-{i:03d}" for i in range(200)]


def at_the_limit(level: int) -> list[dict]:
    """``MAX_CRITERIA`` criteria of every type, every list at its longest (the category list at
    ``MAX_LIST_VALUES`` slugs, the others holding every choice); ``level`` moves the thresholds,
    so that each program admits a different set of merchants."""
    cycle = [
        {"type": "category_in", "params": {"categories": SLUGS}},
        {"type": "merchant_type_in", "params": {"types": list(MerchantType.values)}},
        {"type": "brand_stage_in", "params": {"stages": list(BrandStage.values)}},
        {"type": "belt_tier_in", "params": {"tiers": list(BeltTier.values)}},
        {"type": "gmv_between", "params": {"min": str(100000 * level), "max": "10000000000000"}},
        {"type": "yoy_growth_at_least", "params": {"min": "-1"}},
        {"type": "live_share_at_least", "params": {"min": f"0.0{level}"}},
        {"type": "live_sessions_at_least", "params": {"min": 3 * level, "days": 90}},
        {"type": "refund_rate_at_most", "params": {"max": "0.2"}},
        {"type": "store_age_at_least", "params": {"months": 6 * level}},
        {"type": "store_age_at_most", "params": {"months": 1200}},
        {"type": "returned_within", "params": {"months": 1200}},
        {"type": "smb", "params": {"value": True}},
    ]
    criteria = [cycle[i % len(cycle)] for i in range(MAX_CRITERIA)]
    if level == 0:
        # One program without returned_within, whose missing data would fail most merchants.
        criteria = [c for c in criteria if c["type"] != "returned_within"]
        criteria += [cycle[4]] * (MAX_CRITERIA - len(criteria))
    return criteria


@pytest.fixture
def population():
    """Eight merchants across the listed categories (and one not listed), with a year's and a
    prior year's metrics, some returned to the platform, on a growth belt."""
    categories = Category.objects.bulk_create(
        Category(name=f"Category {slug}", slug=slug) for slug in [*SLUGS, "unlisted"]
    )
    belt = IndustrialBeltFactory()
    BeltYearStatFactory(belt=belt, year=AS_OF.year - 1, tier=BeltTier.GROWTH)
    merchants = []
    for i in range(8):
        merchant = MerchantFactory(
            belt=belt,
            category=categories[-1] if i == 7 else categories[i * 25],
            merchant_type=MerchantType.values[i % 5],
            brand_stage=BrandStage.values[i % 3],
            is_smb=i != 5,
            opened_on=datetime.date(2026 - i, 1, 15),
            returned_on=datetime.date(2026, 3, 1) if i % 2 else None,
        )
        MonthlyMetric.objects.bulk_create(
            MonthlyMetric(
                merchant=merchant,
                month=month,
                gmv=Decimal(20000 * (i + 1) + 500 * index),
                live_gmv=Decimal(600 * i),
                live_sessions=i + index % 3,
                refund_rate=Decimal("0.03") * (i % 4),
            )
            for index, month in enumerate(MONTHS)
        )
        merchants.append(merchant)
    return merchants


@pytest.mark.django_db
def test_the_statement_does_not_widen_with_the_criteria(population):
    """The tester's 1,000 criteria, compiled by hand past the validation: the engines still
    agree, so the bound on criteria is about cost, not about what the statement can hold."""
    program = ProgramFactory()
    criteria = [
        criterion_from_json(criterion) for level in (0, 1) for criterion in at_the_limit(level) * 10
    ]
    rule_set = RuleSetFactory(program=program, status="published", published_at=timezone.now())
    compiled = CompiledRuleSet(
        id=rule_set.pk, program_id=program.pk, version=1, criteria=tuple(criteria)
    )
    assert len(compiled.criteria) == 1000
    merchants = Merchant.objects.prefetch_related("metrics").select_related("category")
    expected = {m.pk: evaluate(compiled, merchant_facts_naive(m, AS_OF)) for m in merchants}

    stats = eligibility_recompute_range(id_range=(0, None), as_of=AS_OF, rule_sets=[compiled])

    assert stats.written == len(population)
    for row in Eligibility.objects.filter(program=program):
        assert row.is_eligible == expected[row.merchant_id].is_eligible
        assert row.actuals == list(expected[row.merchant_id].actuals)
