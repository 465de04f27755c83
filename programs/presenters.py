"""The programs' figures and criteria as people read them, in the active language: one wording
for the portal's pages and the console's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from belts.choices import BeltTier
from core.language import localized_name
from core.money import format_cny, format_percent
from merchants.facts import MerchantFacts

from .criteria import CRITERIA, CategoryNames, Reason, criterion_for_reason, explain
from .eligibility import eligibility_reasons
from .models import Cohort, Eligibility, Enrollment, Program, RuleSet


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


def criterion_label(criterion_type: str) -> str:
    """A criterion's name ("Average refund rate at most"); an unknown type as it is stored."""
    criterion = CRITERIA.get(criterion_type)
    return str(criterion.label) if criterion else criterion_type


def merchant_fact_rows(facts: MerchantFacts | None) -> list[Fact]:
    """The facts the eligibility rules see, as labelled rows; none without facts."""
    if facts is None:
        return []
    tier = (
        str(BeltTier(facts.belt_tier).label)
        if facts.belt_tier in BeltTier.values
        else _("Not yet classified")
    )
    return [
        Fact(_("Trailing 12-month GMV"), format_cny(facts.gmv_12m)),
        Fact(_("GMV, the 12 months before"), format_cny(facts.gmv_prior_12m)),
        Fact(_("Year-on-year growth"), format_percent(facts.yoy_growth)),
        Fact(_("Live-stream share of GMV"), format_percent(facts.live_share)),
        Fact(_("Live sessions, last 90 days"), number_format(facts.live_sessions_90d)),
        Fact(_("Average refund rate"), format_percent(facts.refund_rate)),
        Fact(
            _("Store age"),
            ngettext("%(months)d month", "%(months)d months", facts.store_age_months)
            % {"months": facts.store_age_months},
        ),
        Fact(_("Months with data"), number_format(facts.months_with_data)),
        Fact(_("Belt tier"), tier),
    ]


# A program's standing and how close the merchant is ---------------------------------------------
@dataclass(frozen=True, slots=True)
class CriterionLine:
    """One criterion of a program as the merchant reads it."""

    passed: bool
    label: str
    message: str
    # Whether the merchant can meet it by its own work (``Criterion.within_reach``), and what it
    # still takes, in a few words, when it fails.
    actionable: bool
    missing: str


class Reach:
    """How a program stands for a merchant, from nearest to farthest (``Closeness.reach``)."""

    ELIGIBLE = 0
    WITHIN_REACH = 1  # fails only criteria the merchant can act on
    OUT_OF_REACH = 2  # fails a criterion it cannot act on (category, belt, type, store age...)
    NOT_ASSESSED = 3  # no outcome yet (no published rules, or not assessed yet)


@dataclass(frozen=True, slots=True, order=True)
class Closeness:
    """How close a merchant is to a program's eligibility; smaller is closer, so sorting by it
    puts the nearest first. The one measure of the portal's home and its eligibility page.

    1. ``reach``: eligible programs first; then those the merchant fails only on criteria it can
       act on (live sessions, refund rate, GMV, live-stream share, growth); then those it fails
       on a criterion it cannot act on ("not reachable": store age, category, belt, merchant
       type, brand stage, SMB, a GMV above the ceiling); programs not assessed yet last.
    2. ``failing``: among those, the fewer failing actionable criteria, the closer.
    3. ``shortfall``: then the smaller total relative shortfall: the sum over the failing
       actionable criteria of how far each is from its bound, relative to the bound
       (``Criterion.relative_shortfall``: 3 live sessions short of 10 is 0.3; no data is 1).
    """

    reach: int
    failing: int = 0
    shortfall: Decimal = Decimal(0)


def program_closeness(*, eligibility: Eligibility | None, reasons: Sequence[Reason]) -> Closeness:
    """The closeness (see :class:`Closeness`) of a stored outcome with its reasons."""
    if eligibility is None:
        return Closeness(Reach.NOT_ASSESSED)
    if eligibility.is_eligible:
        return Closeness(Reach.ELIGIBLE)
    failing = [(criterion_for_reason(reason), reason) for reason in reasons if not reason.passed]
    if not all(criterion and criterion.within_reach(reason) for criterion, reason in failing):
        return Closeness(Reach.OUT_OF_REACH, len(failing))
    return Closeness(
        Reach.WITHIN_REACH,
        len(failing),
        sum(
            (criterion.relative_shortfall(reason) for criterion, reason in failing if criterion),
            Decimal(0),
        ),
    )


