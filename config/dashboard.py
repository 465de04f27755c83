"""The console home's figures, read across apps: each program's cohorts as a funnel (eligible,
applied, approved, active, graduated) with the seats they use, the latest year's tiered belts,
and the applications waiting for the signed-in reviewer.

Every reader runs a fixed number of queries, however many programs, cohorts, belts or
enrollments there are: counts are aggregated in the database (``Count(filter=...)`` grouped by
cohort, eligibility grouped by program), never per row in Python.

A staff member who is not a superuser sees the funnel and the waiting list of the merchants in
the belts their operation centers serve (``belts.scoping``, a subquery); cohorts restricted to
another center's belt are left out. Seats are a cohort's own: "seats used" counts every merchant
holding one, whoever's belt they come from. The tier table is platform-wide, as tiers are.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from belts.choices import BeltTier
from belts.models import BeltYearStat
from belts.scoping import belt_scope
from core.language import localized_name
from core.money import format_cny, format_ratio
from programs.choices import (
    EVER_APPROVED_STATES,
    NEVER_APPLIED_STATES,
    REVIEW_QUEUE_STATES,
    STARTED_STATES,
    EnrollmentState,
)
from programs.models import Cohort, Eligibility, Enrollment, Program
from programs.selectors import seats_used_annotation

# The funnel's stages past "eligible", as enrollment states. Kept simple on purpose: an
# enrollment counts by the state it is in now, so one approved and later revoked or withdrawn
# counts as applied only (the events would tell more, at the price of scanning them).
# The tiers the table lists, in this order; standard belts are only counted.
LISTED_TIERS = (BeltTier.TEN_BILLION, BeltTier.GROWTH)
# How many waiting applications the home lists; the link to the enrollments shows them all.
AWAITING_LIMIT = 10


def _and(*filters: Q | None) -> Q:
    """The filters that are not None, all of them."""
    combined = Q()
    for item in filters:
        if item is not None:
            combined &= item
    return combined


# Funnel -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CohortFunnel:
    id: int
    name: str
    seats: int
    seats_used: int
    eligible: int
    applied: int
    approved: int
    active: int
    graduated: int
    application_opens_at: datetime
    application_closes_at: datetime

    @property
    def stages(self) -> list[int]:
        return [self.eligible, self.applied, self.approved, self.active, self.graduated]


@dataclass(frozen=True, slots=True)
class ProgramFunnel:
    id: int
    code: str
    name: str
    is_active: bool
    eligible: int
    cohorts: list[CohortFunnel]


def funnel_stage_labels() -> list[str]:
    """The funnel's stage names in the active language, in order."""
    return [
        _("Eligible"),
        _("Applied"),
        _("Approved"),
        pgettext("enrollment state", "Active"),
        _("Graduated"),
    ]


def _cohorts_with_counts(user) -> QuerySet[Cohort]:
    # One scope for every count: the enrollment's merchant is in one of the user's belts.
    in_scope = belt_scope(user, "enrollments__merchant__belt")

    def count(states_filter: Q) -> Count:
        return Count("enrollments", filter=_and(states_filter, in_scope))

    cohorts = Cohort.objects.annotate(
        applied=count(~Q(enrollments__state__in=NEVER_APPLIED_STATES)),
        approved=count(Q(enrollments__state__in=EVER_APPROVED_STATES)),
        active=count(Q(enrollments__state__in=STARTED_STATES)),
        graduated=count(Q(enrollments__state=EnrollmentState.GRADUATED)),
        # The cohort's seats, whoever holds them: not scoped.
        seats_used=seats_used_annotation(),
    )
    cohort_scope = belt_scope(user, "belt")
    if cohort_scope is not None:
        cohorts = cohorts.filter(Q(belt__isnull=True) | cohort_scope)
    return cohorts.order_by("-application_opens_at", "name", "id")


def program_funnel_list(*, user) -> list[ProgramFunnel]:
    """Every program with its cohorts' funnels, programs by name, each one's cohorts newest
    first. Two queries: programs with their eligible merchants, their cohorts with the
    enrollment counts. "Eligible" is a program's figure, the same for each of its cohorts."""
    # Per program, a count of its eligible rows through the (program, is_eligible) index: one
    # short index scan each, where a GROUP BY over every row read the whole table (117 ms at
    # 500,000 rows against 8 ms; docs/performance.md).
    eligible_count = (
        Eligibility.objects.filter(
            _and(
                Q(program_id=OuterRef("pk"), is_eligible=True),
                belt_scope(user, "merchant__belt"),
            )
        )
        .order_by()
        .values("program_id")
        .annotate(eligible=Count("*"))
        .values("eligible")
    )
    programs = (
        Program.objects.annotate(dashboard_eligible=Coalesce(Subquery(eligible_count), 0))
        .prefetch_related(
            Prefetch("cohorts", queryset=_cohorts_with_counts(user), to_attr="dashboard_cohorts")
        )
        .order_by("name", "id")
    )

    funnels = []
    for program in programs:
        eligible = program.dashboard_eligible
        cohorts = [
            CohortFunnel(
                id=cohort.pk,
                name=cohort.display_name,
                seats=cohort.seats,
                seats_used=cohort.seats_used,
                eligible=eligible,
                applied=cohort.applied,
                approved=cohort.approved,
                active=cohort.active,
                graduated=cohort.graduated,
                application_opens_at=cohort.application_opens_at,
                application_closes_at=cohort.application_closes_at,
            )
            for cohort in program.dashboard_cohorts
        ]
        funnels.append(
            ProgramFunnel(
                id=program.pk,
                code=program.code,
                name=localized_name(program.name, program.name_zh),
                is_active=program.is_active,
                eligible=eligible,
                cohorts=cohorts,
            )
        )
    return funnels


