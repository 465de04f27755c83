"""Reads of the programs app."""

import datetime
from typing import TypedDict, cast

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from belts.scoping import Viewer, belt_scope
from merchants.choices import MerchantStatus
from merchants.models import Merchant, MerchantMembership
from merchants.scoping import scoped

from .choices import (
    OPEN_ENROLLMENT_STATES,
    SEAT_HOLDING_STATES,
    RecomputeStatus,
    RecomputeTrigger,
    RuleSetStatus,
)
from .models import (
    Cohort,
    Eligibility,
    Enrollment,
    EnrollmentEvent,
    Program,
    RecomputeRun,
    RuleSet,
)


# Seats ----------------------------------------------------------------------------------------
# "Seats used": the cohort's enrollments in a seat-holding state (approved or active), whoever
# they belong to. One definition, in three shapes: a count, a cohort annotation, a subquery for
# rows that point at a cohort.
def cohort_seats_used(*, cohort_id: int) -> int:
    """How many of the cohort's seats are held: one query."""
    return Enrollment.objects.filter(cohort_id=cohort_id, state__in=SEAT_HOLDING_STATES).count()


def seats_used_annotation() -> Count:
    """``Cohort.objects.annotate(seats_used=seats_used_annotation())``."""
    return Count("enrollments", filter=Q(enrollments__state__in=SEAT_HOLDING_STATES))


