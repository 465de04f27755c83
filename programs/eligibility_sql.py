"""The set-based recompute on PostgreSQL: facts, rules, comparison and writes in one statement.

For a chunk of merchants, one statement aggregates their facts, evaluates every published rule
set (each criterion's ``passed_sql()``), compares the fingerprint of the values the criteria saw
(``programs.fingerprint``, computed in SQL) with the stored row's and upserts only the rows that
moved, all inside the database. Python sees the counts and the merchants whose status flipped,
and writes their notifications in the same transaction through the same code as the Python
evaluation (``programs.eligibility``), which computes exactly the same outcomes, values and
fingerprints: a property test runs both engines on the same worlds.

The statements are assembled from f-strings (``# noqa: S608`` on each): what is interpolated is
SQL this module and the criteria write themselves (column names from a fixed list, the ORM's
compiled facts query, ``passed_sql()`` fragments); every value a user or the data supplies is a
bound parameter.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction

from belts.models import BeltYearStat, Category
from merchants.facts import FactsWindow, merchant_facts_queryset

from .eligibility import CompiledRuleSet, Flip
from .fingerprint import fingerprint_sql
from .models import Eligibility


def supported() -> bool:
    return connection.vendor == "postgresql"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _months_between(column: str, as_of: datetime.date) -> str:
    """Whole months from ``column`` to ``as_of``, as ``merchants.facts.months_between``."""
    return (
        f"GREATEST(0, ({as_of.year:d} - EXTRACT(YEAR FROM {column})::int) * 12 "
        f"+ ({as_of.month:d} - EXTRACT(MONTH FROM {column})::int) "
        f"- CASE WHEN {as_of.day:d} < EXTRACT(DAY FROM {column})::int THEN 1 ELSE 0 END)"
    )


def facts_sql(
    window: FactsWindow,
    *,
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> tuple[str, list]:
    """CTEs ending in ``f``: one row of facts per merchant, as ``MerchantFacts`` holds them."""
    queryset = merchant_facts_queryset(window).order_by()
    if id_range is not None:
        low, high = id_range
        queryset = queryset.filter(id__gte=low)
        if high is not None:
            queryset = queryset.filter(id__lt=high)
    if merchant_ids is not None:
        queryset = queryset.filter(id__in=list(merchant_ids))
    aggregate, params = queryset.query.sql_with_params()
    as_of = window.as_of
    sql = f"""
    facts AS ({aggregate}),
    f0 AS (
        SELECT facts.id AS merchant_id, facts.belt_id_ AS belt_id,
               facts.category_id_ AS category_id, facts.merchant_type_ AS merchant_type,
               facts.brand_stage_ AS brand_stage, facts.is_smb_ AS is_smb,
               facts.opened_on_ AS opened_on, facts.returned_on_ AS returned_on,
               round(facts.gmv_12m, 2) AS gmv_12m,
               round(facts.gmv_prior_12m, 2) AS gmv_prior_12m,
               round(facts.live_gmv_12m, 2) AS live_gmv_12m,
               facts.live_sessions_90d::bigint AS live_sessions_90d,
               facts.refund_rate_sum, facts.months_with_data
        FROM facts
    ),
    f AS (
        SELECT f0.*,
               CASE WHEN f0.gmv_prior_12m <> 0 THEN
                    round((f0.gmv_12m - f0.gmv_prior_12m) / f0.gmv_prior_12m, 4) END
                   AS yoy_growth,
               CASE WHEN f0.gmv_12m <> 0 THEN round(f0.live_gmv_12m / f0.gmv_12m, 4) END
                   AS live_share,
               CASE WHEN f0.months_with_data > 0 THEN
                    round(f0.refund_rate_sum / f0.months_with_data, 4) END AS refund_rate,
               {_months_between("f0.opened_on", as_of)} AS store_age_months,
               CASE WHEN f0.returned_on IS NOT NULL THEN
                    {_months_between("f0.returned_on", as_of)} END AS months_since_return,
               stat.tier AS belt_tier,
               COALESCE(category.slug, '') AS category
        FROM f0
        LEFT JOIN {_table(BeltYearStat)} stat
               ON stat.belt_id = f0.belt_id AND stat.year = %s
        LEFT JOIN {_table(Category)} category ON category.id = f0.category_id
    )"""  # noqa: S608 (fragments built here, values bound)
    return sql, [*params, window.tier_year]


def _facts_used(rule_set: CompiledRuleSet) -> list[str]:
    """The facts the rule set's criteria read, each once, in the order first read."""
    return list(dict.fromkeys(criterion.fact for criterion in rule_set.criteria))


