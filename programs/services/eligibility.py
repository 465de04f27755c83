"""Writes of the programs app: rule sets, and the eligibility recompute."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from belts.scoping import Viewer
from merchants.choices import NotificationKind
from merchants.facts import (
    DEFAULT_CHUNK_SIZE,
    merchant_facts_for_range,
    merchant_facts_list,
    merchant_id_ranges,
)
from merchants.models import Merchant
from merchants.scoping import merchant_scope
from merchants.services.notifications import (
    NotificationDraft,
    drafts_for_merchant,
    merchant_audience,
    notifications_insert_bulk,
)

from .. import eligibility_sql
from ..choices import RuleSetStatus
from ..criteria import criteria_validate
from ..eligibility import CompiledRuleSet, Flip, Outcome, evaluate, evaluate_many
from ..exceptions import CriterionError, RuleSetImmutable, RuleSetInvalid, RuleSetNotEvaluable
from ..models import Eligibility, Program, RuleSet
from ..notices import eligibility_event_key, eligibility_payload
from ..selectors import eligibility_orphan_list

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)


# The most rule sets one recompute statement evaluates: however many programs there are, a
# statement stays within PostgreSQL's limits (bind parameters, planning time).
RULE_SETS_PER_STATEMENT = 20
# The most characters of a rule set's notes; no NUL character (PostgreSQL cannot store it).
RULE_SET_NOTES_MAX_LENGTH = 2000


@dataclass
class RecomputeStats:
    merchants: int = 0
    evaluated: int = 0
    written: int = 0
    gained: int = 0
    lost: int = 0
    notifications: int = 0
    # Programs left out: their published rule set no longer passes validation, or their
    # evaluation failed (logged with the error); every other program was recomputed.
    failed_programs: list[int] = field(default_factory=list)

    def add(self, other: RecomputeStats) -> RecomputeStats:
        for name in self.__dataclass_fields__:
            if name == "failed_programs":
                self.failed_programs = sorted({*self.failed_programs, *other.failed_programs})
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class PublishedRuleSets:
    """The published rule sets of active programs, compiled, and the programs left out because
    theirs no longer passes validation."""

    rule_sets: list[CompiledRuleSet]
    invalid_programs: list[int]


def published_rule_sets_compile(program_ids: Iterable[int] | None = None) -> PublishedRuleSets:
    """Compile the published rule sets (of ``program_ids``, or of every active program). One
    stored before the current bounds that fails them is skipped with a logged error, so that it
    never stops the other programs' recompute."""
    queryset = RuleSet.objects.filter(
        status=RuleSetStatus.PUBLISHED, program__is_active=True
    ).order_by("program_id")
    if program_ids is not None:
        queryset = queryset.filter(program_id__in=list(program_ids))
    compiled, invalid = [], []
    for rule_set in queryset:
        try:
            compiled.append(CompiledRuleSet.compile(rule_set))
        except CriterionError as error:
            logger.error(
                "rule set %s of program %s no longer passes validation, its program is not "
                "recomputed: %s",
                rule_set.pk,
                rule_set.program_id,
                error.message,
            )
            invalid.append(rule_set.program_id)
    return PublishedRuleSets(compiled, invalid)


def published_rule_sets(program_ids: Iterable[int] | None = None) -> list[CompiledRuleSet]:
    """The published rule sets that pass validation (see ``published_rule_sets_compile``)."""
    return published_rule_sets_compile(program_ids).rule_sets


# Recompute ---------------------------------------------------------------------------------------
# Which evaluation recomputes: the one statement per chunk on PostgreSQL ("sql"), or Python over
# the same facts ("python"); None picks "sql" where the database is PostgreSQL. Both write the
# same rows, fingerprints and notifications (tests/programs/test_engines_agree.py).
Engine = Literal["sql", "python"]


@dataclass
class _Existing:
    fingerprint: int | None
    is_eligible: bool
    status_changes: int
    changed_at: datetime.datetime | None


