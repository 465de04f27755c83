"""``python -m bench api``: the integrations API under gunicorn, on PostgreSQL, over HTTP.

Measured in one run, on the same data (100,000 demo merchants by default):

- ``bulk_rows_per_s``: ``POST /api/v1/metrics/bulk/`` in batches of 5,000 rows, end to end over
  HTTP with an API key, each batch validated, upserted in one transaction and the recompute of
  its merchants queued on commit (to Redis; no worker consumes it during the run);
- ``copy_rows_per_s``: the floor, a ``COPY`` of the same rows into the same table (its indexes
  and constraints), in a transaction rolled back;
- ``list_p50_ms`` / ``list_p95_ms`` for ``merchants/`` and ``eligibility/`` at page size 50, at
  the first page and at a deep one, as a center key whose center serves every belt;
- ``bare_p50_ms``: a bare Django JSON view behind the same middleware, the ceiling;
- ``floor_merchants_p50_ms``: the least work a page of merchants takes: its SQL on a raw cursor,
  answered as JSON (the bare view plus one database round trip); and
  ``plain_merchants_p50_ms``, the same page of merchants from a plain Django view over
  ``.values()`` (no authentication, scope or DRF), the best simple alternative.

The bench leaves the data as it found it: the month it pushes is one the seed does not hold,
and its rows are deleted at the end (the queued recompute messages are purged).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import redis
import urllib3
from django.db import connection, transaction

from bench.__main__ import BASE_DIR, prepare_database, say, setup_django
from core.months import add_months, month_start

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench_api"
BROKER_URL = "redis://127.0.0.1:6379/9"
BATCH = 5000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CELERY_BROKER_URL": BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_CONN_MAX_AGE": "60",
        "DJANGO_LOG_LEVEL": "WARNING",
        "API_THROTTLE_RATE": "100000000/min",
    }
    process = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=BASE_DIR,
    )
    http = urllib3.PoolManager()
    for _ in range(200):
        try:
            http.request("GET", f"http://127.0.0.1:{port}/health/?format=json", timeout=2)
            return process
        except urllib3.exceptions.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def _timed_gets(http, url: str, headers: dict, count: int) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = http.request("GET", url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise SystemExit(f"GET {url}: {response.status} {response.data[:300]!r}")
    return timings


def _interleaved_gets(http, urls: dict, headers: dict, count: int) -> dict[str, list[float]]:
    """``count`` timed GETs of each of ``urls``, one of each per round (after a warm-up)."""
    for url in urls.values():
        _timed_gets(http, url, headers, 5)
    timings: dict[str, list[float]] = {key: [] for key in urls}
    for _ in range(count):
        for key, url in urls.items():
            timings[key] += _timed_gets(http, url, headers, 1)
    return timings


_local = threading.local()


def _post(base: str, body: bytes, headers: dict) -> int:
    http = getattr(_local, "http", None)
    if http is None:
        http = _local.http = urllib3.PoolManager(maxsize=1)
    response = http.request("POST", f"{base}/api/v1/metrics/bulk/", body=body, headers=headers)
    if response.status != 200:
        say(f"bulk: {response.status} {response.data[:300]!r}")
    return response.status


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def _deep_url(http, url: str, headers: dict, pages: int) -> str:
    """The address of the page ``pages`` pages in, following ``next`` (cursor or number)."""
    for _ in range(pages):
        body = json.loads(http.request("GET", url, headers=headers).data)
        if not body.get("next"):
            break
        url = body["next"]
    return url


def _rows(merchant_ids: list[int], month: datetime.date) -> list[dict]:
    return [
        {
            "merchant": merchant_id,
            "month": month.isoformat(),
            "gmv": str(Decimal(100_000 + merchant_id % 9_000) + Decimal("0.50")),
            "orders": 100 + merchant_id % 50,
            "live_gmv": str(Decimal(10_000 + merchant_id % 900)),
            "live_sessions": merchant_id % 30,
            "followers": 1000 + merchant_id % 5000,
            "refund_rate": "0.0312",
            "new_listings": merchant_id % 12,
        }
        for merchant_id in merchant_ids
    ]


def _copy_floor(rows: list[dict]) -> float:
    """Seconds to COPY the rows into the metrics table, in a transaction rolled back."""
    from merchants.models import MonthlyMetric  # noqa: PLC0415 (after django.setup())

    table = MonthlyMetric._meta.db_table
    columns = (
        "merchant_id, month, gmv, orders, live_gmv, live_sessions, followers, refund_rate, "
        "new_listings, updated_at"
    )
    now = datetime.datetime.now(datetime.UTC).isoformat()
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join(
                str(value)
                for value in (
                    row["merchant"],
                    row["month"],
                    row["gmv"],
                    row["orders"],
                    row["live_gmv"],
                    row["live_sessions"],
                    row["followers"],
                    row["refund_rate"],
                    row["new_listings"],
                    now,
                )
            )
            + "\n"
        )
    payload = buffer.getvalue()
    with transaction.atomic():
        with connection.cursor() as cursor:
            started = time.perf_counter()
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(payload)
            elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def api(args) -> dict:
    url = os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_URL)
    as_of = datetime.date.fromisoformat(args.as_of)
    prepare_database(url, args.merchants, as_of, args.reuse)
    setup_django(url)

    from belts.models import IndustrialBelt, OperationCenter  # noqa: PLC0415 (after django.setup())
    from merchants.api_keys import api_key_create, api_key_revoke  # noqa: PLC0415 (after django.setup())
    from merchants.models import Merchant, MonthlyMetric  # noqa: PLC0415 (after django.setup())
    from programs.models import Eligibility  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415 (after django.setup())

    if not Eligibility.objects.exists():
        started = time.perf_counter()
        eligibility_recompute(as_of=as_of)
        say(f"eligibility computed in {time.perf_counter() - started:.1f} s")
    merchant_ids = list(Merchant.objects.order_by("id").values_list("id", flat=True))
    # The month after the seed's last: a month the data set does not hold, not in the future.
    month = add_months(month_start(as_of), 1)
    if MonthlyMetric.objects.filter(month=month).exists():
        raise SystemExit(f"the bench database already holds {month}: rerun without --reuse")
    # A center key whose center serves every belt: its scope is every merchant, through the
    # same subquery a real center's key pays for.
    center = OperationCenter.objects.order_by("id").first()
    belts_before = set(center.belts.values_list("id", flat=True))
    center.belts.add(*IndustrialBelt.objects.all())
    api_key, raw_key = api_key_create(actor=None, center=center, name="bench")
    headers = {"Authorization": f"Api-Key {raw_key}", "Content-Type": "application/json"}
    say(f"{len(merchant_ids):,} merchants; pushing {month:%Y-%m} as {center}")

    port = _free_port()
    server = _start_gunicorn(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    http = urllib3.PoolManager(maxsize=4)
    try:
        rows = _rows(merchant_ids, month)
        bodies = [
            json.dumps({"rows": rows[start : start + BATCH]}).encode()
            for start in range(0, len(rows), BATCH)
        ]
        # One client sending batch after batch, then as many clients as gunicorn has workers
        # (an integration pushing a month for 100,000 merchants may run a few in parallel).
        bulk = {}
        for clients in (1, args.workers):
            MonthlyMetric.objects.filter(month=month).delete()
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                statuses = list(pool.map(lambda body: _post(base, body, headers), bodies))
            elapsed = time.perf_counter() - started
            if set(statuses) != {200}:
                raise SystemExit(f"bulk: answers {sorted(set(statuses))}")
            bulk[clients] = len(rows) / elapsed
            say(
                f"bulk over HTTP, {clients} client(s): {bulk[clients]:10,.0f} rows/s "
                f"({len(bodies)} batches, {elapsed:.2f} s)"
            )
        bulk_rows_per_s = bulk[args.workers]
        created = MonthlyMetric.objects.filter(month=month).count()
        if created != len(rows):
            raise SystemExit(f"bulk wrote {created:,} rows, not {len(rows):,}")

        MonthlyMetric.objects.filter(month=month).delete()
        copy_s = min(_copy_floor(rows) for _ in range(2))
        copy_rows_per_s = len(rows) / copy_s
        say(f"COPY floor:       {copy_rows_per_s:10,.0f} rows/s ({copy_s:.2f} s)")

        # Every page and reference view is timed in the same rounds (one GET of each, in turn):
        # a machine whose speed drifts during the run shifts them all alike, not one.
        urls = {}
        for name in ("merchants", "eligibility"):
            first = f"{base}/api/v1/{name}/?page_size=50"
            urls[f"{name}_first"] = first
            urls[f"{name}_deep"] = _deep_url(http, first, headers, args.deep_pages)
        urls["bare"] = f"{base}/bench/bare/"
        urls["floor"] = f"{base}/bench/floor/?after=10000"
        urls["plain"] = f"{base}/bench/merchants/?after=10000"
        timings = _interleaved_gets(http, urls, headers, args.requests)
        lists = {
            key: (_p(timings[key], 50), _p(timings[key], 95))
            for key in urls
            if key.startswith(("merchants", "eligibility"))
        }
        for key, (p50, p95) in lists.items():
            name, label = key.split("_")
            say(f"{name:12} {label:5} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms")
        bare_p50, floor_p50, plain_p50 = (
            _p(timings[key], 50) for key in ("bare", "floor", "plain")
        )
        say(f"bare JSON view     p50 {bare_p50:7.2f} ms")
        say(f"floor (raw SQL)    p50 {floor_p50:7.2f} ms  (same page's SQL on a cursor, no ORM)")
        say(f"plain merchants    p50 {plain_p50:7.2f} ms  (same page from .values(), no DRF)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        # As found: no pushed month, no key, the center's belts as they were, no queued tasks.
        MonthlyMetric.objects.filter(month=month).delete()
        api_key_revoke(api_key=api_key, actor=None)
        api_key.user.delete()
        center.belts.set(belts_before)

        redis.Redis.from_url(BROKER_URL).flushdb()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    list_p50 = max(p50 for p50, _p95 in lists.values())
    list_p95 = max(p95 for _p50, p95 in lists.values())
    return {
        "merchants": len(merchant_ids),
        "batch": BATCH,
        "workers": args.workers,
        "bulk_rows_per_s": round(bulk_rows_per_s),
        "bulk_rows_per_s_one_client": round(bulk[1]),
        "copy_rows_per_s": round(copy_rows_per_s),
        "bulk_vs_copy": round(copy_rows_per_s / bulk_rows_per_s, 2),
        **{f"{key}_p50_ms": round(value[0], 2) for key, value in lists.items()},
        **{f"{key}_p95_ms": round(value[1], 2) for key, value in lists.items()},
        "list_p50_ms": round(list_p50, 2),
        "list_p95_ms": round(list_p95, 2),
        "bare_p50_ms": round(bare_p50, 2),
        "floor_merchants_p50_ms": round(floor_p50, 2),
        "plain_merchants_p50_ms": round(plain_p50, 2),
        "merchants_vs_plain": round(lists["merchants_deep"][0] / plain_p50, 2),
        "list_vs_bare": round(list_p50 / bare_p50, 2),
        "floor_vs_bare": round(floor_p50 / bare_p50, 2),
        "plain_vs_bare": round(plain_p50 / bare_p50, 2),
    }
