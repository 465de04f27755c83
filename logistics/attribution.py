"""Which leg of a shipment caused an incident, and why: a pure function of the legs and the
condition recorded at each hand-over, so that every surface (console, portal, API) shows the same
answer and a corrected check gives a new one.

A shipment of ``n`` legs has ``n + 1`` hand-overs: hand-over 0 is the pickup from the merchant,
hand-over ``k`` is leg ``k`` giving the goods to leg ``k + 1``, and hand-over ``n`` is the last leg
giving them to the buyer. Leg ``k`` (its ``sequence``) runs from hand-over ``k - 1`` to hand-over
``k``. Each hand-over has at most one recorded condition.

The rules, as the operations centers apply them:

- **Damage** is attributed to the first leg whose outgoing condition is worse than its incoming one:
  the leg between the last hand-over recorded intact and the first recorded damaged. Where checks
  between them are missing, the incident is unattributed, the missing hand-overs are named and
  the legs that may have caused it are the candidates. Damage recorded at the pickup was there
  before the chain took the goods (the merchant's).
- A **missing part** is attributed to the packing leg (the pickup) unless a check recorded the item
  complete; after such a check, like damage. A check that graded the goods damaged says nothing
  about the parts.
- An **installation defect** is the installer's: the installation leg.
- A **delay** is attributed to the first leg that overran its SLA (completed after it was due, or
  not completed and past due at ``now``).

The result is structured (:meth:`Attribution.as_json`, stored with the incident) and worded in the
active language by :func:`attribution_text`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from core.language import localized_name

from .choices import Condition, IncidentKind, LegKind

ATTRIBUTED = "attributed"
UNATTRIBUTED = "unattributed"
BEFORE_CHAIN = "before_chain"

# Why an answer was given: stored with the incident, worded by attribution_text.
RULE_WORSE_AT_LEG = "worse_at_leg"  # the leg between the last good and the first bad hand-over
RULE_MISSING_CHECK = "missing_check"  # checks missing between the last good and the first bad
RULE_BAD_AT_PICKUP = "bad_at_pickup"  # recorded bad when the chain took the goods
RULE_PACKING = "packing"  # missing part, never recorded complete: the packing leg
RULE_INSTALLATION = "installation"  # an installation defect is the installer's
RULE_FIRST_OVERRUN = "first_overrun"  # delay: the first leg past its SLA
RULE_NO_OVERRUN = "no_overrun"  # delay, but no leg overran its SLA
RULE_NO_LEG = "no_leg"  # the shipment has no leg the rule can name
RULE_GOOD_AT_END = "good_at_end"  # the buyer's hand-over recorded it fine: found afterwards


@dataclass(frozen=True)
class LegFacts:
    """One leg as attribution needs it."""

    sequence: int
    kind: str
    provider_id: int
    provider_name: str
    provider_name_zh: str = ""
    sla_due_at: datetime.datetime | None = None
    started_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Attribution:
    status: str
    rule: str
    leg: int | None = None  # the responsible leg's sequence
    candidates: tuple[int, ...] = ()
    missing_handovers: tuple[int, ...] = ()
    evidence: tuple[int, ...] = ()  # the hand-overs whose checks decided it
    also: tuple[int, ...] = ()  # later legs that made it worse again (a second damage)
    overrun_minutes: int | None = None
    legs: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_attributed(self) -> bool:
        return self.status == ATTRIBUTED

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "rule": self.rule,
            "leg": self.leg,
            "candidates": list(self.candidates),
            "missing_handovers": list(self.missing_handovers),
            "evidence": list(self.evidence),
            "also": list(self.also),
            "overrun_minutes": self.overrun_minutes,
            "legs": {str(sequence): facts for sequence, facts in self.legs.items()},
        }


def _legs_json(legs: Sequence[LegFacts]) -> dict[int, dict[str, Any]]:
    return {
        leg.sequence: {
            "kind": leg.kind,
            "provider_id": leg.provider_id,
            "provider": leg.provider_name,
            "provider_zh": leg.provider_name_zh,
        }
        for leg in legs
    }


def _state(condition: str | None, kind: str) -> bool | None:
    """True: good for this kind of incident, False: bad, None: the check does not tell."""
    if condition is None or condition == Condition.NOT_CHECKED:
        return None
    if kind == IncidentKind.MISSING_PART:
        if condition == Condition.MISSING_PARTS:
            return False
        return True if condition == Condition.INTACT else None
    return condition != Condition.DAMAGED


def attribute(
    *,
    kind: str,
    legs: Sequence[LegFacts],
    handovers: Sequence[str | None],
    now: datetime.datetime,
) -> Attribution:
    """Attribute an incident of ``kind`` on a shipment of ``legs`` (in sequence order, numbered
    1..n) whose hand-over ``k`` recorded ``handovers[k]`` (``None``: no check)."""
    legs = sorted(legs, key=lambda leg: leg.sequence)
    described = _legs_json(legs)
    if not legs:
        return Attribution(UNATTRIBUTED, RULE_NO_LEG, legs=described)
    if len(handovers) != len(legs) + 1:
        raise ValueError(f"{len(legs)} legs need {len(legs) + 1} hand-overs, not {len(handovers)}")
    if kind == IncidentKind.DELAY:
        return _delay(legs, now, described)
    if kind == IncidentKind.INSTALLATION_DEFECT:
        installation = [leg for leg in legs if leg.kind == LegKind.INSTALLATION]
        if not installation:
            return Attribution(UNATTRIBUTED, RULE_NO_LEG, legs=described)
        return Attribution(
            ATTRIBUTED, RULE_INSTALLATION, leg=installation[-1].sequence, legs=described
        )
    return _condition(kind, legs, handovers, described)


def _condition(
    kind: str,
    legs: Sequence[LegFacts],
    handovers: Sequence[str | None],
    described: dict[int, dict[str, Any]],
) -> Attribution:
    sequences = [leg.sequence for leg in legs]  # leg i (0-based) runs from hand-over i to i + 1
    states = [_state(condition, kind) for condition in handovers]
    # The incident is evidence in itself: if no hand-over recorded the fault, it was found at the
    # end of the chain (by the buyer).
    first_bad = next((k for k, state in enumerate(states) if state is False), len(states) - 1)
    last_good = next((k for k in range(first_bad - 1, -1, -1) if states[k] is True), None)
    also = tuple(
        sequences[k]
        for k in range(first_bad + 1, len(legs))
        if states[k] is True and states[k + 1] is False
    )

    if states[first_bad] is True:
        return Attribution(UNATTRIBUTED, RULE_GOOD_AT_END, evidence=(first_bad,), legs=described)
    if first_bad == 0:
        return Attribution(
            BEFORE_CHAIN, RULE_BAD_AT_PICKUP, evidence=(0,), also=also, legs=described
        )
    if last_good is None and kind == IncidentKind.MISSING_PART:
        packing = next((leg for leg in legs if leg.kind == LegKind.PICKUP), legs[0])
        return Attribution(
            ATTRIBUTED, RULE_PACKING, leg=packing.sequence, evidence=(first_bad,), legs=described
        )
    start = -1 if last_good is None else last_good
    # Candidates: the legs between the last good hand-over (or the start) and the first bad one.
    candidates = tuple(sequences[k] for k in range(max(start, 0), first_bad))
    evidence = (first_bad,) if last_good is None else (last_good, first_bad)
    if last_good is not None and first_bad == last_good + 1:
        return Attribution(
            ATTRIBUTED,
            RULE_WORSE_AT_LEG,
            leg=sequences[last_good],
            evidence=evidence,
            also=also,
            legs=described,
        )
    missing = tuple(k for k in range(start + 1, first_bad) if states[k] is None)
    return Attribution(
        UNATTRIBUTED,
        RULE_MISSING_CHECK,
        candidates=candidates,
        missing_handovers=missing,
        evidence=evidence,
        also=also,
        legs=described,
    )


def _delay(
    legs: Sequence[LegFacts], now: datetime.datetime, described: dict[int, dict[str, Any]]
) -> Attribution:
    for leg in legs:
        if leg.sla_due_at is None:
            continue
        finished = leg.completed_at or now
        if finished > leg.sla_due_at:
            minutes = int((finished - leg.sla_due_at).total_seconds() // 60)
            return Attribution(
                ATTRIBUTED,
                RULE_FIRST_OVERRUN,
                leg=leg.sequence,
                overrun_minutes=minutes,
                legs=described,
            )
    return Attribution(UNATTRIBUTED, RULE_NO_OVERRUN, legs=described)


# Wording --------------------------------------------------------------------------------------
def _leg_label(stored: dict[str, Any], sequence: int) -> str:
    leg = stored["legs"].get(str(sequence))
    if leg is None:
        return _("leg %(sequence)s") % {"sequence": sequence}
    kind = LegKind(leg["kind"]).label if leg["kind"] in LegKind.values else leg["kind"]
    return _("%(leg)s by %(provider)s") % {
        "leg": kind,
        "provider": localized_name(leg["provider"], leg.get("provider_zh", "")),
    }


def _kind_label(stored: dict[str, Any], sequence: int) -> str:
    leg = stored["legs"].get(str(sequence))
    if leg is None or leg["kind"] not in LegKind.values:
        return _("leg %(sequence)s") % {"sequence": sequence}
    return str(LegKind(leg["kind"]).label).lower()


def handover_label(stored: dict[str, Any], index: int) -> str:
    """Hand-over ``index`` in words: "pickup", "line haul → last-mile delivery", "… → buyer"."""
    count = len(stored["legs"])
    sequences = sorted(int(sequence) for sequence in stored["legs"])
    if index == 0:
        return _("the pickup from the merchant")
    giver = _kind_label(stored, sequences[index - 1])
    if index >= count:
        return _("the %(giver)s → buyer hand-over") % {"giver": giver}
    receiver = _kind_label(stored, sequences[index])
    return _("the %(giver)s → %(receiver)s hand-over") % {"giver": giver, "receiver": receiver}


def attribution_text(stored: dict[str, Any]) -> str:
    """The stored attribution (``Attribution.as_json()``) worded in the active language."""
    rule = stored["rule"]
    leg: int = stored.get("leg") or 0
    if rule == RULE_WORSE_AT_LEG:
        first, last = stored["evidence"]
        text = _("Caused during %(leg)s: in order at %(before)s, not at %(after)s.") % {
            "leg": _leg_label(stored, leg),
            "before": handover_label(stored, first),
            "after": handover_label(stored, last),
        }
    elif rule == RULE_MISSING_CHECK:
        text = _("Unattributed: no check at %(handovers)s; candidates: %(candidates)s.") % {
            "handovers": _(", ").join(
                handover_label(stored, index) for index in stored["missing_handovers"]
            ),
            "candidates": _(", ").join(
                _leg_label(stored, sequence) for sequence in stored["candidates"]
            ),
        }
    elif rule == RULE_BAD_AT_PICKUP:
        text = _("Already faulty when picked up: the pickup check recorded it.")
    elif rule == RULE_PACKING:
        text = _("Attributed to packing, %(leg)s: no check recorded the item complete.") % {
            "leg": _leg_label(stored, leg)
        }
    elif rule == RULE_INSTALLATION:
        text = _("An installation defect is the installer's: %(leg)s.") % {
            "leg": _leg_label(stored, leg)
        }
    elif rule == RULE_FIRST_OVERRUN:
        minutes = stored.get("overrun_minutes") or 0
        text = _("%(leg)s was the first leg past its SLA, by %(hours)s h.") % {
            "leg": _leg_label(stored, leg),
            "hours": f"{minutes / 60:.1f}",
        }
    elif rule == RULE_GOOD_AT_END:
        text = _("Unattributed: %(handover)s recorded it in order; it was found afterwards.") % {
            "handover": handover_label(stored, stored["evidence"][0])
        }
    elif rule == RULE_NO_OVERRUN:
        text = _("Unattributed: no leg overran its SLA.")
    else:
        text = _("Unattributed: the shipment has no leg this rule can name.")
    also = stored.get("also") or []
    if also:
        text += " " + _("Made worse again during %(legs)s.") % {
            "legs": _(", ").join(_leg_label(stored, sequence) for sequence in also)
        }
    return text
