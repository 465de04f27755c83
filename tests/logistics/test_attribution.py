"""Attribution of an incident to the leg that caused it, table-driven over a four-leg chain:
pickup (1) → line haul (2) → last mile (3) → installation (4); hand-overs 0..4."""

import datetime
import json

import pytest
from django.utils import translation

from logistics.attribution import (
    ATTRIBUTED,
    BEFORE_CHAIN,
    RULE_BAD_AT_PICKUP,
    RULE_FIRST_OVERRUN,
    RULE_GOOD_AT_END,
    RULE_INSTALLATION,
    RULE_MISSING_CHECK,
    RULE_NO_LEG,
    RULE_NO_OVERRUN,
    RULE_PACKING,
    RULE_WORSE_AT_LEG,
    UNATTRIBUTED,
    LegFacts,
    attribute,
    attribution_text,
)
from logistics.choices import Condition, IncidentKind, LegKind

OK, BAD, PARTS, NONE = Condition.INTACT, Condition.DAMAGED, Condition.MISSING_PARTS, None
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def chain(*, due=(None, None, None, None), completed=(None, None, None, None)):
    kinds = [LegKind.PICKUP, LegKind.LINE_HAUL, LegKind.LAST_MILE, LegKind.INSTALLATION]
    providers = ["Foshan Pickup", "Trunk Line", "City Courier", "Home Fitters"]
    return [
        LegFacts(
            sequence=index + 1,
            kind=kind,
            provider_id=index + 10,
            provider_name=providers[index],
            provider_name_zh=f"服务商{index + 1}",
            sla_due_at=due[index],
            started_at=None if completed[index] is None else completed[index] - HOUR,
            completed_at=completed[index],
        )
        for index, kind in enumerate(kinds)
    ]