def seats_used_subquery(cohort_ref: str = "cohort_id") -> Coalesce:
    """The seats used of the cohort ``cohort_ref`` points at (``OuterRef``), for annotating
    rows such as enrollments without a join that would multiply them."""
    used = (
        Enrollment.objects.filter(cohort_id=OuterRef(cohort_ref), state__in=SEAT_HOLDING_STATES)
        .order_by()
        .values("cohort_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(used), Value(0), output_field=IntegerField())


def _published_rule_sets() -> Prefetch:
    return Prefetch(
        "rule_sets",
        queryset=RuleSet.objects.filter(status=RuleSetStatus.PUBLISHED),
        to_attr="published_rule_sets",
    )


def program_list() -> QuerySet[Program]:
    """Programs with their published rule set (at most one, the database guarantees it) loaded
    into ``published_rule_sets``: a list of zero or one rule set."""
    return Program.objects.prefetch_related(_published_rule_sets()).order_by("name", "id")


def program_standing_list(*, merchant_id: int) -> QuerySet[Program]:
    """The active programs, each with its published rule set in ``published_rule_sets`` and the
    merchant's eligibility (with its rule set) in ``merchant_eligibilities``: lists of zero or
    one. Three queries, however many programs."""
    eligibility = Prefetch(
        "eligibilities",
        queryset=Eligibility.objects.filter(merchant_id=merchant_id).select_related("rule_set"),
        to_attr="merchant_eligibilities",
    )
    return (
        Program.objects.filter(is_active=True)
        .prefetch_related(_published_rule_sets(), eligibility)
        .order_by("name", "id")
    )


def rule_set_list() -> QuerySet[RuleSet]:
    """Rule sets of every status with their program and author, newest version first per
    program."""
    return RuleSet.objects.select_related("program", "created_by").order_by(
        "program_id", "-version"
    )


def eligibility_list(
    *,
    user: Viewer | None = None,
    merchant_id: int | None = None,
    active_programs_only: bool = False,
) -> QuerySet[Eligibility]:
    """Recorded eligibility rows with merchant, program and rule set loaded, ordered along the
    (merchant, program) unique index so paging stays cheap on a large table.

    With ``user``, only the rows of the merchants that user may see (``merchants.scoping``);
    without, every row (for internal callers: tasks, services)."""
    queryset = Eligibility.objects.select_related("merchant", "program", "rule_set")
    if user is not None:
        queryset = scoped(queryset, user, "merchant")
    if merchant_id is not None:
        queryset = queryset.filter(merchant_id=merchant_id)
    if active_programs_only:
        queryset = queryset.filter(program__is_active=True)
    return queryset.order_by("merchant_id", "program_id")


# Enrollments (the API's list) ------------------------------------------------------------------
def enrollment_list(*, user: Viewer) -> QuerySet[Enrollment]:
    """The enrollments ``user`` may read, with merchant, cohort and program joined and the events
    (oldest first) prefetched: two queries, however many rows.

    Staff see those of the belts their centers serve, a merchant's owner or operators those of
    their merchants, superusers all; anyone else none. The scope is a subquery: no query of its
    own."""
    queryset = Enrollment.objects.select_related("merchant", "cohort", "program").prefetch_related(
        Prefetch("events", queryset=EnrollmentEvent.objects.order_by("created_at", "id"))
    )
    if not user.is_authenticated:
        return queryset.none()
    staff_scope = belt_scope(user, "merchant__belt")
    if staff_scope is not None:  # None: a superuser, who sees every enrollment
        memberships = MerchantMembership.objects.filter(user_id=user.pk)
        own = Q(merchant_id__in=memberships.values("merchant_id"))
        queryset = queryset.filter(staff_scope | own)
    return queryset.order_by("-created_at", "-id")


# The portal's applications ----------------------------------------------------------------------
def cohort_open_list(*, belt_id: int | None, now: datetime.datetime) -> QuerySet[Cohort]:
    """Cohorts whose application window is open at ``now`` and that take merchants of
    ``belt_id`` (unrestricted, or restricted to that belt), closing soonest first."""
    belts = Q(belt__isnull=True)
    if belt_id is not None:
        belts |= Q(belt_id=belt_id)
    return Cohort.objects.filter(
        belts, application_opens_at__lte=now, application_closes_at__gt=now
    ).order_by("application_closes_at", "name", "id")


def program_application_list(
    *, merchant_id: int, belt_id: int | None, now: datetime.datetime
) -> QuerySet[Program]:
    """``program_standing_list`` plus, per program, the cohorts the merchant may apply to now in
    ``open_cohorts`` and its open enrollment (with cohort) in ``open_enrollments`` (a list of
    zero or one: the database allows one per merchant and program). Five queries, however many
    programs and cohorts."""
    return program_standing_list(merchant_id=merchant_id).prefetch_related(
        Prefetch(
            "cohorts",
            queryset=cohort_open_list(belt_id=belt_id, now=now),
            to_attr="open_cohorts",
        ),
        Prefetch(
            "enrollments",
            queryset=Enrollment.objects.filter(
                merchant_id=merchant_id, state__in=OPEN_ENROLLMENT_STATES
            ).select_related("cohort"),
            to_attr="open_enrollments",
        ),
    )


def merchant_enrollment_list(*, merchant_id: int) -> QuerySet[Enrollment]:
    """One merchant's enrollments, newest first, with cohort and program joined and the events
    (oldest first, with their actor) prefetched: two queries, however many rows."""
    events = EnrollmentEvent.objects.select_related("actor").order_by("created_at", "id")
    return (
        Enrollment.objects.filter(merchant_id=merchant_id)
        .select_related("cohort", "program")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-created_at", "-id")
    )


def member_enrollment_get(*, user: Viewer, enrollment_id: int) -> Enrollment | None:
    """The enrollment ``enrollment_id`` if it belongs to one of ``user``'s merchants (as owner or
    operator), else None: someone else's and a missing one are not told apart."""
    return (
        Enrollment.objects.filter(
            pk=enrollment_id,
            merchant_id__in=MerchantMembership.objects.filter(user_id=user.pk).values(  # type: ignore[misc]  # None for a visitor: no rows
                "merchant_id"
            ),
        )
        .select_related("merchant", "cohort", "program")
        .first()
    )


# A belt's page: how many of its merchants each program counts (``config.atlas.figures``) ---------
class BeltProgramCount(TypedDict):
    id: int
    name: str
    name_zh: str
    eligible: int
    enrolled: int


def belt_program_count_list(*, belt_id: int) -> list[BeltProgramCount]:
    """Each active program with how many merchants of the belt (not closed) are eligible today
    and how many hold a seat in one of its cohorts (approved or taking part): one query."""
    merchants = Q(merchant__belt_id=belt_id) & ~Q(merchant__status=MerchantStatus.CLOSED)
    eligible = (
        Eligibility.objects.filter(merchants, program_id=OuterRef("pk"), is_eligible=True)
        .order_by()
        .values("program_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    enrolled = (
        Enrollment.objects.filter(
            merchants, program_id=OuterRef("pk"), state__in=SEAT_HOLDING_STATES
        )
        .order_by()
        .values("program_id")
        .annotate(count=Count("merchant_id", distinct=True))
        .values("count")
    )
    programs = (
        Program.objects.filter(is_active=True)
        .annotate(
            eligible=Coalesce(Subquery(eligible, output_field=IntegerField()), Value(0)),
            enrolled=Coalesce(Subquery(enrolled, output_field=IntegerField()), Value(0)),
        )
        .order_by("name", "id")
        .values("id", "name", "name_zh", "eligible", "enrolled")
    )
    return cast(list[BeltProgramCount], list(programs))


# Recompute runs, for operators (platform-wide) ----------------------------------------------------
def recompute_run_list(*, limit: int = 20) -> list[RecomputeRun]:
    """The latest full recomputes, newest first."""
    return list(RecomputeRun.objects.order_by("-started_at", "-id")[: max(1, min(limit, 200))])


def last_nightly_recompute_get() -> RecomputeRun | None:
    """The last nightly recompute that finished (with or without every program)."""
    return (
        RecomputeRun.objects.filter(
            trigger=RecomputeTrigger.NIGHTLY,
            status__in=[RecomputeStatus.FINISHED, RecomputeStatus.PARTIAL],
        )
        .order_by("-finished_at")
        .first()
    )


# Integrity of the derived eligibility table (platform-wide) ---------------------------------------
class EligibilityOrphans(TypedDict):
    merchant_missing: int
    rule_set_missing: int
    program_mismatch: int


def _eligibility_orphan_conditions() -> dict[str, Q]:
    """The rows no foreign key guards (the table has none, ``Eligibility``'s comment says why):
    a merchant or rule set gone behind Django's back (a raw SQL delete), or a program that is
    not its rule set's."""
    rule_set = RuleSet.objects.filter(pk=OuterRef("rule_set_id"))
    return {
        "merchant_missing": ~Q(Exists(Merchant.objects.filter(pk=OuterRef("merchant_id")))),
        "rule_set_missing": ~Q(Exists(rule_set)),
        "program_mismatch": Q(Exists(rule_set.exclude(program_id=OuterRef("program_id")))),
    }


def eligibility_orphan_counts() -> EligibilityOrphans:
    """How many eligibility rows break each rule of integrity: one scan of the table (anti
    joins on the primary keys)."""
    conditions = _eligibility_orphan_conditions()
    counts = Eligibility.objects.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in conditions.items()}
    )
    return cast(EligibilityOrphans, {name: counts[name] or 0 for name in conditions})


def eligibility_orphan_list() -> QuerySet[Eligibility]:
    """The eligibility rows that break integrity, whatever the rule."""
    condition = Q()
    for part in _eligibility_orphan_conditions().values():
        condition |= part
    return Eligibility.objects.filter(condition).order_by()