_EXISTING_FIELDS = (
    "merchant_id",
    "program_id",
    "fingerprint",
    "is_eligible",
    "status_changes",
    "changed_at",
)


def _existing(merchant_ids: Sequence[int], program_ids: Sequence[int]) -> dict:
    rows = Eligibility.objects.filter(
        merchant_id__in=merchant_ids, program_id__in=program_ids
    ).values_list(*_EXISTING_FIELDS)
    return {(m, p): _Existing(*rest) for m, p, *rest in rows}


def _existing_in_range(id_range: tuple[int, int | None], program_ids: Sequence[int]) -> dict:
    low, high = id_range
    queryset = Eligibility.objects.filter(merchant_id__gte=low, program_id__in=program_ids)
    if high is not None:
        queryset = queryset.filter(merchant_id__lt=high)
    rows = queryset.values_list(*_EXISTING_FIELDS)
    return {(m, p): _Existing(*rest) for m, p, *rest in rows}


@dataclass
class _Change:
    outcome: Outcome
    status_changes: int
    flipped: bool  # the outcome (eligible or not) differs from before
    changed_at: datetime.datetime | None = None  # when the outcome last flipped


def _write(
    outcomes: Sequence[Outcome],
    existing: dict,
    rule_sets: Mapping[int, CompiledRuleSet],
) -> RecomputeStats:
    """Write the outcomes whose fingerprint moved, and notify the merchants whose status
    flipped, in one transaction. Unchanged outcomes cost nothing."""
    stats = RecomputeStats(evaluated=len(outcomes))
    now = timezone.now()
    changes: list[_Change] = []
    for outcome in outcomes:
        before = existing.get((outcome.merchant_id, outcome.program_id))
        if before is None:
            # A first evaluation: becoming eligible is news, never having been is not.
            changes.append(_Change(outcome, int(outcome.is_eligible), outcome.is_eligible, now))
        elif before.fingerprint != outcome.fingerprint:
            flipped = before.is_eligible != outcome.is_eligible
            changes.append(
                _Change(
                    outcome,
                    before.status_changes + int(flipped),
                    flipped,
                    now if flipped else before.changed_at,
                )
            )
    if not changes:
        return stats
    flipped = [change for change in changes if change.flipped]
    with transaction.atomic():
        Eligibility.objects.bulk_create(
            [
                Eligibility(
                    merchant_id=c.outcome.merchant_id,
                    program_id=c.outcome.program_id,
                    rule_set_id=c.outcome.rule_set_id,
                    is_eligible=c.outcome.is_eligible,
                    actuals=list(c.outcome.actuals),
                    computed_at=now,
                    fingerprint=c.outcome.fingerprint,
                    status_changes=c.status_changes,
                    changed_at=c.changed_at,
                )
                for c in changes
            ],
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["merchant", "program"],
            update_fields=[
                "rule_set",
                "is_eligible",
                "actuals",
                "computed_at",
                "fingerprint",
                "status_changes",
                "changed_at",
            ],
        )
        if flipped:
            stats.notifications = _notify_flips(
                [
                    Flip(
                        merchant_id=c.outcome.merchant_id,
                        program_id=c.outcome.program_id,
                        rule_set_id=c.outcome.rule_set_id,
                        is_eligible=c.outcome.is_eligible,
                        status_changes=c.status_changes,
                        actuals=c.outcome.actuals,
                    )
                    for c in flipped
                ],
                rule_sets,
            )
    stats.written = len(changes)
    stats.gained = sum(1 for c in flipped if c.outcome.is_eligible)
    stats.lost = sum(1 for c in flipped if not c.outcome.is_eligible)
    return stats


