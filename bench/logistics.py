"""``python -m bench logistics``: the SLA check, the scorecards and the shipment lists at scale.

On PostgreSQL, in one run, on the same data: ``--shipments`` shipments (100,000 by default) of
four legs each over 120 days, half carried end to end by one self-operated network and half by
mixed carriers, with their hand-overs, a few % of damage, missing checks and delays. Measured:

- ``sla_first_s``: the first SLA check, recording a breach and its notifications for every leg
  past due or completed late in the last seven days; ``floor_breach_insert_s``, the floor: one
  ``INSERT … SELECT`` of the same breach rows (no notification), in a transaction rolled back;
- ``sla_rerun_s``: the check run again (nothing new: it must find that fast), against
  ``floor_candidates_s``, the candidate query alone;
- ``scorecards_s``: ``provider_scorecards`` over the last 90 days as a superuser, against
  ``floor_scorecards_s``, a bare ``COUNT(*) … GROUP BY provider, kind`` over the same legs (the
  least work that reads them), and ``plain_scorecards_s``, the best simple alternative: the
  figures by ``.values().annotate()`` without incidents or scope;
- ``comparison_s``: ``chain_comparison`` over the same period;
- ``list_first_ms`` / ``list_deep_ms``: the first 50 rows of the console's and API's shipment
  list (scoped, with the overdue / damaged / open-incident flags) at the first page and at row
  50,000, against ``floor_list_ms``, the first page's rows without flags.

The bench leaves the data as it found it: the breaches and notifications it writes are deleted at
the end, so a run with ``--reuse`` measures the same first check again.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from collections.abc import Callable

import psycopg
from django.db import connection, transaction
from django.db.models import Count, F, Q

from bench.__main__ import prepare_database, rss_mb, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench_logistics"

SEED_SQL = """
INSERT INTO logistics_serviceprovider (name, name_zh, kind, is_active)
SELECT 'Bench Own Network', '自营网络', 'self_operated', true
UNION ALL
SELECT 'Bench Carrier ' || g, '', 'contracted', true FROM generate_series(1, 8) g
ON CONFLICT (name) DO NOTHING;

CREATE TEMP TABLE bench_ids AS SELECT
  (SELECT array_agg(id ORDER BY id) FROM merchants_merchant) AS merchants,
  (SELECT array_agg(id ORDER BY id) FROM belts_city) AS cities,
  (SELECT id FROM logistics_serviceprovider WHERE name = 'Bench Own Network') AS own,
  (SELECT array_agg(id ORDER BY id) FROM logistics_serviceprovider
    WHERE name LIKE 'Bench Carrier %%') AS carriers;

INSERT INTO logistics_shipment (merchant_id, order_reference, item_description, declared_value,
  destination_city_id, promised_delivery_on, promised_installation_on, status, created_at)
SELECT b.merchants[1 + g %% cardinality(b.merchants)], 'BENCH-' || g, 'Solid wood cabinet', 3200,
  b.cities[1 + g %% cardinality(b.cities)],
  (%(now)s::timestamptz - ((g %% 120) || ' days')::interval + interval '4 days')::date,
  (%(now)s::timestamptz - ((g %% 120) || ' days')::interval + interval '5 days')::date,
  'in_transit', %(now)s::timestamptz - ((g %% 120) || ' days')::interval
FROM generate_series(1, %(shipments)s) g, bench_ids b;

INSERT INTO logistics_leg (shipment_id, kind, sequence, provider_id, sla_due_at, started_at,
  completed_at)
SELECT s.id, (ARRAY['pickup', 'line_haul', 'last_mile', 'installation'])[k], k,
  CASE WHEN s.id %% 2 = 0 THEN b.own
       ELSE b.carriers[1 + (s.id * 3 + k) %% cardinality(b.carriers)] END,
  s.created_at + (k * 24 || ' hours')::interval,
  CASE WHEN s.created_at + ((k - 1) * 24 || ' hours')::interval < %(now)s::timestamptz
       THEN s.created_at + ((k - 1) * 24 || ' hours')::interval END,
  CASE WHEN s.created_at + (k * 24 || ' hours')::interval < %(now)s::timestamptz
       THEN s.created_at + ((k - 1) * 24 + 20 || ' hours')::interval
            + CASE WHEN (s.id + k) %% 37 = 0 THEN interval '9 hours' ELSE interval '0' END
  END
FROM logistics_shipment s, generate_series(1, 4) k, bench_ids b
WHERE s.order_reference LIKE 'BENCH-%%';