def _evaluated_sql(index: int, rule_set: CompiledRuleSet) -> tuple[str, list]:
    """CTE ``c<index>``: per merchant of ``f``, the outcome of every criterion ANDed, the facts
    the criteria read (``fact_<name>``, each once) and the fingerprint of the values each
    criterion saw (``fingerprint_sql``; no JSON is built here, so a rerun that changes nothing
    builds none).

    Its width is bounded by the facts, not by the criteria: a rule set of any length is one
    boolean expression, one array of texts and at most one column per fact, never near
    PostgreSQL's limits on columns (1664) or on a function's arguments (100)."""
    passes, params = [], []
    for criterion in rule_set.criteria:
        passed, passed_params = criterion.passed_sql()
        passes.append(f"({passed})")
        params.extend(passed_params)
    eligible = " AND ".join(passes) or "TRUE"
    facts = "".join(f", f.{fact} AS fact_{fact}" for fact in _facts_used(rule_set))
    sql = f"""
    c{index} AS (
        SELECT f.merchant_id{facts}, {rule_set.program_id:d} AS program_id,
               {rule_set.id:d} AS rule_set_id, ({eligible}) AS is_eligible,
               {fingerprint_sql(rule_set.id, rule_set.criteria)} AS fingerprint
        FROM f
    )"""  # noqa: S608 (fragments built here, values bound)
    return sql, params


def _actuals_sql(rule_set: CompiledRuleSet) -> str:
    """The ``actuals`` column from ``c``'s facts, as ``Criterion.actual_json`` stores them: an
    array of JSON values (not ``jsonb_build_array``, which takes at most 100 arguments)."""
    values = [
        f"to_jsonb(c.fact_{criterion.fact}::text)"
        if criterion.decimal
        else f"to_jsonb(c.fact_{criterion.fact})"
        for criterion in rule_set.criteria
    ]
    return f"to_jsonb(ARRAY[{', '.join(values)}]::jsonb[])" if values else "'[]'::jsonb"


def _evaluated_all(rule_sets: Sequence[CompiledRuleSet]) -> tuple[str, list]:
    parts, params = [], []
    for index, rule_set in enumerate(rule_sets):
        sql, part_params = _evaluated_sql(index, rule_set)
        parts.append(sql)
        params += part_params
    return ",".join(parts), params


@dataclass
class ChunkResult:
    merchants: int
    written: int
    gained: int
    lost: int
    notifications: int


# The column of ``Eligibility.fingerprint`` ("digest" since migration 0012), from the model.
_DIGEST = Eligibility._meta.get_field("fingerprint").column  # a plain lowercase name
_ON_CONFLICT = f"""
        ON CONFLICT (merchant_id, program_id) DO UPDATE SET
            rule_set_id = EXCLUDED.rule_set_id, is_eligible = EXCLUDED.is_eligible,
            actuals = EXCLUDED.actuals, computed_at = EXCLUDED.computed_at,
            {_DIGEST} = EXCLUDED.{_DIGEST}, status_changes = EXCLUDED.status_changes,
            changed_at = EXCLUDED.changed_at"""