@dataclass(frozen=True, slots=True)
class ProgramStanding:
    """One program as the merchant sees it: the recorded outcome and its reasons in words, what
    the program offers, how close the merchant is."""

    program: Program
    name: str
    published: RuleSet | None
    eligibility: Eligibility | None
    closeness: Closeness
    benefits: str = ""
    description: str = ""
    lines: list[CriterionLine] = field(default_factory=list)
    # Cohorts taking this merchant's applications now, and its open application, if any.
    open_cohorts: list[Cohort] = field(default_factory=list)
    open_enrollment: Enrollment | None = None

    @property
    def failing(self) -> list[CriterionLine]:
        return [line for line in self.lines if not line.passed]

    @property
    def within_reach(self) -> bool:
        return self.closeness.reach == Reach.WITHIN_REACH

    @property
    def out_of_reach(self) -> bool:
        return self.closeness.reach == Reach.OUT_OF_REACH

    @property
    def missing(self) -> str:
        """What the failing criteria still take, in a few words each ("3 more live sessions")."""
        return _("; ").join(line.missing for line in self.failing)

    @property
    def blocking(self) -> str:
        """The failing criteria the merchant cannot act on, by name ("Category, Store age")."""
        return _(", ").join(line.label for line in self.failing if not line.actionable)

    @property
    def reassessing(self) -> bool:
        """The outcome was computed under a version that is no longer the published one: the
        recompute after publishing has not reached this merchant yet."""
        return bool(
            self.eligibility
            and self.published
            and self.eligibility.rule_set_id != self.published.pk
        )


def criterion_lines(
    reasons: Iterable[Reason], *, categories: CategoryNames | None = None
) -> list[CriterionLine]:
    """A stored outcome's reasons as lines: label, sentence, actionable or not, what it takes."""
    categories = categories or CategoryNames()
    lines = []
    for reason in reasons:
        criterion = criterion_for_reason(reason, categories)
        lines.append(
            CriterionLine(
                passed=reason.passed,
                label=criterion_label(reason.type),
                message=explain(reason, categories=categories),
                actionable=bool(criterion and criterion.within_reach(reason)),
                missing=""
                if reason.passed or criterion is None
                else criterion.shortfall_text(reason),
            )
        )
    return lines


def program_standing(
    program: Program, *, categories: CategoryNames | None = None
) -> ProgramStanding:
    """The standing of a program loaded by ``selectors.program_application_list`` (or
    ``program_standing_list``): no query, but the category names ``categories`` reads once."""
    eligibility = program.merchant_eligibilities[0] if program.merchant_eligibilities else None
    reasons = eligibility_reasons(eligibility) if eligibility else []
    return ProgramStanding(
        program=program,
        name=localized_name(program.name, program.name_zh),
        published=program.published_rule_sets[0] if program.published_rule_sets else None,
        eligibility=eligibility,
        closeness=program_closeness(eligibility=eligibility, reasons=reasons),
        benefits=localized_name(program.benefits, program.benefits_zh),
        description=localized_name(program.description, program.description_zh),
        lines=criterion_lines(reasons, categories=categories),
        open_cohorts=getattr(program, "open_cohorts", []),
        open_enrollment=(getattr(program, "open_enrollments", None) or [None])[0],
    )


def program_standings(programs: Iterable[Program]) -> list[ProgramStanding]:
    """The standings of ``programs``, closest first (:class:`Closeness`), then by name. The
    category names of every explanation are read once, only if a criterion names one."""
    categories = CategoryNames()
    standings = [program_standing(program, categories=categories) for program in programs]
    return sorted(standings, key=lambda standing: (standing.closeness, standing.name))


def standing_summary(standings: Sequence[ProgramStanding]) -> str:
    """The standings in a sentence: "Eligible for 1 of 5 programs; closest: Source Power, 3 more
    live sessions." Counts the programs assessed; the closest is the nearest one within reach
    (``standings`` come closest first)."""
    assessed = [standing for standing in standings if standing.eligibility is not None]
    if not assessed:
        return _("Your shop has not been assessed for any program yet.")
    eligible = sum(
        1 for standing in assessed if standing.eligibility and standing.eligibility.is_eligible
    )
    counted = ngettext(
        "Eligible for %(eligible)s of %(total)s program",
        "Eligible for %(eligible)s of %(total)s programs",
        len(assessed),
    ) % {"eligible": eligible, "total": len(assessed)}
    closest = next((standing for standing in assessed if standing.within_reach), None)
    if closest is not None:
        return _("%(counted)s; closest: %(program)s, %(missing)s.") % {
            "counted": counted,
            "program": closest.name,
            "missing": closest.missing,
        }
    if eligible == len(assessed):
        return _("%(counted)s.") % {"counted": counted}
    return _(
        "%(counted)s; the others ask for what your own figures cannot change "
        "(such as category, belt or store age)."
    ) % {"counted": counted}


def criterion_value(criterion_type: str, value: Any) -> str:
    """A value a criterion saw or requires, as a reviewer reads it: amounts in CNY with the
    locale's units (¥777.8万, CNY 7.8 M), ratios as percentages (4.7%), codes by their labels,
    a range as "at least … / at most …". A stored value of an unknown type as it is stored."""
    if value is None or value == "":
        return "—"
    cls = CRITERIA.get(criterion_type)
    if isinstance(value, dict):
        low, high = value.get("min"), value.get("max")
        low_text = criterion_value(criterion_type, low) if low is not None else None
        high_text = criterion_value(criterion_type, high) if high is not None else None
        if low_text and high_text:
            return _("%(minimum)s to %(maximum)s") % {"minimum": low_text, "maximum": high_text}
        if low_text:
            return _("at least %(minimum)s") % {"minimum": low_text}
        if high_text:
            return _("at most %(maximum)s") % {"maximum": high_text}
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(criterion_value(criterion_type, item) for item in value) or "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if cls is None:
        return str(value)
    return cls.display_value(value)
