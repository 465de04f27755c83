"""The portal's home: the selected merchant's dashboard, composed from every app's selectors.

It lives in ``config`` because it reads belts (its belt, tier and operation center), merchants
(figures, facts, notifications), programs (standing, cohorts, applications) and logistics
(shipments), and no app may import all of those. Each part is read through its app's selectors
and worded by its app's presenters; the page runs a fixed number of queries, however many
programs, cohorts, notifications or shipments there are (``tests/portal/test_home.py`` pins it).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from belts.choices import BeltTier
from belts.models import OperationCenter
from belts.selectors import belt_operation_center_list
from core.language import localized_name
from core.money import format_cny, format_percent
from logistics import presenters as logistics_presenters
from logistics import selectors as logistics_selectors
from logistics.models import Shipment
from merchants import selectors as merchant_selectors
from merchants.choices import MembershipRole
from merchants.facts import MerchantFacts, merchant_facts_get
from merchants.models import MonthlyMetric, Notification
from merchants.presenters import StrOrPromise, gmv_chart_data, notification_link
from merchants.services.notifications import notification_texts
from programs import selectors as program_selectors
from programs.presenters import ProgramStanding, program_standings, standing_summary

CHART_MONTHS = 24
RECENT_NOTIFICATIONS = 5
RECENT_SHIPMENTS = 5
# Owners and operators start and submit their merchant's applications (the services check it
# again when they do).
APPLYING_ROLES = frozenset({MembershipRole.OWNER, MembershipRole.OPERATOR})


@dataclass(frozen=True, slots=True)
class KeyFact:
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class NotificationLine:
    notification: Notification
    subject: str
    unread: bool
    # The page it is about and the link's words (merchants.presenters.notification_link).
    link: tuple[str, StrOrPromise] | None = None


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    shipment: Shipment
    position: str
    overdue: bool
    incident_open: bool


def _tier_label(facts: MerchantFacts | None) -> str:
    if facts is None or facts.belt_tier not in BeltTier.values:
        return _("Not yet classified")
    return str(BeltTier(facts.belt_tier).label)


def _store_age(months: int) -> str:
    years, rest = divmod(months, 12)
    if not years:
        return ngettext("%(months)d month", "%(months)d months", rest) % {"months": rest}
    if not rest:
        return ngettext("%(years)d year", "%(years)d years", years) % {"years": years}
    return _("%(years)s and %(months)s") % {
        "years": ngettext("%(years)d year", "%(years)d years", years) % {"years": years},
        "months": ngettext("%(months)d month", "%(months)d months", rest) % {"months": rest},
    }


def key_facts(
    *, facts: MerchantFacts | None, latest: MonthlyMetric | None, latest_month: datetime.date
) -> list[KeyFact]:
    """The figures a merchant looks at first, formatted as everywhere in the product: the last
    complete month's GMV, the trailing year's GMV and growth, the live-stream share and sessions
    the programs look at, the refund rate, the store's age."""
    month = _("in %(month)s") % {"month": date_format(latest_month, "YEAR_MONTH_FORMAT")}
    rows = [
        KeyFact(_("GMV last month"), format_cny(latest.gmv) if latest else "—", month),
    ]
    if facts is not None:
        rows += [
            KeyFact(_("Trailing 12-month GMV"), format_cny(facts.gmv_12m)),
            KeyFact(_("Year-on-year growth"), format_percent(facts.yoy_growth)),
            KeyFact(
                _("Live-stream share of GMV"),
                format_percent(facts.live_share),
                _("last 12 months"),
            ),
            KeyFact(
                _("Live sessions"),
                str(facts.live_sessions_90d),
                _("last 90 days"),
            ),
            KeyFact(_("Average refund rate"), format_percent(facts.refund_rate)),
            KeyFact(_("Store age"), _store_age(facts.store_age_months)),
        ]
    return rows


