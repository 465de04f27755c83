"""Evaluating published rule sets on merchant facts, in Python.

An outcome is stored as the actual value each criterion saw (``Eligibility.actuals``); its
reasons follow from those and the rule set, which never changes once published. Its fingerprint
(``programs.fingerprint``) is the one the set-based evaluation on PostgreSQL computes too."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from merchants.facts import MerchantFacts

from .criteria import Criterion, Reason, criteria_from_json, reasons_from_actuals
from .fingerprint import fingerprint
from .models import Eligibility, RuleSet


@dataclass(frozen=True, slots=True)
class CompiledRuleSet:
    """A rule set with its criteria parsed once, ready to evaluate many merchants."""

    id: int
    program_id: int
    version: int
    criteria: tuple[Criterion, ...]

    @classmethod
    def compile(cls, rule_set: RuleSet) -> CompiledRuleSet:
        return cls(
            id=rule_set.pk,
            program_id=rule_set.program_id,
            version=rule_set.version,
            criteria=tuple(criteria_from_json(rule_set.criteria)),
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    merchant_id: int
    program_id: int
    rule_set_id: int
    is_eligible: bool
    reasons: tuple[Reason, ...]
    actuals: tuple[Any, ...]
    fingerprint: int

    def reasons_json(self) -> list[dict]:
        return [reason.as_json() for reason in self.reasons]


@dataclass(frozen=True, slots=True)
class Flip:
    """A merchant whose status under a program flipped in a recompute (a first evaluation that
    finds it eligible counts): what its notifications are made of, whichever engine found it.
    ``status_changes`` is the row's count after the flip; ``actuals`` are needed only for a
    loss (the payload says what each criterion saw)."""

    merchant_id: int
    program_id: int
    rule_set_id: int
    is_eligible: bool
    status_changes: int
    actuals: tuple[Any, ...] | None = None


def evaluate(rule_set: CompiledRuleSet, facts: MerchantFacts) -> Outcome:
    reasons = tuple(criterion.evaluate(facts) for criterion in rule_set.criteria)
    actuals = tuple(
        criterion.actual_json(reason.actual)
        for criterion, reason in zip(rule_set.criteria, reasons, strict=True)
    )
    return Outcome(
        merchant_id=facts.merchant_id,
        program_id=rule_set.program_id,
        rule_set_id=rule_set.id,
        is_eligible=all(reason.passed for reason in reasons),
        reasons=reasons,
        actuals=actuals,
        fingerprint=fingerprint(rule_set.id, actuals),
    )


def evaluate_many(
    rule_sets: Sequence[CompiledRuleSet], facts: Iterable[MerchantFacts]
) -> list[Outcome]:
    return [evaluate(rule_set, merchant) for merchant in facts for rule_set in rule_sets]


def eligibility_reasons(
    eligibility: Eligibility, criteria_cache: dict | None = None
) -> list[Reason]:
    """The reasons of a stored outcome (use with ``select_related("rule_set")``). Read without
    the current bounds: the rule set may have been published under older ones.

    ``criteria_cache`` (a dict the caller keeps for one page) parses each rule set once: a page
    of 50 rows holds a handful of rule sets."""
    if criteria_cache is None:
        criteria_cache = {}
    criteria = criteria_cache.get(eligibility.rule_set_id)
    if criteria is None:
        criteria = criteria_cache[eligibility.rule_set_id] = criteria_from_json(
            eligibility.rule_set.criteria, bounded=False
        )
    return reasons_from_actuals(criteria, eligibility.actuals or [])