def _recompute_sql(
    *,
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
    fresh: bool = False,
) -> tuple[str, list]:
    """The chunk's statement. ``fresh``: the chunk has no stored row for these programs (a first
    fill), so there is nothing to compare with: every row is inserted (no join with the stored
    rows, no ``ON CONFLICT`` probe), every eligible merchant a gain. A row another writer
    inserted meanwhile makes it fail on the unique key, and the caller runs the comparing
    statement instead."""
    window = FactsWindow.for_date(as_of)
    facts, facts_params = facts_sql(window, id_range=id_range, merchant_ids=merchant_ids)
    evaluated, evaluated_params = _evaluated_all(rule_sets)
    eligibility = _table(Eligibility)
    prior_filter = ""
    prior_params: list = []
    if id_range is not None:
        prior_filter = " AND prior.merchant_id >= %s"
        prior_params.append(id_range[0])
        if id_range[1] is not None:
            prior_filter += " AND prior.merchant_id < %s"
            prior_params.append(id_range[1])
    changed_parts, changed_params = [], []
    for index, rule_set in enumerate(rule_sets):
        if fresh:
            changed_parts.append(f"""
        SELECT c.merchant_id, c.program_id, c.rule_set_id, c.is_eligible, c.fingerprint,
               {_actuals_sql(rule_set)} AS actuals, NULL::boolean AS was_eligible,
               c.is_eligible::int AS status_changes, now() AS changed_at
        FROM c{index} c""")  # noqa: S608 (fragments built here, values bound)
            continue
        changed_parts.append(f"""
        SELECT c.merchant_id, c.program_id, c.rule_set_id, c.is_eligible, c.fingerprint,
               {_actuals_sql(rule_set)} AS actuals,
               prior.is_eligible AS was_eligible,
               COALESCE(prior.status_changes, 0)
                 + CASE WHEN prior.merchant_id IS NULL THEN c.is_eligible::int
                        ELSE (prior.is_eligible <> c.is_eligible)::int END AS status_changes,
               CASE WHEN prior.merchant_id IS NULL OR prior.is_eligible <> c.is_eligible
                    THEN now() ELSE prior.changed_at END AS changed_at
        FROM c{index} c
        LEFT JOIN {eligibility} prior
               ON prior.merchant_id = c.merchant_id
              AND prior.program_id = c.program_id{prior_filter}
        WHERE prior.{_DIGEST} IS DISTINCT FROM c.fingerprint""")  # noqa: S608 (fragments built here, values bound)
        changed_params += prior_params
    # The flips, as ``Flip`` holds them: one JSON array each, the values seen only for a loss,
    # as text (the JSON is decoded here, not by a loader of the driver). A first fill's flips
    # are its eligible rows, so it takes them from what it inserted: ``changed`` is then read
    # once and streams into the insert instead of being held (25,000 rows a chunk) for a
    # second reading.
    insert = f"""
        INSERT INTO {eligibility} AS e
            (merchant_id, program_id, rule_set_id, is_eligible, actuals, computed_at,
             {_DIGEST}, status_changes, changed_at)
        SELECT merchant_id, program_id, rule_set_id, is_eligible, actuals, now(),
               fingerprint, status_changes, changed_at
        FROM changed"""  # noqa: S608 (fragments built here, values bound)
    if fresh:
        written = f"""
    upserted AS ({insert}
        RETURNING CASE WHEN is_eligible THEN jsonb_build_array(
                   merchant_id, program_id, rule_set_id, is_eligible, status_changes, NULL::jsonb)
               END AS flip
    ),
    flips AS (SELECT flip FROM upserted WHERE flip IS NOT NULL)"""  # noqa: S608 (fragments built here, values bound)
    else:
        written = f"""
    upserted AS ({insert}{_ON_CONFLICT}
        RETURNING 1
    ),
    flips AS (
        SELECT jsonb_build_array(
                   merchant_id, program_id, rule_set_id, is_eligible, status_changes,
                   CASE WHEN NOT is_eligible THEN actuals END) AS flip
        FROM changed
        WHERE (was_eligible IS NULL AND is_eligible) OR was_eligible <> is_eligible
    )"""  # noqa: S608 (fragments built here, values bound)
    sql = f"""
    WITH {facts},
    {evaluated},
    changed AS ({" UNION ALL ".join(changed_parts)}
    ),{written}
    -- Counted from f, not facts: facts read once is folded into f, not materialized apart.
    SELECT (SELECT count(*) FROM f),
           (SELECT count(*) FROM upserted),
           (SELECT COALESCE(jsonb_agg(flip), '[]'::jsonb)::text FROM flips)
    """  # noqa: S608 (fragments built here, values bound)
    return sql, [*facts_params, *evaluated_params, *changed_params]


def _flip(row: list) -> Flip:
    merchant_id, program_id, rule_set_id, is_eligible, status_changes, actuals = row
    return Flip(
        merchant_id=merchant_id,
        program_id=program_id,
        rule_set_id=rule_set_id,
        is_eligible=is_eligible,
        status_changes=status_changes,
        actuals=None if actuals is None else tuple(actuals),
    )


