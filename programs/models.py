"""Support programs, their versioned rule sets, computed eligibility, cohorts and enrollments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from belts.models import IndustrialBelt
from core.language import localized_name
from core.people import person_display
from merchants.models import Merchant

from .choices import (
    OPEN_ENROLLMENT_STATES,
    REVIEW_QUEUE_STATES,
    EnrollmentState,
    RecomputeStatus,
    RecomputeTrigger,
    RuleSetStatus,
)
from .reasons import event_reason_text


class Program(models.Model):
    """A support program such as Source Power or Star Origin. Seeded as data; staff add more."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_zh = models.TextField(_("Chinese description"), blank=True)
    # What a merchant gets from the program (traffic, fee waivers, training), shown beside its
    # standing on the portal.
    benefits = models.TextField(_("benefits"), blank=True)
    benefits_zh = models.TextField(_("Chinese benefits"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language (the Chinese one where there is one)."""
        return localized_name(self.name, self.name_zh)


class RuleSet(models.Model):
    """A versioned list of typed criteria for a program; immutable once published.

    ``criteria`` is a list of ``{"type": ..., "params": {...}}`` objects.
    """

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="rule_sets", verbose_name=_("program")
    )
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT
    )
    criteria = models.JSONField(_("criteria"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="ruleset_unique_version"),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status=RuleSetStatus.PUBLISHED),
                name="ruleset_one_published_per_program",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="ruleset_version_positive"),
            models.CheckConstraint(
                condition=Q(status=RuleSetStatus.DRAFT) | Q(published_at__isnull=False),
                name="ruleset_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} v{self.version}"


class Eligibility(models.Model):
    """Whether a merchant qualifies for a program under one rule-set version, and why."""

    # A derived table, rewritten by every recompute: keyed by (merchant, program), with no
    # foreign-key constraints and no index beyond that key and (program, is_eligible), because
    # each constraint is a trigger fired for every written row and each index one more write.
    # Deletes still cascade and protect (Django's collector does that, not the database), the
    # recompute writes only merchants and rule sets it has just read, and
    # ``eligibility_integrity_check`` (run by every nightly recompute, and by
    # ``manage.py eligibility_check`` at any time) finds and removes rows a raw SQL delete left
    # behind. ``program`` is the rule set's program, copied so the key can be (merchant,
    # program). The table's fillfactor (migration 0011) leaves room on each page so a rewrite
    # of its rows updates them in place (HOT) and the table keeps its size run after run.
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.CASCADE,
        related_name="eligibilities",
        verbose_name=_("merchant"),
        db_index=False,
        db_constraint=False,
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.CASCADE,
        related_name="eligibilities",
        verbose_name=_("program"),
        db_index=False,
        db_constraint=False,
    )
    rule_set = models.ForeignKey(
        RuleSet,
        on_delete=models.PROTECT,
        related_name="eligibilities",
        verbose_name=_("rule set"),
        db_index=False,
        db_constraint=False,
    )
    is_eligible = models.BooleanField(_("eligible"))
    actuals = models.JSONField(
        _("values seen"),
        default=list,
        blank=True,
        help_text=_(
            "The value each criterion of the rule set saw, in order. The reasons (passed, "
            "required, shortfall, message) follow from these and the rule set."
        ),
    )
    computed_at = models.DateTimeField(_("computed at"))
    # A digest of (rule set, values seen) (programs/fingerprint.py): a recompute compares
    # digests, not JSON, and writes only the rows whose digest moved; none matches nothing.
    # Column "digest": the 64-bit integer replaced a text column, left nullable for the release
    # still running during an upgrade (migration 0012) and dropped by a later one.
    fingerprint = models.BigIntegerField(
        _("fingerprint"), null=True, blank=True, editable=False, db_column="digest"
    )
    status_changes = models.PositiveIntegerField(
        _("status changes"),
        default=0,
        help_text=_("How many times the outcome flipped; part of each notification's dedupe key."),
    )
    changed_at = models.DateTimeField(_("outcome since"), null=True, blank=True)

    class Meta:
        verbose_name = _("eligibility")
        verbose_name_plural = _("eligibilities")
        ordering = ["program", "merchant"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "program"], name="eligibility_unique_merchant_program"
            ),
        ]
        indexes = [
            models.Index(fields=["program", "is_eligible"], name="eligibility_program_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} / {self.program}"


class Cohort(models.Model):
    """A program's intake round: an application window, a number of seats, an optional belt."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="cohorts", verbose_name=_("program")
    )
    name = models.CharField(_("name"), max_length=150)
    name_zh = models.CharField(_("Chinese name"), max_length=150, blank=True)
    application_opens_at = models.DateTimeField(_("applications open"))
    application_closes_at = models.DateTimeField(_("applications close"))
    seats = models.PositiveIntegerField(_("seats"))
    belt = models.ForeignKey(
        IndustrialBelt,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cohorts",
        verbose_name=_("restricted to belt"),
    )
    graduation_criteria = models.JSONField(_("graduation criteria"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["-application_opens_at", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="cohort_unique_name"),
            models.CheckConstraint(
                condition=Q(application_opens_at__lt=F("application_closes_at")),
                name="cohort_window_opens_before_close",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="cohort_seats_positive"),
        ]
        indexes = [
            models.Index(
                fields=["application_opens_at", "application_closes_at"],
                name="cohort_window_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} — {self.display_name}"

    @property
    def display_name(self) -> str:
        """The name in the active language (the Chinese one where there is one)."""
        return localized_name(self.name, self.name_zh)


class Enrollment(models.Model):
    """A merchant in a cohort, moving through the enrollment workflow."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("merchant")
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("cohort")
    )
    # Copied from the cohort so the database can hold "one open enrollment per program".
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("program")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=EnrollmentState.choices, default=EnrollmentState.DRAFT
    )
    eligibility_override_reason = models.TextField(
        _("eligibility override reason"),
        blank=True,
        help_text=_("Why staff let a merchant apply who is not currently eligible."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    waitlisted_at = models.DateTimeField(_("waitlisted at"), null=True, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"), auto_now_add=True)
    # Set by the periodic check when an active enrollment's merchant meets the cohort's graduation
    # criteria; the center's managers confirm the graduation. Proposed once, never again.
    graduation_proposed_at = models.DateTimeField(
        _("graduation proposed at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "program"],
                condition=Q(state__in=OPEN_ENROLLMENT_STATES),
                name="enrollment_one_open_per_program",
            ),
        ]
        indexes = [
            models.Index(fields=["cohort", "state"], name="enrollment_cohort_state_idx"),
            models.Index(fields=["state", "submitted_at"], name="enrollment_queue_idx"),
            models.Index(
                fields=["cohort", "waitlisted_at"],
                condition=Q(state=EnrollmentState.WAITLISTED),
                name="enrollment_waitlist_idx",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(merchant)s in %(cohort)s") % {
            "merchant": self.merchant,
            "cohort": self.cohort,
        }


class EnrollmentEvent(models.Model):
    """One transition of an enrollment: who moved it, from where to where, and why."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="events", verbose_name=_("enrollment")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    from_state = models.CharField(
        _("from"), max_length=20, choices=EnrollmentState.choices, blank=True
    )
    to_state = models.CharField(_("to"), max_length=20, choices=EnrollmentState.choices)
    # Text a person typed (a reviewer's reason). What the workflow itself records is a code
    # (with its parameters), rendered in the reader's language.
    reason = models.TextField(_("reason"), blank=True)
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment event")
        verbose_name_plural = _("enrollment events")
        ordering = ["enrollment", "created_at", "id"]
        indexes = [
            models.Index(fields=["enrollment", "created_at"], name="enrollmentevent_history_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.enrollment_id}: {self.get_from_state_display() or '—'} → "
            f"{self.get_to_state_display()}"
        )

    @property
    def actor_display(self) -> str:
        """Who took the step, as a page names them (never by their login)."""
        return person_display(self.actor)

    @property
    def reason_text(self) -> str:
        """Why, in the active language: the workflow's note (from its code), then what a
        person typed."""
        return event_reason_text(
            code=self.reason_code, params=self.reason_params, reason=self.reason
        )


class ReviewQueueManager(models.Manager):
    """Only the applications awaiting a reviewer: submitted or in review."""

    def get_queryset(self):
        return super().get_queryset().filter(state__in=REVIEW_QUEUE_STATES)


class ReviewQueueItem(Enrollment):
    """An application awaiting a decision, as the console's review queue shows it (oldest
    submission first). A proxy: the rows are enrollments, moved only by the workflow services."""

    objects = ReviewQueueManager()

    class Meta:
        proxy = True
        verbose_name = _("application to review")
        verbose_name_plural = _("review queue")
        ordering = ["submitted_at", "id"]


class RecomputeRun(models.Model):
    """One full eligibility recompute (every merchant, in chunk tasks): when, how long, what it
    wrote. The operators' page lists them; ``/health/`` reads the last nightly one's age.

    A run whose chunk failed for good (after its retries) never gets its summary and stays
    ``running``: the operators' page shows it as stalled once it is older than the task time
    limit allows."""

    trigger = models.CharField(_("trigger"), max_length=16, choices=RecomputeTrigger.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RecomputeStatus.choices,
        default=RecomputeStatus.RUNNING,
    )
    program_ids = models.JSONField(
        _("programs"), null=True, blank=True, help_text=_("Empty: every program.")
    )
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    merchants = models.PositiveIntegerField(_("merchants"), default=0)
    evaluated = models.PositiveIntegerField(_("evaluated"), default=0)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    gained = models.PositiveIntegerField(_("became eligible"), default=0)
    lost = models.PositiveIntegerField(_("stopped being eligible"), default=0)
    notifications = models.PositiveIntegerField(_("notifications"), default=0)
    failed_programs = models.JSONField(_("programs left out"), default=list, blank=True)

    class Meta:
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        ordering = ["-started_at"]
        # The operators' page and /metrics/: platform-wide, every center's figures.
        permissions = [
            ("operate_platform", _("Can watch and operate the queues, outbox and recomputes")),
        ]
        indexes = [
            models.Index(fields=["trigger", "-finished_at"], name="recompute_run_trigger_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at
