"""Rule sets at the bounds validation accepts: both engines evaluate them, and agree.

A tester published a draft of 1,000 criteria: the set-based statement built two columns per
criterion, PostgreSQL refused it (at most 1664 columns), and every later recompute of all
programs failed. Now a rule set holds at most ``MAX_CRITERIA`` criteria, each list at most
``MAX_LIST_VALUES`` values, and the statement's width no longer grows with the criteria. Here
several programs at those limits are published through the services and recomputed: on
PostgreSQL by the one statement of ``eligibility_sql`` (its half of the test runs only there: on
SQLite the engine is not used), everywhere checked against the Python evaluation merchant by
merchant.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from belts.choices import BeltTier
from belts.models import Category
from bench.naive import merchant_facts_naive
from merchants.choices import BrandStage, MerchantType
from merchants.models import Merchant, MonthlyMetric
from programs import eligibility_sql
from programs.criteria import MAX_CRITERIA, MAX_LIST_VALUES, criterion_from_json
from programs.eligibility import CompiledRuleSet, eligibility_reasons, evaluate
from programs.models import Eligibility, RuleSet
from programs.services.eligibility import (
    eligibility_recompute,
    eligibility_recompute_range,
    rule_set_create_draft,
    rule_set_publish,
    rule_set_simulate,
)
from tests.belts.factories import BeltYearStatFactory, IndustrialBeltFactory
from tests.merchants.factories import MerchantFactory
from tests.programs.factories import ProgramFactory, RuleSetFactory

AS_OF = datetime.date(2026, 11, 27)
MONTHS = [datetime.date(2024 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(24)]
SLUGS = [f"category-{i:03d}" for i in range(MAX_LIST_VALUES)]


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


def expected_outcomes():
    """The Python evaluation, one merchant at a time, of every published rule set."""
    compiled = [CompiledRuleSet.compile(r) for r in RuleSet.objects.filter(status="published")]
    merchants = Merchant.objects.prefetch_related("metrics").select_related("category")
    return {
        (merchant.pk, rule_set.program_id): evaluate(
            rule_set, merchant_facts_naive(merchant, AS_OF)
        )
        for merchant in merchants
        for rule_set in compiled
    }


@pytest.mark.django_db
def test_rule_sets_at_the_limits_publish_and_both_engines_agree(
    population, django_capture_on_commit_callbacks
):
    programs = [ProgramFactory() for _level in range(4)]
    for level, program in enumerate(programs):
        draft = rule_set_create_draft(program=program, criteria=at_the_limit(level))
        assert len(draft.criteria) == MAX_CRITERIA
        with django_capture_on_commit_callbacks(execute=False):
            # On PostgreSQL, publishing has the database plan the statement first.
            rule_set_publish(rule_set=draft)

    # All four programs in one statement per chunk on PostgreSQL, in Python on SQLite.
    stats = eligibility_recompute(as_of=AS_OF, chunk_size=3)
    assert stats.failed_programs == []
    assert stats.merchants == len(population)

    expected = expected_outcomes()
    stored = {(row.merchant_id, row.program_id): row for row in Eligibility.objects.all()}
    assert stored.keys() == expected.keys()
    for key, outcome in expected.items():
        row = stored[key]
        assert row.is_eligible == outcome.is_eligible, key
        assert row.actuals == list(outcome.actuals), key
        assert len(row.actuals) == MAX_CRITERIA
        assert [r.as_json() for r in eligibility_reasons(row)] == outcome.reasons_json()
    # The thresholds tell the programs apart: some merchants pass, not all, not none.
    eligible = [outcome.is_eligible for outcome in expected.values()]
    assert any(eligible)
    assert not all(eligible)

    # Nothing moved: a rerun writes nothing (the stored fingerprints match the statement's).
    assert eligibility_recompute(as_of=AS_OF, chunk_size=3).written == 0

    # A draft at the limit (for SMBs no more) simulates against those rows with the same
    # verdicts.
    program = programs[1]
    criteria = [
        {"type": "smb", "params": {"value": False}} if c["type"] == "smb" else c
        for c in at_the_limit(0)
    ]
    draft = rule_set_create_draft(program=program, criteria=criteria)
    simulation = rule_set_simulate(rule_set=draft, as_of=AS_OF, chunk_size=3)
    compiled = CompiledRuleSet.compile(draft)
    after = {
        merchant.pk: evaluate(compiled, merchant_facts_naive(merchant, AS_OF)).is_eligible
        for merchant in Merchant.objects.prefetch_related("metrics").select_related("category")
    }
    before = {m: expected[(m, program.pk)].is_eligible for m in after}
    assert simulation.gained == sorted(m for m in after if after[m] and not before[m])
    assert simulation.lost == sorted(m for m in after if before[m] and not after[m])
    assert simulation.kept == sorted(m for m in after if before[m] and after[m])
    assert simulation.counts == {"evaluated": 8, "gain": 1, "lose": 2, "keep": 0}

    if connection.vendor == "postgresql":
        # The SQL half, statement by statement: the one-statement recompute of all four at
        # the limit is what failed before; it runs, and changes nothing.
        assert eligibility_sql.supported()
        rule_sets = [CompiledRuleSet.compile(r) for r in RuleSet.objects.filter(status="published")]
        flips = []
        result = eligibility_sql.recompute(rule_sets=rule_sets, as_of=AS_OF, notify=flips.extend)
        assert (result.merchants, result.written) == (len(population), 0)
        assert flips == []
        evaluated, gained, lost, kept = eligibility_sql.simulate(
            rule_set=compiled, as_of=AS_OF, id_range=(0, None)
        )
        assert (evaluated, gained, lost, kept) == (
            len(population),
            simulation.gained,
            simulation.lost,
            simulation.kept,
        )


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