def funnel_chart_data(funnels: list[ProgramFunnel]) -> dict[str, Any]:
    """What ``static/js/dashboard.js`` draws, for the page's ``json_script``: one chart per
    program with cohorts, the stages on one axis and one series per cohort."""
    return {
        "stages": funnel_stage_labels(),
        "axis": _("Merchants"),
        "charts": [
            {
                "program": program.code,
                "title": program.name,
                "series": [
                    {"label": cohort.name, "values": cohort.stages} for cohort in program.cohorts
                ],
            }
            for program in funnels
            if program.cohorts
        ],
    }


# Belt tiers -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierRow:
    belt_id: int
    belt_slug: str
    belt: str
    city: str
    tier: str
    tier_label: str
    gmv: Decimal
    gmv_display: str
    growth_display: str
    merchant_count: int


@dataclass(frozen=True, slots=True)
class TierTable:
    year: int | None
    rows: list[TierRow]
    ten_billion: int
    growth: int
    standard: int


def belt_tier_table() -> TierTable:
    """The latest year's ten-billion and growth belts, ten-billion first, each by GMV, and how
    many belts of each tier that year has. Two queries."""
    latest_year = Subquery(BeltYearStat.objects.order_by("-year").values("year")[:1])
    this_year = BeltYearStat.objects.filter(year=latest_year)
    summary = this_year.aggregate(
        year=Max("year"),
        ten_billion=Count("pk", filter=Q(tier=BeltTier.TEN_BILLION)),
        growth=Count("pk", filter=Q(tier=BeltTier.GROWTH)),
        standard=Count("pk", filter=Q(tier=BeltTier.STANDARD)),
    )
    tier_order = Case(
        *(When(tier=tier, then=position) for position, tier in enumerate(LISTED_TIERS)),
        output_field=IntegerField(),
    )
    stats = (
        this_year.filter(tier__in=LISTED_TIERS)
        .select_related("belt__city")
        .order_by(tier_order, "-gmv", "belt__name", "id")
    )
    rows = [
        TierRow(
            belt_id=stat.belt_id,
            belt_slug=stat.belt.slug,
            belt=localized_name(stat.belt.name, stat.belt.name_zh),
            city=localized_name(stat.belt.city.name, stat.belt.city.name_zh),
            tier=stat.tier,
            tier_label=stat.get_tier_display(),
            gmv=stat.gmv,
            gmv_display=format_cny(stat.gmv),
            growth_display=format_ratio(stat.yoy_growth) or "—",
            merchant_count=stat.merchant_count,
        )
        for stat in stats
    ]
    return TierTable(
        year=summary["year"],
        rows=rows,
        ten_billion=summary["ten_billion"],
        growth=summary["growth"],
        standard=summary["standard"],
    )


# Waiting applications ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwaitingRow:
    enrollment_id: int
    merchant_id: int
    merchant: str
    program: str
    cohort: str
    state: str
    state_label: str
    submitted_at: datetime | None


def awaiting_review_list(*, user) -> QuerySet[Enrollment]:
    """Submitted and in-review enrollments of the merchants in ``user``'s belts (all of them
    for a superuser), the longest waiting first, with merchant, cohort and program loaded."""
    return (
        Enrollment.objects.filter(
            _and(Q(state__in=REVIEW_QUEUE_STATES), belt_scope(user, "merchant__belt"))
        )
        .select_related("merchant", "cohort", "program")
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
    )


# The page ---------------------------------------------------------------------------------------


def console_dashboard(*, user) -> dict[str, Any]:
    """The console home's context: the sections ``user`` may see (by their view permissions),
    each computed in a fixed number of queries."""
    dashboard: dict[str, Any] = {"is_scoped": not user.is_superuser}
    if user.has_perm("programs.view_enrollment"):
        funnels = program_funnel_list(user=user)
        awaiting = awaiting_review_list(user=user)
        dashboard.update(
            funnels=funnels,
            funnel_stages=funnel_stage_labels(),
            funnel_chart=funnel_chart_data(funnels),
            awaiting=[
                AwaitingRow(
                    enrollment_id=enrollment.pk,
                    merchant_id=enrollment.merchant_id,
                    merchant=enrollment.merchant.shop_name,
                    program=localized_name(enrollment.program.name, enrollment.program.name_zh),
                    cohort=enrollment.cohort.display_name,
                    state=enrollment.state,
                    state_label=enrollment.get_state_display(),
                    submitted_at=enrollment.submitted_at,
                )
                for enrollment in awaiting[:AWAITING_LIMIT]
            ],
            awaiting_count=awaiting.count(),
        )
    if user.has_perm("belts.view_beltyearstat"):
        dashboard["tiers"] = belt_tier_table()
    return dashboard