def _notification_lines(
    notifications: list[Notification], *, merchant_ids: set[int]
) -> list[NotificationLine]:
    language = get_language() or "en"
    return [
        NotificationLine(
            notification=notification,
            subject=notification_texts(notification, language).get("subject")
            or notification.subject,
            unread=notification.read_at is None,
            link=notification_link(notification, merchant_ids=merchant_ids),
        )
        for notification in notifications
    ]


def _shipment_lines(shipments: list[Shipment]) -> list[ShipmentLine]:
    logistics_selectors.shipment_positions_prefetch(shipments)
    lines = []
    for shipment in shipments:
        lines.append(
            ShipmentLine(
                shipment=shipment,
                position=logistics_presenters.shipment_position(shipment),
                overdue=shipment.is_overdue,  # type: ignore[attr-defined]
                incident_open=shipment.has_open_incident,  # type: ignore[attr-defined]
            )
        )
    return lines


@dataclass(frozen=True, slots=True)
class CohortOffer:
    """A cohort the merchant may apply to now: its program is one the merchant is eligible for
    and has no open application to."""

    standing: ProgramStanding
    cohort_id: int
    name: str
    seats: int
    closes_at: datetime.datetime


def _cohort_offers(standings: list[ProgramStanding]) -> list[CohortOffer]:
    return [
        CohortOffer(
            standing=standing,
            cohort_id=cohort.pk,
            name=localized_name(cohort.name, cohort.name_zh),
            seats=cohort.seats,
            closes_at=cohort.application_closes_at,
        )
        for standing in standings
        if standing.eligibility
        and standing.eligibility.is_eligible
        and standing.open_enrollment is None
        for cohort in standing.open_cohorts
    ]


def portal_home_context(request: HttpRequest) -> dict:
    """What the portal's home shows for the user's selected merchant (``?merchant=``, else the
    first); ``Http404`` comes from the caller for a merchant that is not the user's."""
    memberships = list(merchant_selectors.membership_list(user=request.user))
    selected = merchant_selectors.membership_choose(
        memberships, merchant_id=request.GET.get("merchant")
    )
    context: dict = {"memberships": memberships, "selected": selected, "merchant": None}
    if selected is None:
        return context
    merchant = selected.merchant
    today = timezone.localdate()
    now = timezone.now()
    facts = merchant_facts_get(merchant_id=merchant.pk, as_of=today)
    first, last = merchant_selectors.complete_months_window(months=CHART_MONTHS, as_of=today)
    metrics = list(
        merchant_selectors.monthly_metric_list(
            merchant_id=merchant.pk, months=CHART_MONTHS, as_of=today
        )
    )
    latest = next((metric for metric in metrics if metric.month == last), None)
    centers: list[OperationCenter] = list(belt_operation_center_list(belt_id=merchant.belt_id))
    standings = program_standings(
        program_selectors.program_application_list(
            merchant_id=merchant.pk, belt_id=merchant.belt_id, now=now
        )
    )
    # The inbox's newest, as the inbox lists them (the user's own and its merchants').
    notifications = list(
        merchant_selectors.inbox_notification_list(user=request.user)[:RECENT_NOTIFICATIONS]
    )
    shipments = list(
        logistics_selectors.shipment_list(user=request.user, now=now).filter(
            merchant_id=merchant.pk
        )[:RECENT_SHIPMENTS]
    )
    context.update(
        merchant=merchant,
        belt=merchant.belt,
        tier=_tier_label(facts),
        centers=centers,
        facts=key_facts(facts=facts, latest=latest, latest_month=last),
        chart=gmv_chart_data(metrics, first=first, months=CHART_MONTHS),
        chart_first=first,
        chart_last=last,
        standings=standings,
        summary=standing_summary(standings),
        cohorts=_cohort_offers(standings),
        may_apply=selected.role in APPLYING_ROLES,
        applications=[standing for standing in standings if standing.open_enrollment is not None],
        notifications=_notification_lines(
            notifications, merchant_ids={membership.merchant_id for membership in memberships}
        ),
        shipments=_shipment_lines(shipments),
    )
    return context
