"""Evaluating published rule sets on merchant facts, and the fingerprint that makes reruns free."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from merchants.facts import MerchantFacts

from .criteria import Criterion, Reason, criteria_from_json, evaluate_all
from .models import RuleSet


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
    fingerprint: str

    def reasons_json(self) -> list[dict]:
        return [reason.as_json() for reason in self.reasons]


def fingerprint(rule_set_id: int, is_eligible: bool, reasons: Iterable[Reason]) -> str:
    """A stable 64-bit digest of an outcome: equal digests mean nothing to write."""
    text = repr((rule_set_id, is_eligible, tuple(reasons)))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def evaluate(rule_set: CompiledRuleSet, facts: MerchantFacts) -> Outcome:
    eligible, reasons = evaluate_all(rule_set.criteria, facts)
    return Outcome(
        merchant_id=facts.merchant_id,
        program_id=rule_set.program_id,
        rule_set_id=rule_set.id,
        is_eligible=eligible,
        reasons=tuple(reasons),
        fingerprint=fingerprint(rule_set.id, eligible, reasons),
    )


def evaluate_many(
    rule_sets: Sequence[CompiledRuleSet], facts: Iterable[MerchantFacts]
) -> list[Outcome]:
    return [evaluate(rule_set, merchant) for merchant in facts for rule_set in rule_sets]
