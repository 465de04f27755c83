"""The programs' figures and criteria as people read them, in the active language: one wording
for the portal's pages and the console's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from belts.choices import BeltTier
from core.money import format_cny, format_percent
from merchants.facts import MerchantFacts

from .criteria import CRITERIA


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