-- A few legs past due and never completed.
UPDATE logistics_leg SET completed_at = NULL
WHERE id %% 211 = 0 AND started_at IS NOT NULL
  AND shipment_id IN (SELECT id FROM logistics_shipment WHERE order_reference LIKE 'BENCH-%%');

INSERT INTO logistics_conditioncheck (shipment_id, index, giver_id, receiver_id, condition,
  note, checked_at, corrections, updated_at)
SELECT l.shipment_id, l.sequence - 1, p.id, l.id,
  CASE WHEN l.id %% 53 = 0 THEN 'damaged' WHEN l.id %% 17 = 0 THEN 'not_checked'
       ELSE 'intact' END,
  '', l.started_at, 0, l.started_at
FROM logistics_leg l
LEFT JOIN logistics_leg p ON p.shipment_id = l.shipment_id AND p.sequence = l.sequence - 1
WHERE l.started_at IS NOT NULL
  AND l.shipment_id IN (SELECT id FROM logistics_shipment WHERE order_reference LIKE 'BENCH-%%');

INSERT INTO logistics_incident (shipment_id, kind, description, reported_at, status,
  responsible_leg_id, attribution, attribution_status, resolution, cost_bearer,
  resolution_note)
SELECT c.shipment_id, 'damage', '', c.checked_at + interval '1 hour',
  CASE WHEN g.id IS NULL THEN 'open' ELSE 'attributed' END, g.id,
  jsonb_build_object('status', CASE WHEN g.id IS NULL THEN 'unattributed' ELSE 'attributed' END),
  CASE WHEN g.id IS NULL THEN 'unattributed' ELSE 'attributed' END, '', '', ''
FROM logistics_conditioncheck c
LEFT JOIN logistics_leg g ON g.id = c.giver_id
WHERE c.condition = 'damaged'
  AND c.shipment_id IN (SELECT id FROM logistics_shipment WHERE order_reference LIKE 'BENCH-%%');
"""


def seed(url: str, shipments: int, now: datetime.datetime) -> datetime.datetime:
    """Seed the bench's shipments as of ``now``; the time they were seeded as of (a reused
    seed's own, so every run measures the same legs past due)."""
    with psycopg.connect(url, autocommit=False) as conn:
        exists = conn.execute(
            "SELECT count(*), max(created_at) FROM logistics_shipment "
            "WHERE order_reference LIKE 'BENCH-%'"
        ).fetchone()
        if exists and exists[0] == shipments:
            say(f"reusing {shipments:,} bench shipments seeded as of {exists[1]:%Y-%m-%d %H:%M}")
            return exists[1]
        conn.execute(
            "DELETE FROM logistics_shipment WHERE order_reference LIKE 'BENCH-%'",
        )
        started = time.perf_counter()
        for statement in SEED_SQL.split(";\n\n"):
            if statement.strip():
                conn.execute(statement, {"now": now, "shipments": shipments})
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"seeded {shipments:,} shipments in {time.perf_counter() - started:.1f} s")
    return now