def _notify_flips(flips: Sequence[Flip], rule_sets: Mapping[int, CompiledRuleSet]) -> int:
    """Write the notifications of these flips in the current transaction, whichever engine found
    them: per flip, the in-app message of the merchant and an e-mail to each member who wants
    one, keyed by the flip's event (``eligibility_event_key``) and carrying
    ``eligibility_payload``. Returns how many were written (a key written before is not)."""
    programs = Program.objects.in_bulk({flip.program_id for flip in flips})
    audiences = {
        gained: merchant_audience(
            {flip.merchant_id for flip in flips if flip.is_eligible is gained},
            NotificationKind.ELIGIBILITY_GAINED if gained else NotificationKind.ELIGIBILITY_LOST,
        )
        for gained in {flip.is_eligible for flip in flips}
    }
    drafts: list[NotificationDraft] = []
    # A gain's payload depends on its program and rule set alone: one object for all of them,
    # which the outbox renders and finds once (a first fill's flips are thousands of gains).
    gains: dict[tuple[int, int], dict] = {}
    for flip in flips:
        if flip.is_eligible:
            payload = gains.get((flip.program_id, flip.rule_set_id))
            if payload is None:
                payload = gains[(flip.program_id, flip.rule_set_id)] = eligibility_payload(
                    program=programs[flip.program_id],
                    rule_set=rule_sets[flip.rule_set_id],
                    is_eligible=True,
                )
        else:
            payload = eligibility_payload(
                program=programs[flip.program_id],
                rule_set=rule_sets[flip.rule_set_id],
                is_eligible=False,
                actuals=flip.actuals,
            )
        kind = (
            NotificationKind.ELIGIBILITY_GAINED
            if flip.is_eligible
            else NotificationKind.ELIGIBILITY_LOST
        )
        drafts += drafts_for_merchant(
            merchant_id=flip.merchant_id,
            kind=kind,
            key=eligibility_event_key(
                merchant_id=flip.merchant_id,
                program_id=flip.program_id,
                status_changes=flip.status_changes,
            ),
            emails=audiences[flip.is_eligible].get(flip.merchant_id, []),
            payload=payload,
        )
    return len(notifications_insert_bulk(drafts))


def eligibility_recompute(
    *,
    merchant_ids: Sequence[int] | None = None,
    program_ids: Sequence[int] | None = None,
    as_of: datetime.date | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    engine: Engine | None = None,
) -> RecomputeStats:
    """Recompute eligibility of the given merchants (or all) for the given programs (or all
    active ones with a published rule set), as of a date (default today).

    Guarantees: facts are computed in the database, one query per chunk; only rows whose
    outcome or the values its criteria saw changed are written (a rerun with nothing new writes
    nothing); a merchant whose status flipped gets its notifications in the same transaction as
    the row, with a dedupe key, so a repeated run never notifies twice. On PostgreSQL each chunk
    is one statement (``programs.eligibility_sql``); elsewhere the same rules run in Python
    (``engine`` chooses; both write the same rows and notifications)."""
    as_of = as_of or timezone.localdate()
    engine = _engine(engine)
    published = published_rule_sets_compile(program_ids)
    rule_sets = published.rule_sets
    stats = RecomputeStats(failed_programs=published.invalid_programs)
    if not rule_sets:
        return stats
    if merchant_ids is None:
        for id_range in merchant_id_ranges(chunk_size=chunk_size):
            stats.add(
                eligibility_recompute_range(
                    id_range=id_range, as_of=as_of, rule_sets=rule_sets, engine=engine
                )
            )
        if stats.written and engine == "sql":
            eligibility_sql.analyze()
        return stats
    ids = sorted(set(merchant_ids))
    for start in range(0, len(ids), chunk_size):
        stats.add(
            _recompute_chunk(
                rule_sets, as_of, engine=engine, merchant_ids=ids[start : start + chunk_size]
            )
        )
    return stats


def _engine(engine: Engine | None) -> Engine:
    if engine is None:
        return "sql" if eligibility_sql.supported() else "python"
    if engine == "sql" and not eligibility_sql.supported():
        raise ValueError("the set-based recompute needs PostgreSQL")
    if engine not in ("sql", "python"):
        raise ValueError(f"no recompute engine {engine!r}")
    return engine


