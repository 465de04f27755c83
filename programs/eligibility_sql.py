"""The set-based recompute on PostgreSQL: facts, rules, comparison and writes in one statement.

For a chunk of merchants, one statement aggregates their facts, evaluates every published rule
set (each criterion's ``passed_sql()``), compares a fingerprint of the values the criteria saw
with the stored row's, upserts only the rows that moved and writes the notifications of the
merchants whose status flipped, all inside the database. Python sees only the counts and the
new notifications' ids. The Python evaluation (``programs.eligibility``) computes exactly the
same outcomes and values: a property test holds the two together.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from belts.models import BeltYearStat, Category
from merchants.choices import NotificationChannel, NotificationKind, NotificationStatus
from merchants.facts import FactsWindow, merchant_facts_queryset
from merchants.models import MerchantMembership, Notification, NotificationPreference
from merchants.services.notifications import notifications_queue

from .eligibility import CompiledRuleSet
from .models import Eligibility, Program, RuleSet


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
    )"""
    return sql, [*params, window.tier_year]


def _facts_used(rule_set: CompiledRuleSet) -> list[str]:
    """The facts the rule set's criteria read, each once, in the order first read."""
    return list(dict.fromkeys(criterion.fact for criterion in rule_set.criteria))


def _evaluated_sql(index: int, rule_set: CompiledRuleSet) -> tuple[str, list]:
    """CTE ``c<index>``: per merchant of ``f``, the outcome of every criterion ANDed, the facts
    the criteria read (``fact_<name>``, each once) and a fingerprint of the values each criterion
    saw (no JSON is built here, so a rerun that changes nothing builds none).

    Its width is bounded by the facts, not by the criteria: a rule set of any length is one
    boolean expression, one array of texts and at most one column per fact, never near
    PostgreSQL's limits on columns (1664) or on a function's arguments (100)."""
    passes, seen, params = [], [], []
    for criterion in rule_set.criteria:
        passed, passed_params = criterion.passed_sql()
        passes.append(f"({passed})")
        params.extend(passed_params)
        seen.append(f"{criterion.column}::text")
    eligible = " AND ".join(passes) or "TRUE"
    # The same digest the former one-column-per-criterion statement wrote: the rule set's id,
    # then each value seen as text ('~' for none), joined by '|'.
    signature = f"'{rule_set.id:d}'"
    if seen:
        signature += f" || '|' || array_to_string(ARRAY[{', '.join(seen)}]::text[], '|', '~')"
    facts = "".join(f", f.{fact} AS fact_{fact}" for fact in _facts_used(rule_set))
    sql = f"""
    c{index} AS (
        SELECT f.merchant_id{facts}, {rule_set.program_id:d} AS program_id,
               {rule_set.id:d} AS rule_set_id, ({eligible}) AS is_eligible,
               left(md5({signature}), 16) AS fingerprint
        FROM f
    )"""
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
    notification_ids: list[int]


