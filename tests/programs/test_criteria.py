"""Every criterion type at its threshold, just past it, and with missing data."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from django.utils import translation

from config.demo.data import CATEGORIES, COHORTS, PROGRAMS
from merchants.facts import MerchantFacts
from programs.criteria import (
    CRITERIA,
    MAX_CRITERIA,
    Reason,
    criteria_from_json,
    criteria_validate,
    criterion_from_json,
    evaluate_all,
    explain,
    explain_bilingual,
)
from programs.exceptions import CriterionError
from tests.belts.factories import CategoryFactory

BASE = MerchantFacts(
    merchant_id=1,
    as_of=datetime.date(2026, 11, 27),
    belt_id=1,
    belt_tier="growth",
    category="furniture",
    merchant_type="source_factory",
    brand_stage="me_better",
    is_smb=True,
    status="active",
    gmv_12m=Decimal("1000000.00"),
    gmv_prior_12m=Decimal("800000.00"),
    yoy_growth=Decimal("0.2500"),
    live_gmv_12m=Decimal("200000.00"),
    live_share=Decimal("0.2000"),
    live_sessions_90d=20,
    refund_rate=Decimal("0.0500"),
    months_with_data=12,
    store_age_months=24,
    months_since_return=6,
)


def facts(**changes):
    return dataclasses.replace(BASE, **changes)


def check(data, **changes) -> Reason:
    return criterion_from_json(data).evaluate(facts(**changes))


# (criterion, fact changes exactly at the threshold, just failing, expected shortfall when failing)
BOUNDARIES = [
    (
        {"type": "gmv_between", "params": {"min": "1000000"}},
        {"gmv_12m": Decimal("1000000.00")},
        {"gmv_12m": Decimal("999999.99")},
        Decimal("0.01"),
    ),
    (
        {"type": "gmv_between", "params": {"max": "1000000"}},
        {"gmv_12m": Decimal("1000000.00")},
        {"gmv_12m": Decimal("1000000.01")},
        Decimal("-0.01"),
    ),
    (
        {"type": "yoy_growth_at_least", "params": {"min": "0.25"}},
        {"yoy_growth": Decimal("0.2500")},
        {"yoy_growth": Decimal("0.2499")},
        Decimal("0.0001"),
    ),
    (
        {"type": "live_share_at_least", "params": {"min": "0.2"}},
        {"live_share": Decimal("0.2000")},
        {"live_share": Decimal("0.1999")},
        Decimal("0.0001"),
    ),
    (
        {"type": "live_sessions_at_least", "params": {"min": 20, "days": 90}},
        {"live_sessions_90d": 20},
        {"live_sessions_90d": 19},
        1,
    ),
    (
        {"type": "refund_rate_at_most", "params": {"max": "0.05"}},
        {"refund_rate": Decimal("0.0500")},
        {"refund_rate": Decimal("0.0501")},
        Decimal("0.0001"),
    ),
    (
        {"type": "store_age_at_most", "params": {"months": 24}},
        {"store_age_months": 24},
        {"store_age_months": 25},
        1,
    ),
    (
        {"type": "store_age_at_least", "params": {"months": 24}},
        {"store_age_months": 24},
        {"store_age_months": 23},
        1,
    ),
    (
        {"type": "returned_within", "params": {"months": 6}},
        {"months_since_return": 6},
        {"months_since_return": 7},
        1,
    ),
    (
        {"type": "belt_tier_in", "params": {"tiers": ["growth", "ten_billion"]}},
        {"belt_tier": "growth"},
        {"belt_tier": "standard"},
        None,
    ),
    (
        {"type": "category_in", "params": {"categories": ["furniture"]}},
        {"category": "furniture"},
        {"category": "luggage"},
        None,
    ),
    (
        {"type": "merchant_type_in", "params": {"types": ["source_factory", "oem"]}},
        {"merchant_type": "oem"},
        {"merchant_type": "brand"},
        None,
    ),
    (
        {"type": "brand_stage_in", "params": {"stages": ["me_better", "me_only"]}},
        {"brand_stage": "me_only"},
        {"brand_stage": "me_too"},
        None,
    ),
    ({"type": "smb", "params": {"value": True}}, {"is_smb": True}, {"is_smb": False}, None),
    ({"type": "smb", "params": {"value": False}}, {"is_smb": False}, {"is_smb": True}, None),
]


def test_every_registered_type_has_a_boundary_case():
    assert {data["type"] for data, *_ in BOUNDARIES} == set(CRITERIA)


@pytest.mark.parametrize(("data", "at", "below", "shortfall"), BOUNDARIES)
def test_boundary(data, at, below, shortfall):
    passing = check(data, **at)
    assert passing.passed is True
    assert passing.shortfall is None
    failing = check(data, **below)
    assert failing.passed is False
    assert failing.shortfall == shortfall
    # The reason carries what was seen and what was asked.
    assert failing.actual == next(iter(below.values()))
    assert failing.required is not None


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        ({"type": "yoy_growth_at_least", "params": {"min": "0.1"}}, {"yoy_growth": None}),
        ({"type": "live_share_at_least", "params": {"min": "0.1"}}, {"live_share": None}),
        ({"type": "refund_rate_at_most", "params": {"max": "0.1"}}, {"refund_rate": None}),
        ({"type": "returned_within", "params": {"months": 12}}, {"months_since_return": None}),
        ({"type": "belt_tier_in", "params": {"tiers": ["growth"]}}, {"belt_tier": None}),
    ],
)
def test_missing_data_fails_without_a_shortfall(data, missing):
    reason = check(data, **missing)
    assert reason.passed is False
    assert reason.actual is None
    assert reason.shortfall is None
    # ... and says so in words rather than crashing on the missing value.
    assert explain(reason, language="en")
    assert explain(reason, language="zh-hans")


def test_gmv_shortfall_is_spelled_out_in_both_languages():
    reason = check({"type": "gmv_between", "params": {"min": "2000000"}}, gmv_12m=Decimal("800000"))
    assert reason.shortfall == Decimal("1200000")
    texts = explain_bilingual(reason.as_json())
    assert "CNY 1.2 M more GMV over 12 months" in texts["en"]
    assert "¥120万" in texts["zh-hans"]
    assert texts["en"] != texts["zh-hans"]


def test_reason_round_trips_through_json():
    reason = check({"type": "gmv_between", "params": {"min": "5", "max": "10"}})
    stored = reason.as_json()
    assert stored["actual"] == "1000000.00"
    assert Reason.from_json(stored).passed is reason.passed
    assert explain(stored, language="en") == explain(reason, language="en")


def test_all_criteria_must_pass_and_empty_admits_everyone():
    criteria = criteria_from_json(
        [
            {"type": "gmv_between", "params": {"min": "1"}},
            {"type": "smb", "params": {"value": False}},
        ]
    )
    eligible, reasons = evaluate_all(criteria, facts())
    assert eligible is False
    assert [r.passed for r in reasons] == [True, False]
    assert evaluate_all([], facts()) == (True, [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "nope"}, "Unknown criterion type"),
        ({"params": {}}, "must be an object with a"),
        ({"type": "gmv_between", "params": {}}, "give a"),
        ({"type": "gmv_between", "params": {"min": "abc"}}, "must be a number"),
        ({"type": "gmv_between", "params": {"min": "10", "max": "5"}}, "must not exceed"),
        ({"type": "gmv_between", "params": {"min": "-10"}}, "cannot be negative"),
        ({"type": "refund_rate_at_most", "params": {"max": "1.5"}}, "between 0 and 1"),
        ({"type": "store_age_at_most", "params": {"months": "x"}}, "whole number"),
        ({"type": "store_age_at_most", "params": {"months": True}}, "whole number"),
        ({"type": "merchant_type_in", "params": {"types": ["alien"]}}, "unknown values"),
        ({"type": "merchant_type_in", "params": {"types": []}}, "non-empty list"),
        ({"type": "live_sessions_at_least", "params": {"min": 3, "days": 30}}, "90-day"),
        ({"type": "smb", "params": {"value": "yes"}}, "true or false"),
        ({"type": "smb", "params": []}, "must be an object"),
    ],
)
def test_bad_criteria_are_refused_with_a_clear_message(data, message):
    with translation.override("en"), pytest.raises(CriterionError, match=message):
        criterion_from_json(data)


def test_criteria_must_be_a_list():
    with pytest.raises(CriterionError):
        criteria_from_json({"type": "smb"})


def test_categorical_explanations_read_well_with_one_or_several_values():
    one = check({"type": "merchant_type_in", "params": {"types": ["brand"]}})
    several = check({"type": "merchant_type_in", "params": {"types": ["brand", "oem"]}})
    with translation.override("en"):
        assert explain(one) == "Merchant type: Source factory; Brand is required."
        assert (
            explain(several)
            == "Merchant type: Source factory is not one of Brand, OEM manufacturer."
        )
    with translation.override("zh-hans"):
        assert "要求为" in explain(one)


# Bounds: what a rule set may hold (docs/eligibility.md) ------------------------------------------
SMB = {"type": "smb", "params": {"value": True}}


@pytest.mark.parametrize(
    ("data", "param", "code", "message"),
    [
        (
            {"type": "smb", "params": {"value": True, "colour": "red"}},
            "colour",
            "unknown_param",
            "unknown parameter “colour”",
        ),
        (
            {"type": "smb", "params": {"value": True}, "note": "x"},
            None,
            "unknown_param",
            "“type” and its “params” only",
        ),
        (
            {"type": "merchant_type_in", "params": {"types": ["oem\x00"]}},
            "types",
            "null_character",
            "NUL",
        ),
        ({"type": "gmv_between\x00"}, "type", "null_character", "NUL"),
        ({"type": "smb", "params": {"val\x00ue": True}}, None, "null_character", "NUL"),
        ({"type": "x" * 101}, "type", "too_long", "at most 100 characters"),
        (
            {"type": "category_in", "params": {"categories": ["a" * 101]}},
            "categories",
            "too_long",
            "at most 100 characters",
        ),
        (
            {"type": "gmv_between", "params": {"min": "1000000.001"}},
            "min",
            "too_precise",
            "at most 2 decimal places",
        ),
        (
            {"type": "gmv_between", "params": {"max": "10000000000000.01"}},
            "max",
            "out_of_range",
            "at most 10000000000000",
        ),
        (
            {"type": "gmv_between", "params": {"min": True}},
            "min",
            "invalid_type",
            "must be a number",
        ),
        (
            {"type": "gmv_between", "params": {"min": ["1"]}},
            "min",
            "invalid_type",
            "must be a number",
        ),
        ({"type": "gmv_between", "params": {"min": "1e400000"}}, "min", "out_of_range", "at most"),
        (
            {"type": "yoy_growth_at_least", "params": {"min": "-1.5"}},
            "min",
            "out_of_range",
            "between -1 and 100",
        ),
        (
            {"type": "yoy_growth_at_least", "params": {"min": "0.12345"}},
            "min",
            "too_precise",
            "at most 4 decimal places",
        ),
        (
            {"type": "live_share_at_least", "params": {"min": "1.01"}},
            "min",
            "out_of_range",
            "between 0 and 1",
        ),
        (
            {"type": "refund_rate_at_most", "params": {"max": "-0.1"}},
            "max",
            "out_of_range",
            "between 0 and 1",
        ),
        (
            {"type": "store_age_at_least", "params": {"months": 1201}},
            "months",
            "out_of_range",
            "at most 1200",
        ),
        (
            {"type": "returned_within", "params": {"months": -1}},
            "months",
            "out_of_range",
            "at least 0",
        ),
        (
            {"type": "returned_within", "params": {"months": 1.5}},
            "months",
            "invalid_type",
            "whole number",
        ),
        (
            {"type": "live_sessions_at_least", "params": {"min": 10_001}},
            "min",
            "out_of_range",
            "at most 10000",
        ),
        (
            {"type": "merchant_type_in", "params": {"types": ["oem", "brand", "oem"]}},
            "types",
            "duplicate",
            "“oem” more than once",
        ),
        (
            {"type": "belt_tier_in", "params": {"tiers": [1]}},
            "tiers",
            "invalid_type",
            "non-empty list",
        ),
        (
            {"type": "category_in", "params": {"categories": [f"c{i}" for i in range(201)]}},
            "categories",
            "too_many",
            "at most 200 values",
        ),
        (
            {"type": "merchant_type_in", "params": {"types": [["oem"]]}},
            "types",
            "invalid_type",
            "not nested lists or objects",
        ),
        (
            {"type": "gmv_between", "params": {"min": {"value": "1"}}},
            "min",
            "invalid_type",
            "not nested lists or objects",
        ),
        (
            {"type": "merchant_type_in", "params": {"types": ["oem"] * 100_000}},
            "types",
            "too_many",
            "at most 200 values, not 100000",
        ),
        (
            {"type": ["gmv_between"]},
            "type",
            "unknown_type",
            "Unknown criterion type",
        ),
    ],
)
def test_out_of_bounds_criteria_are_refused_naming_the_parameter(data, param, code, message):
    with translation.override("en"), pytest.raises(CriterionError, match=message) as error:
        criterion_from_json(data)
    assert (error.value.param, error.value.code) == (param, code)


@pytest.mark.parametrize(
    "data",
    [
        {"type": "gmv_between", "params": {"min": 0, "max": "10000000000000.00"}},
        {"type": "gmv_between", "params": {"min": 1000000.5}},  # a JSON number
        {"type": "gmv_between", "params": {"min": "1.50000"}},  # trailing zeros are no precision
        {"type": "yoy_growth_at_least", "params": {"min": "-1"}},
        {"type": "yoy_growth_at_least", "params": {"min": "100"}},
        {"type": "refund_rate_at_most", "params": {"max": "0.0001"}},
        {"type": "store_age_at_most", "params": {"months": "1200"}},
        {"type": "live_sessions_at_least", "params": {"min": 0}},
        {"type": "smb", "params": None},
        {"type": "category_in", "params": {"categories": [f"c{i}" for i in range(200)]}},
    ],
)
def test_values_at_the_bounds_are_accepted(data):
    criterion_from_json(data)


def test_a_rule_set_holds_at_most_max_criteria():
    assert len(criteria_from_json([SMB] * MAX_CRITERIA)) == MAX_CRITERIA
    with translation.override("en"), pytest.raises(CriterionError) as error:
        criteria_from_json([SMB] * 1000)
    assert error.value.code == "too_many_criteria"
    assert error.value.field == "criteria"
    assert error.value.message == "A rule set holds at most 50 criteria, not 1000."


def test_every_bad_criterion_of_a_list_is_named_with_its_index_and_parameter():
    data = [
        SMB,
        {"type": "gmv_between", "params": {"min": "a lot"}},
        SMB,
        {"type": "smb", "params": {"vale": True}},
    ]
    with translation.override("en"), pytest.raises(CriterionError) as error:
        criteria_from_json(data)
    assert error.value.details == [
        {
            "index": 1,
            "field": "params.min",
            "code": "invalid_type",
            "message": "Criterion 2: gmv_between: “min” must be a number, not “a lot”.",
        },
        {
            "index": 3,
            "field": "params.vale",
            "code": "unknown_param",
            "message": "Criterion 4: smb: unknown parameter “vale”; it takes “value”.",
        },
    ]
    assert error.value.message == (
        "Criterion 2: gmv_between: “min” must be a number, not “a lot”. "
        "(and 1 more criterion with a problem)"
    )
    with translation.override("zh-hans"), pytest.raises(CriterionError) as error:
        criteria_from_json(data)
    assert error.value.details[0]["message"].startswith("第2项条件")  # in the user's language


def test_a_long_value_is_quoted_short_in_the_message():
    with pytest.raises(CriterionError) as error:
        criterion_from_json({"type": "gmv_between", "params": {"min": "9" * 60 + "x"}})
    assert len(error.value.message) < 120


@pytest.mark.django_db
def test_category_slugs_must_exist():
    CategoryFactory(slug="furniture")
    known = {"type": "category_in", "params": {"categories": ["furniture"]}}
    assert len(criteria_validate([known, SMB])) == 2
    unknown = {"type": "category_in", "params": {"categories": ["furniture", "unicorns"]}}
    with translation.override("en"), pytest.raises(CriterionError) as error:
        criteria_validate([SMB, unknown])
    (detail,) = error.value.details
    assert detail["index"] == 1
    assert detail["field"] == "params.categories"
    assert detail["code"] == "unknown_value"
    assert "unicorns" in detail["message"]
    assert "furniture" not in detail["message"]
    # Reading (the recompute, stored outcomes) does not ask the database.
    assert len(criteria_from_json([unknown])) == 1


def test_the_demo_data_stays_within_the_bounds():
    slugs = {category.slug for category in CATEGORIES}
    criteria = [c for program in PROGRAMS for r in program.rule_sets for c in r.criteria]
    criteria += [c for cohort in COHORTS for c in cohort.graduation_criteria]
    for criterion in criteria_from_json(criteria[:MAX_CRITERIA]) + criteria_from_json(
        criteria[MAX_CRITERIA:]
    ):
        assert set(criterion.params.get("categories", [])) <= slugs