def timed(run: Callable[[], object], repeats: int = 1) -> float:
    """The median of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _rolled_back(sql: str, params: list) -> Callable[[], None]:
    def run() -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            transaction.set_rollback(True)

    return run


def logistics(args: argparse.Namespace) -> dict:
    url = args.database_url
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    prepare_database(url, args.merchants, datetime.date(2026, 11, 15), args.reuse)
    now = seed(url, args.shipments, now)
    setup_django(url)
    # After django.setup(): the models and services need the app registry.
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from logistics import scorecards  # noqa: PLC0415
    from logistics.models import Leg, SlaBreach  # noqa: PLC0415
    from logistics.selectors import shipment_list  # noqa: PLC0415
    from logistics.services.sla import LOOKBACK, sla_breaches_detect  # noqa: PLC0415
    from merchants.models import Notification  # noqa: PLC0415

    result: dict = {"shipments": args.shipments, "legs": Leg.objects.count()}
    admin = get_user_model().objects.filter(is_superuser=True).first()
    start, end = now - datetime.timedelta(days=90), now

    candidates_sql = """
        SELECT l.id FROM logistics_leg l
        WHERE ((l.completed_at IS NULL AND l.sla_due_at < %s)
               OR (l.completed_at >= %s AND l.completed_at > l.sla_due_at))
          AND NOT EXISTS (SELECT 1 FROM logistics_slabreach b WHERE b.leg_id = l.id)
    """
    candidate_params = [now, now - LOOKBACK]
    # Only the module's own SQL is interpolated; values are bound.
    breach_insert = (
        "INSERT INTO logistics_slabreach (leg_id, kind, detected_at, due_at) "  # noqa: S608
        f"SELECT c.id, 'open_overdue', %s, l.sla_due_at FROM ({candidates_sql}) c "
        "JOIN logistics_leg l ON l.id = c.id"
    )
    result["floor_candidates_s"] = timed(_rolled_back(candidates_sql, candidate_params), 3)
    result["floor_breach_insert_s"] = timed(
        _rolled_back(breach_insert, [now, *candidate_params]), 3
    )
    last_notification = Notification.objects.order_by("-id").values_list("id", flat=True).first()
    last_notification = last_notification or 0
    last_breach = SlaBreach.objects.order_by("-id").values_list("id", flat=True).first() or 0
    stats: dict = {}
    result["sla_first_s"] = timed(lambda: stats.update(sla_breaches_detect(now=now)))
    result["breaches"] = SlaBreach.objects.filter(id__gt=last_breach).count()
    result["breach_notifications"] = Notification.objects.filter(id__gt=last_notification).count()
    result["sla_rerun_s"] = timed(lambda: sla_breaches_detect(now=now), 3)
    say(
        f"SLA check: {result['breaches']:,} breaches, {result['breach_notifications']:,} "
        f"notifications in {result['sla_first_s']:.2f} s (floor insert "
        f"{result['floor_breach_insert_s']:.3f} s); rerun {result['sla_rerun_s']:.3f} s "
        f"(floor candidates {result['floor_candidates_s']:.3f} s)"
    )

    floor_scorecards = """
        SELECT provider_id, kind, count(*) FROM logistics_leg
        WHERE sla_due_at >= %s AND sla_due_at < %s GROUP BY provider_id, kind
    """
    result["floor_scorecards_s"] = timed(_rolled_back(floor_scorecards, [start, end]), 3)

    def plain() -> None:
        list(
            Leg.objects.filter(sla_due_at__gte=start, sla_due_at__lt=end)
            .values("provider_id", "kind")
            .annotate(
                legs=Count("id"),
                on_time=Count("id", filter=Q(completed_at__lte=F("sla_due_at"))),
            )
        )

    result["plain_scorecards_s"] = timed(plain, 3)
    rows: list = []
    result["scorecards_s"] = timed(
        lambda: rows.__setitem__(
            slice(None),
            scorecards.provider_scorecards(user=admin, start=start, end=end),
        ),
        3,
    )
    result["scorecard_rows"] = len(rows)
    result["comparison_s"] = timed(
        lambda: scorecards.chain_comparison(user=admin, start=start, end=end), 3
    )
    say(
        f"scorecards: {len(rows)} rows in {result['scorecards_s']:.3f} s (floor "
        f"{result['floor_scorecards_s']:.3f} s, plain {result['plain_scorecards_s']:.3f} s); "
        f"comparison {result['comparison_s']:.3f} s"
    )

    def page(offset: int) -> Callable[[], None]:
        return lambda: list(shipment_list(user=admin, now=now)[offset : offset + 50])

    def floor_page() -> None:
        from logistics.models import Shipment  # noqa: PLC0415

        list(Shipment.objects.select_related("merchant").order_by("-pk")[:50])

    result["floor_list_ms"] = timed(floor_page, 21) * 1000
    result["list_first_ms"] = timed(page(0), 21) * 1000
    result["list_deep_ms"] = timed(page(min(50_000, args.shipments - 50)), 21) * 1000
    say(
        f"shipment list: first {result['list_first_ms']:.1f} ms, deep "
        f"{result['list_deep_ms']:.1f} ms (floor {result['floor_list_ms']:.1f} ms)"
    )

    for key, floor in (
        ("sla_first_s", "floor_breach_insert_s"),
        ("sla_rerun_s", "floor_candidates_s"),
        ("scorecards_s", "floor_scorecards_s"),
        ("list_first_ms", "floor_list_ms"),
    ):
        result[f"{key}_vs_floor"] = round(result[key] / max(result[floor], 1e-9), 2)
    result["scorecards_vs_plain"] = round(
        result["scorecards_s"] / max(result["plain_scorecards_s"], 1e-9), 2
    )
    result["peak_rss_mb"] = round(rss_mb(), 1)

    # As found: the bench's breaches and their notifications go.
    SlaBreach.objects.filter(id__gt=last_breach).delete()
    Notification.objects.filter(id__gt=last_notification).delete()
    return {
        key: round(value, 4) if isinstance(value, float) else value for key, value in result.items()
    }


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("logistics", help="SLA check, scorecards and shipment lists")
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--merchants", type=int, default=5_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