def eligibility_recompute_range(
    *,
    id_range: tuple[int, int | None],
    as_of: datetime.date | None = None,
    program_ids: Sequence[int] | None = None,
    rule_sets: Sequence[CompiledRuleSet] | None = None,
    engine: Engine | None = None,
) -> RecomputeStats:
    """Recompute the merchants whose id falls in ``[low, high)``: the unit a chunk task runs."""
    as_of = as_of or timezone.localdate()
    engine = _engine(engine)
    if rule_sets is not None:
        published = PublishedRuleSets(list(rule_sets), [])
    else:
        published = published_rule_sets_compile(program_ids)
    if not published.rule_sets:
        return RecomputeStats(failed_programs=published.invalid_programs)
    stats = _recompute_chunk(published.rule_sets, as_of, engine=engine, id_range=id_range)
    return stats.add(RecomputeStats(failed_programs=published.invalid_programs))


def _recompute_chunk(
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    *,
    engine: Engine,
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> RecomputeStats:
    """One chunk of merchants for every rule set. A program whose evaluation fails is logged and
    reported in ``failed_programs``; the others are recomputed all the same. Only if every
    program fails (the database is gone, not one rule set) does the error propagate."""
    if engine == "sql":
        return _recompute_chunk_sql(rule_sets, as_of, id_range=id_range, merchant_ids=merchant_ids)
    return _recompute_chunk_python(rule_sets, as_of, id_range=id_range, merchant_ids=merchant_ids)


def _log_failure(rule_set: CompiledRuleSet, error: BaseException) -> None:
    logger.error(
        "eligibility recompute of program %s (rule set %s) failed; the other programs go on",
        rule_set.program_id,
        rule_set.id,
        exc_info=error,
    )


def _recompute_chunk_sql(
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    *,
    id_range: tuple[int, int | None] | None,
    merchant_ids: Sequence[int] | None,
) -> RecomputeStats:
    rule_sets_by_id = {rule_set.id: rule_set for rule_set in rule_sets}

    def notify(flips: Sequence[Flip]) -> int:
        return _notify_flips(flips, rule_sets_by_id)

    def run(group: Sequence[CompiledRuleSet]) -> RecomputeStats:
        # Its own transaction (a savepoint inside the caller's): a failure undoes only it, with
        # the notifications written in it.
        result = eligibility_sql.recompute(
            rule_sets=group,
            as_of=as_of,
            notify=notify,
            id_range=id_range,
            merchant_ids=merchant_ids,
        )
        return RecomputeStats(
            merchants=result.merchants,
            evaluated=result.merchants * len(group),
            written=result.written,
            gained=result.gained,
            lost=result.lost,
            notifications=result.notifications,
        )

    stats = RecomputeStats()
    merchants = 0
    last_error: DatabaseError | None = None
    for start in range(0, len(rule_sets), RULE_SETS_PER_STATEMENT):
        group = rule_sets[start : start + RULE_SETS_PER_STATEMENT]
        try:
            parts = [run(group)]
        except DatabaseError:
            # One statement for the group failed: find which program, one statement each.
            parts = []
            for rule_set in group:
                try:
                    parts.append(run([rule_set]))
                except DatabaseError as error:
                    _log_failure(rule_set, error)
                    stats.failed_programs.append(rule_set.program_id)
                    last_error = error
        for part in parts:
            merchants = max(merchants, part.merchants)
            part.merchants = 0
            stats.add(part)
    if last_error is not None and len(stats.failed_programs) == len(rule_sets):
        raise last_error
    stats.merchants = merchants  # every statement saw the same chunk of merchants
    return stats


def _recompute_chunk_python(
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    *,
    id_range: tuple[int, int | None] | None,
    merchant_ids: Sequence[int] | None,
) -> RecomputeStats:
    program_ids = [rule_set.program_id for rule_set in rule_sets]
    if id_range is not None:
        facts = merchant_facts_for_range(as_of=as_of, id_range=id_range)
        existing = _existing_in_range(id_range, program_ids)
    else:
        facts = merchant_facts_list(as_of=as_of, merchant_ids=merchant_ids)
        existing = _existing([merchant.merchant_id for merchant in facts], program_ids)
    outcomes: list[Outcome] = []
    failed: list[int] = []
    last_error: Exception | None = None
    for rule_set in rule_sets:
        try:
            outcomes += evaluate_many([rule_set], facts)
        except Exception as error:  # a defect of one rule set's evaluation, not of the others
            _log_failure(rule_set, error)
            failed.append(rule_set.program_id)
            last_error = error
    if last_error is not None and len(failed) == len(rule_sets):
        raise last_error
    stats = _write(outcomes, existing, {rule_set.id: rule_set for rule_set in rule_sets})
    stats.merchants = len(facts)
    stats.failed_programs = sorted(set(failed))
    return stats


def eligibility_orphans_delete() -> int:
    """Remove the eligibility rows whose merchant or rule set is gone, or whose program is not
    its rule set's (``programs.selectors.eligibility_orphan_list``): rows no recompute would
    write. Answers how many it removed; every nightly recompute runs it, and
    ``manage.py eligibility_check --fix`` at any time."""
    deleted, _by_model = eligibility_orphan_list().delete()
    if deleted:
        logger.warning("removed %s eligibility rows left without merchant or rule set", deleted)
    return deleted


# Rule sets ---------------------------------------------------------------------------------------
def _validated_notes(notes: Any) -> str:
    if not isinstance(notes, str):
        raise RuleSetInvalid(_("The notes must be text."), field="notes")
    if "\x00" in notes:
        raise RuleSetInvalid(
            _("The notes cannot hold a NUL character (\\u0000)."),
            code="null_character",
            field="notes",
        )
    if len(notes) > RULE_SET_NOTES_MAX_LENGTH:
        raise RuleSetInvalid(
            _("The notes are at most %(maximum)s characters long, not %(length)s.")
            % {"maximum": RULE_SET_NOTES_MAX_LENGTH, "length": len(notes)},
            code="too_long",
            field="notes",
        )
    return notes


def rule_set_create_draft(
    *, program: Program, criteria: list, notes: str = "", actor: User | None = None
) -> RuleSet:
    """A new draft, numbered after the program's latest version. Criteria are validated
    (``criteria_validate``: the bounds of docs/eligibility.md, and every category exists), and
    the notes bounded; nothing is written if either is refused."""
    criteria_validate(criteria)
    notes = _validated_notes(notes)
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        latest = program.rule_sets.order_by("-version").values_list("version", flat=True).first()
        return RuleSet.objects.create(
            program=program,
            version=(latest or 0) + 1,
            criteria=criteria,
            notes=notes,
            created_by=actor,
        )


def rule_set_update_draft(
    *, rule_set: RuleSet, criteria: list | None = None, notes: str | None = None
) -> RuleSet:
    """Change a draft's criteria and notes, those given (validated as on creation). A published
    or retired rule set never changes: RuleSetImmutable."""
    if criteria is not None:
        criteria_validate(criteria)
    if notes is not None:
        notes = _validated_notes(notes)
    with transaction.atomic():
        current = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if current.status != RuleSetStatus.DRAFT:
            raise RuleSetImmutable(
                _("Rule set %(name)s is %(status)s and can no longer change; create a new draft.")
                % {"name": str(current), "status": current.get_status_display()},
                code="immutable",
            )
        if criteria is not None:
            current.criteria = criteria
        if notes is not None:
            current.notes = notes
        current.save(update_fields=["criteria", "notes"])
        return current


def rule_set_delete_draft(*, rule_set: RuleSet) -> None:
    """Delete a draft. A published or retired rule set never goes: RuleSetImmutable."""
    with transaction.atomic():
        current = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if current.status != RuleSetStatus.DRAFT:
            raise RuleSetImmutable(
                _("Only a draft can be deleted; %(name)s is %(status)s.")
                % {"name": str(current), "status": current.get_status_display()},
                code="immutable",
            )
        current.delete()


def rule_set_publish(*, rule_set: RuleSet, actor: User | None = None) -> RuleSet:
    """Publish a draft: the program's published version retires, this one takes its place, and
    after the commit the program's eligibility is recomputed for every merchant.

    All or nothing: under the program's and the draft's row locks, before anything changes, the
    draft's criteria are validated as stored now (bounds, categories) and, on PostgreSQL, the
    database plans the statement that will evaluate them. If anything is refused, the draft
    stays a draft and the previous version stays published. The recompute runs after the commit
    and cannot undo it; if it fails, the error is logged and the nightly recompute retries."""
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=rule_set.program_id)
        current = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if current.status != RuleSetStatus.DRAFT:
            raise RuleSetImmutable(
                _("Only a draft can be published; %(name)s is %(status)s.")
                % {"name": str(current), "status": current.get_status_display()},
                code="immutable",
            )
        criteria_validate(current.criteria)
        compiled = CompiledRuleSet.compile(current)
        if eligibility_sql.supported():
            _require_evaluable(compiled)
        now = timezone.now()
        RuleSet.objects.filter(
            program_id=current.program_id, status=RuleSetStatus.PUBLISHED
        ).update(status=RuleSetStatus.RETIRED, retired_at=now)
        current.status = RuleSetStatus.PUBLISHED
        current.published_at = now
        current.save(update_fields=["status", "published_at"])
        program_id = current.program_id
        # Robust: the publication is committed whatever becomes of queuing (or, with eager
        # tasks, running) its recompute; a failure there is logged, never a failed publish.
        transaction.on_commit(lambda: _queue_full_recompute([program_id]), robust=True)
    return current