def _recompute_sql(
    *,
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> tuple[str, list]:
    window = FactsWindow.for_date(as_of)
    facts, facts_params = facts_sql(window, id_range=id_range, merchant_ids=merchant_ids)
    evaluated, evaluated_params = _evaluated_all(rule_sets)
    eligibility = _table(Eligibility)
    notification = _table(Notification)
    user_table = _table(get_user_model())
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
        WHERE prior.fingerprint IS DISTINCT FROM c.fingerprint""")
        changed_params += prior_params
    gained, lost = NotificationKind.ELIGIBILITY_GAINED, NotificationKind.ELIGIBILITY_LOST
    sql = f"""
    WITH {facts},
    {evaluated},
    changed AS ({" UNION ALL ".join(changed_parts)}
    ),
    upserted AS (
        INSERT INTO {eligibility} AS e
            (merchant_id, program_id, rule_set_id, is_eligible, actuals, computed_at,
             fingerprint, status_changes, changed_at)
        SELECT merchant_id, program_id, rule_set_id, is_eligible, actuals, now(),
               fingerprint, status_changes, changed_at
        FROM changed
        ON CONFLICT (merchant_id, program_id) DO UPDATE SET
            rule_set_id = EXCLUDED.rule_set_id, is_eligible = EXCLUDED.is_eligible,
            actuals = EXCLUDED.actuals, computed_at = EXCLUDED.computed_at,
            fingerprint = EXCLUDED.fingerprint, status_changes = EXCLUDED.status_changes,
            changed_at = EXCLUDED.changed_at
        RETURNING 1
    ),
    flips AS (
        SELECT changed.*, program.code, program.name, program.name_zh,
               rule_set.criteria,
               CASE WHEN changed.is_eligible THEN '{gained}' ELSE '{lost}' END AS kind,
               'eligibility:' || changed.merchant_id || ':' || changed.program_id || ':'
                   || changed.status_changes AS dedupe_base
        FROM changed
        JOIN {_table(Program)} program ON program.id = changed.program_id
        JOIN {_table(RuleSet)} rule_set ON rule_set.id = changed.rule_set_id
        WHERE (changed.was_eligible IS NULL AND changed.is_eligible)
           OR changed.was_eligible <> changed.is_eligible
    ),
    audience AS (
        SELECT flips.*, NULL::bigint AS recipient_id, '{NotificationChannel.IN_APP}' AS channel,
               flips.dedupe_base || ':in_app' AS dedupe_key
        FROM flips
        UNION ALL
        SELECT flips.*, member.user_id, '{NotificationChannel.EMAIL}',
               flips.dedupe_base || ':email:' || member.user_id
        FROM flips
        JOIN {_table(MerchantMembership)} member ON member.merchant_id = flips.merchant_id
        JOIN {user_table} person
             ON person.id = member.user_id AND person.is_active AND person.email <> ''
        WHERE NOT EXISTS (
            SELECT 1 FROM {_table(NotificationPreference)} preference
            WHERE preference.user_id = member.user_id AND preference.kind = flips.kind
              AND NOT preference.email_enabled
        )
    ),
    notified AS (
        INSERT INTO {notification}
            (recipient_id, merchant_id, channel, kind, subject, body, payload, dedupe_key,
             status, attempts, last_error, created_at)
        SELECT recipient_id, merchant_id, channel, kind,
               left(CASE WHEN is_eligible THEN 'You are eligible for ' || name
                         ELSE 'You are no longer eligible for ' || name END, 200),
               '',
               CASE WHEN is_eligible THEN jsonb_build_object(
                        'program', code, 'program_name', name, 'program_name_zh', name_zh,
                        'eligible', true)
                    ELSE jsonb_build_object(
                        'program', code, 'program_name', name, 'program_name_zh', name_zh,
                        'eligible', false, 'criteria', criteria, 'actuals', actuals) END,
               dedupe_key, '{NotificationStatus.PENDING}', 0, '', now()
        FROM audience
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING id
    )
    SELECT (SELECT count(*) FROM facts),
           (SELECT count(*) FROM upserted),
           (SELECT count(*) FROM flips WHERE is_eligible),
           (SELECT count(*) FROM flips WHERE NOT is_eligible),
           (SELECT COALESCE(array_agg(id), '{{}}') FROM notified)
    """
    return sql, [*facts_params, *evaluated_params, *changed_params]


def recompute(
    *,
    rule_sets: Sequence[CompiledRuleSet],
    as_of: datetime.date,
    id_range: tuple[int, int | None] | None = None,
    merchant_ids: Sequence[int] | None = None,
) -> ChunkResult:
    """Recompute one chunk in one statement; queue the new notifications' delivery on commit."""
    sql, params = _recompute_sql(
        rule_sets=rule_sets, as_of=as_of, id_range=id_range, merchant_ids=merchant_ids
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # The recompute is idempotent: a commit lost in a crash is redone by the next run, so
        # it need not wait for the WAL flush (the rest of the database keeps full durability).
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(sql, params)
        merchants, written, gained_count, lost_count, notification_ids = cursor.fetchone()
        notification_ids = list(notification_ids or [])
        if notification_ids:
            transaction.on_commit(lambda: notifications_queue(notification_ids))
    return ChunkResult(merchants, written, gained_count, lost_count, notification_ids)


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
    """
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
