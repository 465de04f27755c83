"""Portal pages of the programs app: thin callers of its selectors and of the merchants app's.

The eligibility page shows, for the selected merchant (one of the user's own), each active
program's recorded outcome with one line per criterion, and the merchant's facts today.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from belts.choices import BeltTier
from belts.money import format_cny, format_percent
from merchants import selectors as merchant_selectors
from merchants.facts import MerchantFacts, merchant_facts_get
from merchants.models import MerchantMembership

from . import selectors
from .criteria import CRITERIA, explain
from .eligibility import eligibility_reasons
from .models import Eligibility, Program, RuleSet


@dataclass(frozen=True, slots=True)
class CriterionLine:
    passed: bool
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class ProgramStanding:
    """One program as the merchant sees it: the recorded outcome and its reasons in words."""

    program: Program
    name: str
    published: RuleSet | None
    eligibility: Eligibility | None
    lines: list[CriterionLine] = field(default_factory=list)

    @property
    def failing(self) -> list[CriterionLine]:
        return [line for line in self.lines if not line.passed]

    @property
    def reassessing(self) -> bool:
        """The outcome was computed under a version that is no longer the published one: the
        recompute after publishing has not reached this merchant yet."""
        return bool(
            self.eligibility
            and self.published
            and self.eligibility.rule_set_id != self.published.pk
        )


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


def _in_chinese() -> bool:
    return (get_language() or "").startswith("zh")


def _criterion_label(criterion_type: str) -> str:
    criterion = CRITERIA.get(criterion_type)
    return str(criterion.label) if criterion else criterion_type


def _standing(program: Program) -> ProgramStanding:
    eligibility = program.merchant_eligibilities[0] if program.merchant_eligibilities else None
    reasons = eligibility_reasons(eligibility) if eligibility else []
    return ProgramStanding(
        program=program,
        name=program.name_zh if _in_chinese() and program.name_zh else program.name,
        published=program.published_rule_sets[0] if program.published_rule_sets else None,
        eligibility=eligibility,
        lines=[
            CriterionLine(
                passed=reason.passed,
                label=_criterion_label(reason.type),
                message=explain(reason),
            )
            for reason in reasons
        ],
    )


def _facts(facts: MerchantFacts) -> list[Fact]:
    tier = (
        str(BeltTier(facts.belt_tier).label)
        if facts.belt_tier in BeltTier.values
        else _("Not yet classified")
    )
    return [
        Fact(_("Trailing 12-month GMV"), format_cny(facts.gmv_12m)),
        Fact(_("Year-on-year growth"), format_percent(facts.yoy_growth)),
        Fact(_("Live-stream share of GMV"), format_percent(facts.live_share)),
        Fact(_("Live sessions, last 90 days"), str(facts.live_sessions_90d)),
        Fact(_("Average refund rate"), format_percent(facts.refund_rate)),
        Fact(
            _("Store age"),
            ngettext("%(months)d month", "%(months)d months", facts.store_age_months)
            % {"months": facts.store_age_months},
        ),
        Fact(_("Belt tier"), tier),
    ]


@require_safe
@login_required(login_url="portal:login")
def merchant_eligibility(request: HttpRequest) -> HttpResponse:
    memberships = list(merchant_selectors.membership_list(user=request.user))
    try:
        selected = merchant_selectors.membership_choose(
            memberships, merchant_id=request.GET.get("merchant")
        )
    except MerchantMembership.DoesNotExist:
        raise Http404(_("No such merchant among yours.")) from None
    context: dict = {
        "memberships": memberships,
        "selected": selected,
        "merchant": selected.merchant if selected else None,
    }
    if selected:
        as_of: datetime.date = timezone.localdate()
        facts = merchant_facts_get(merchant_id=selected.merchant_id, as_of=as_of)
        window_first, window_last = merchant_selectors.complete_months_window(
            months=12, as_of=as_of
        )
        context.update(
            standings=[
                _standing(program)
                for program in selectors.program_standing_list(merchant_id=selected.merchant_id)
            ],
            facts=_facts(facts) if facts else [],
            window_first=window_first,
            window_last=window_last,
        )
    return render(request, "programs/eligibility.html", context)