DAMAGE_CASES = [
    # hand-overs 0..4                  status         rule                leg   candidates  missing
    ((OK, BAD, NONE, NONE, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 1, (), ()),
    ((OK, OK, BAD, NONE, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 2, (), ()),
    ((OK, OK, OK, BAD, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 3, (), ()),
    # damage seen only at installation: every check before it intact
    ((OK, OK, OK, OK, BAD), ATTRIBUTED, RULE_WORSE_AT_LEG, 4, (), ()),
    # found by the buyer, no check at the end: the incident is the evidence, the installer's leg
    ((OK, OK, OK, OK, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 4, (), ()),
    # a missing check at each position
    ((NONE, BAD, NONE, NONE, NONE), UNATTRIBUTED, RULE_MISSING_CHECK, None, (1,), (0,)),
    ((OK, NONE, BAD, NONE, NONE), UNATTRIBUTED, RULE_MISSING_CHECK, None, (1, 2), (1,)),
    ((OK, OK, NONE, BAD, NONE), UNATTRIBUTED, RULE_MISSING_CHECK, None, (2, 3), (2,)),
    ((OK, OK, OK, NONE, BAD), UNATTRIBUTED, RULE_MISSING_CHECK, None, (3, 4), (3,)),
    (
        (NONE, NONE, NONE, NONE, NONE),
        UNATTRIBUTED,
        RULE_MISSING_CHECK,
        None,
        (1, 2, 3, 4),
        (0, 1, 2, 3),
    ),
    # damaged when the chain took it
    ((BAD, BAD, NONE, NONE, NONE), BEFORE_CHAIN, RULE_BAD_AT_PICKUP, None, (), ()),
    # recorded in order at the buyer's hand-over: found afterwards
    ((OK, OK, OK, OK, OK), UNATTRIBUTED, RULE_GOOD_AT_END, None, (), ()),
    # a missing part is not damage: the grade does not make the leg responsible for damage
    ((OK, PARTS, BAD, NONE, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 2, (), ()),
]


@pytest.mark.parametrize(
    ("handovers", "status", "rule", "leg", "candidates", "missing"), DAMAGE_CASES
)
def test_damage_is_attributed_to_the_first_leg_that_made_it_worse(
    handovers, status, rule, leg, candidates, missing
):
    result = attribute(kind=IncidentKind.DAMAGE, legs=chain(), handovers=handovers, now=NOW)

    assert (result.status, result.rule, result.leg) == (status, rule, leg)
    assert result.candidates == candidates
    assert result.missing_handovers == missing


def test_two_damages_blame_the_first_and_name_the_second():
    result = attribute(
        kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, BAD, OK, BAD, NONE), now=NOW
    )

    assert (result.status, result.leg, result.also) == (ATTRIBUTED, 1, (3,))
    with translation.override("en"):
        text = attribution_text(result.as_json())
    assert "Pickup by Foshan Pickup" in text
    assert "Made worse again during Last-mile delivery by City Courier" in text


def test_a_corrected_check_changes_the_attribution():
    before = attribute(
        kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, OK, BAD, NONE, NONE), now=NOW
    )
    # the line-haul → last-mile check is corrected: the damage was already there at hand-over 1
    after = attribute(
        kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, BAD, BAD, NONE, NONE), now=NOW
    )

    assert (before.leg, after.leg) == (2, 1)


MISSING_PART_CASES = [
    # never recorded complete: the packing leg
    ((NONE, NONE, NONE, NONE, NONE), ATTRIBUTED, RULE_PACKING, 1),
    ((NONE, NONE, PARTS, NONE, NONE), ATTRIBUTED, RULE_PACKING, 1),
    # a damaged grade says nothing about the parts
    ((BAD, BAD, NONE, NONE, NONE), ATTRIBUTED, RULE_PACKING, 1),
    # recorded complete, then missing: like damage
    ((OK, OK, PARTS, NONE, NONE), ATTRIBUTED, RULE_WORSE_AT_LEG, 2),
    ((OK, NONE, PARTS, NONE, NONE), UNATTRIBUTED, RULE_MISSING_CHECK, None),
    ((PARTS, NONE, NONE, NONE, NONE), BEFORE_CHAIN, RULE_BAD_AT_PICKUP, None),
]


@pytest.mark.parametrize(("handovers", "status", "rule", "leg"), MISSING_PART_CASES)
def test_a_missing_part_is_the_packers_unless_a_check_recorded_it_complete(
    handovers, status, rule, leg
):
    result = attribute(kind=IncidentKind.MISSING_PART, legs=chain(), handovers=handovers, now=NOW)

    assert (result.status, result.rule, result.leg) == (status, rule, leg)


def test_an_installation_defect_is_the_installers():
    result = attribute(
        kind=IncidentKind.INSTALLATION_DEFECT, legs=chain(), handovers=(OK,) * 5, now=NOW
    )

    assert (result.status, result.rule, result.leg) == (ATTRIBUTED, RULE_INSTALLATION, 4)


def test_a_delay_goes_to_the_first_leg_past_its_sla():
    due = (NOW - 30 * HOUR, NOW - 20 * HOUR, NOW - 10 * HOUR, NOW + HOUR)
    # pickup on time, line haul 3 h late, last mile later still (it started late)
    completed = (NOW - 31 * HOUR, NOW - 17 * HOUR, NOW - 5 * HOUR, None)
    result = attribute(
        kind=IncidentKind.DELAY,
        legs=chain(due=due, completed=completed),
        handovers=(OK,) * 5,
        now=NOW,
    )

    assert (result.status, result.rule, result.leg) == (ATTRIBUTED, RULE_FIRST_OVERRUN, 2)
    assert result.overrun_minutes == 180


def test_a_leg_still_running_past_its_sla_is_late():
    due = (NOW - 30 * HOUR, NOW - 2 * HOUR, None, None)
    completed = (NOW - 31 * HOUR, None, None, None)
    result = attribute(
        kind=IncidentKind.DELAY,
        legs=chain(due=due, completed=completed),
        handovers=(OK,) * 5,
        now=NOW,
    )

    assert (result.leg, result.overrun_minutes) == (2, 120)


def test_a_delay_with_every_leg_on_time_is_unattributed():
    due = (NOW,) * 4
    completed = (NOW - HOUR,) * 4
    result = attribute(
        kind=IncidentKind.DELAY,
        legs=chain(due=due, completed=completed),
        handovers=(OK,) * 5,
        now=NOW,
    )

    assert (result.status, result.rule) == (UNATTRIBUTED, RULE_NO_OVERRUN)


def test_no_legs_no_answer_and_a_wrong_number_of_handovers_is_refused():
    assert attribute(kind=IncidentKind.DAMAGE, legs=[], handovers=(), now=NOW).rule == RULE_NO_LEG
    with pytest.raises(ValueError, match="4 legs need 5 hand-overs"):
        attribute(kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, OK), now=NOW)


def test_the_reasoning_names_the_missing_checks_and_the_candidates_in_both_languages():
    stored = attribute(
        kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, OK, NONE, BAD, NONE), now=NOW
    ).as_json()

    with translation.override("en"):
        english = attribution_text(stored)
    with translation.override("zh-hans"):
        chinese = attribution_text(stored)

    assert english == (
        "Unattributed: no check at the line haul → last-mile delivery hand-over; "
        "candidates: Line haul by Trunk Line, Last-mile delivery by City Courier."
    )
    assert "服务商2" in chinese
    assert "服务商3" in chinese
    for english_word in ("Unattributed", "candidates", "hand-over", " by "):
        assert english_word not in chinese


def test_the_stored_form_is_plain_json():
    stored = attribute(
        kind=IncidentKind.DAMAGE, legs=chain(), handovers=(OK, BAD, NONE, NONE, NONE), now=NOW
    ).as_json()

    assert json.loads(json.dumps(stored)) == stored
    assert stored["legs"]["1"]["provider"] == "Foshan Pickup"