def recompute(
    *,
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    notify: Callable[[Sequence[Flip]], int],
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> ChunkResult:
    """Recompute one chunk in one statement and, in the same transaction, have ``notify`` write
    the notifications of the merchants whose status flipped (it answers how many it wrote).

    Durability: the transaction commits without waiting for the WAL flush
    (``synchronous_commit`` off) only when it is the recompute's own and wrote eligibility rows
    but no flip: rows derived from the metrics, which the next run restores if a crash loses
    the commit. A transaction that writes notifications (whose delivery is queued on commit and
    must find them), or that belongs to a caller, commits with the server's full durability."""
    owned = not connection.in_atomic_block
    program_ids = [rule_set.program_id for rule_set in rule_sets]
    fresh = id_range is not None and not _stored_in_range(id_range, program_ids)
    try:
        return _recompute_once(
            rule_sets, as_of, notify, id_range, merchant_ids, owned=owned, fresh=fresh
        )
    except IntegrityError:
        if not fresh:
            raise
    # Another writer filled part of the chunk since it was found empty: compare after all.
    return _recompute_once(rule_sets, as_of, notify, id_range, merchant_ids, owned=owned)


def _stored_in_range(id_range: tuple[int, int | None], program_ids: Sequence[int]) -> bool:
    """Whether any eligibility row of these programs is stored for the chunk's merchants: the
    first row in the (merchant, program) key's order, so the probe reads that index (``EXISTS``
    drops the order, and the planner then scans the table for a row it expects to find soon)."""
    low, high = id_range
    sql = f"SELECT 1 FROM {_table(Eligibility)} WHERE merchant_id >= %s"  # noqa: S608
    params: list = [low]
    if high is not None:
        sql += " AND merchant_id < %s"
        params.append(high)
    sql += " AND program_id = ANY(%s) ORDER BY merchant_id, program_id LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, list(program_ids)])
        return cursor.fetchone() is not None


def _recompute_once(
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    notify: Callable[[Sequence[Flip]], int],
    id_range: tuple[int, int | None] | None,
    merchant_ids: Sequence[int] | None,
    *,
    owned: bool,
    fresh: bool = False,
) -> ChunkResult:
    sql, params = _recompute_sql(
        rule_sets=rule_sets,
        as_of=as_of,
        id_range=id_range,
        merchant_ids=merchant_ids,
        fresh=fresh,
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # No JIT compilation: the statement's estimated cost (a join per rule set) passes
        # jit_above_cost, and compiling its expressions took longer (about 110 ms a chunk of
        # 5,000 merchants) than running them. Local to the transaction.
        cursor.execute("SET LOCAL jit TO off")
        cursor.execute(sql, params)
        merchants, written, flip_rows = cursor.fetchone()
        flips = [_flip(row) for row in json.loads(flip_rows)]
        notifications = notify(flips) if flips else 0
        if owned and written and not flips:
            # Applies at the commit, which is what it governs (the setting in force then).
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    gained = sum(1 for flip in flips if flip.is_eligible)
    return ChunkResult(merchants, written, gained, len(flips) - gained, notifications)


def prepare(*, rule_set: CompiledRuleSet, as_of: datetime.date) -> None:
    """Have PostgreSQL parse and plan the recompute statement of ``rule_set`` without running
    it (``EXPLAIN``): raises the database's error if it could not run. Publishing calls it, so
    a rule set the database cannot evaluate is never published."""
    sql, params = _recompute_sql(rule_sets=[rule_set], as_of=as_of, id_range=(0, 0))
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        cursor.fetchall()


def simulate(
    *, rule_set: CompiledRuleSet, as_of: datetime.date, id_range: tuple[int, int | None]
) -> tuple[int, list[int], list[int], list[int]]:
    """(evaluated, gained, lost, kept) merchant ids for one chunk, against the stored rows of
    the rule set's program. Reads only."""
    window = FactsWindow.for_date(as_of)
    facts, facts_params = facts_sql(window, id_range=id_range)
    evaluated, evaluated_params = _evaluated_sql(0, rule_set)
    sql = f"""
    WITH {facts},
    {evaluated}
    SELECT c0.merchant_id, c0.is_eligible, COALESCE(prior.is_eligible, false)
    FROM c0
    LEFT JOIN {_table(Eligibility)} prior
           ON prior.merchant_id = c0.merchant_id AND prior.program_id = %s
    ORDER BY c0.merchant_id
    """  # noqa: S608 (fragments built here, values bound)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*facts_params, *evaluated_params, rule_set.program_id])
        rows = cursor.fetchall()
    gained = [m for m, after, before in rows if after and not before]
    lost = [m for m, after, before in rows if before and not after]
    kept = [m for m, after, before in rows if before and after]
    return len(rows), gained, lost, kept


def analyze() -> None:
    """Refresh the planner's statistics after a full recompute rewrote the table, so the next
    run's plans see its real size instead of waiting for autovacuum."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_table(Eligibility)}")