def _require_evaluable(compiled: CompiledRuleSet) -> None:
    try:
        with transaction.atomic():  # a savepoint: the publish transaction survives a refusal
            eligibility_sql.prepare(rule_set=compiled, as_of=timezone.localdate())
    except DatabaseError as error:
        logger.exception("rule set %s cannot be evaluated by the database", compiled.id)
        raise RuleSetNotEvaluable(
            _(
                "The database cannot evaluate these criteria, so the rule set stays a draft. "
                "The error is in the server's log."
            )
        ) from error


def _queue_full_recompute(program_ids: list[int]) -> None:
    # Imported here: the tasks module imports this one at its top (tasks call services).
    from ..tasks import eligibility_recompute_all  # noqa: PLC0415

    eligibility_recompute_all.delay(program_ids=program_ids, trigger="publish")


# Simulation --------------------------------------------------------------------------------------
@dataclass
class Simulation:
    rule_set_id: int
    as_of: datetime.date
    evaluated: int = 0
    gained: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "evaluated": self.evaluated,
            "gain": len(self.gained),
            "lose": len(self.lost),
            "keep": len(self.kept),
        }


def rule_set_simulate(
    *,
    rule_set: RuleSet,
    user: Viewer | None = None,
    as_of: datetime.date | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Simulation:
    """Who would gain, lose and keep eligibility if ``rule_set`` were the program's published
    version, against the eligibility recorded now. Reads only; writes nothing.

    With ``user``, the lists and counts hold only the merchants that user may see (the one
    merchant scope): a reviewer learns nothing about another center's merchants."""
    simulation = _simulate_all(rule_set=rule_set, as_of=as_of, chunk_size=chunk_size)
    return _simulation_for(simulation, user)


def rule_set_simulation_get(*, rule_set: RuleSet, user: Viewer | None = None) -> Simulation:
    """``rule_set_simulate`` as of today, computed at most once per version of the rule set's
    criteria and kept in the cache for ``SIMULATION_CACHE_SECONDS``: the pages of a draft, its
    publish confirmation and the API's pages of one simulation share one evaluation of every
    merchant. An edit of the criteria changes the key, so it is simulated afresh; data that
    changed meanwhile shows once the entry expires. Scoped to ``user`` as ``rule_set_simulate``
    is, after the cache (which holds the simulation of every merchant)."""
    as_of = timezone.localdate()
    key = _simulation_cache_key(rule_set, as_of)
    simulation = cache.get(key)
    if simulation is None:
        simulation = _simulate_all(rule_set=rule_set, as_of=as_of, chunk_size=DEFAULT_CHUNK_SIZE)
        cache.set(key, simulation, timeout=settings.SIMULATION_CACHE_SECONDS)
    return _simulation_for(simulation, user)


def _simulation_cache_key(rule_set: RuleSet, as_of: datetime.date) -> str:
    # What the outcome depends on in the rule set; the day, because facts count by it.
    digest = hashlib.sha256(
        json.dumps(
            [rule_set.program_id, rule_set.version, rule_set.criteria],
            sort_keys=True,
            default=str,
        ).encode()
    ).hexdigest()
    return f"programs:simulation:{rule_set.pk}:{as_of.isoformat()}:{digest}"


def _simulation_for(simulation: Simulation, user: Viewer | None) -> Simulation:
    """``simulation`` reduced to the merchants ``user`` may see (all of them without a user)."""
    scope = None if user is None else merchant_scope(user)
    if scope is None:
        return simulation
    visible = set(Merchant.objects.filter(scope).values_list("pk", flat=True))
    return Simulation(
        rule_set_id=simulation.rule_set_id,
        as_of=simulation.as_of,
        # Every merchant is evaluated, so those in scope all were.
        evaluated=min(simulation.evaluated, len(visible)),
        gained=[pk for pk in simulation.gained if pk in visible],
        lost=[pk for pk in simulation.lost if pk in visible],
        kept=[pk for pk in simulation.kept if pk in visible],
    )


def _simulate_all(*, rule_set: RuleSet, as_of: datetime.date | None, chunk_size: int) -> Simulation:
    as_of = as_of or timezone.localdate()
    compiled = CompiledRuleSet.compile(rule_set)
    simulation = Simulation(rule_set_id=rule_set.pk, as_of=as_of)
    for id_range in merchant_id_ranges(chunk_size=chunk_size):
        if eligibility_sql.supported():
            evaluated, gained, lost, kept = eligibility_sql.simulate(
                rule_set=compiled, as_of=as_of, id_range=id_range
            )
        else:
            evaluated, gained, lost, kept = _simulate_in_python(compiled, as_of, id_range)
        simulation.evaluated += evaluated
        simulation.gained += gained
        simulation.lost += lost
        simulation.kept += kept
    return simulation


def _simulate_in_python(
    compiled: CompiledRuleSet, as_of: datetime.date, id_range: tuple[int, int | None]
) -> tuple[int, list[int], list[int], list[int]]:
    facts = merchant_facts_for_range(as_of=as_of, id_range=id_range)
    low, high = id_range
    eligible_now = Eligibility.objects.filter(
        program_id=compiled.program_id, is_eligible=True, merchant_id__gte=low
    )
    if high is not None:
        eligible_now = eligible_now.filter(merchant_id__lt=high)
    before = set(eligible_now.values_list("merchant_id", flat=True))
    gained, lost, kept = [], [], []
    for merchant in facts:
        after = evaluate(compiled, merchant).is_eligible
        was = merchant.merchant_id in before
        if after and not was:
            gained.append(merchant.merchant_id)
        elif was and not after:
            lost.append(merchant.merchant_id)
        elif was and after:
            kept.append(merchant.merchant_id)
    return len(facts), gained, lost, kept
