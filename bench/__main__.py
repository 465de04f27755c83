"""Benchmarks: ``python -m bench eligibility --merchants N``, ``python -m bench api``,
``python -m bench logistics --shipments N`` and ``python -m bench atlas --merchants N``.

Prints figures as it goes and, as its last line, one JSON object. Runs against PostgreSQL: the
database named by ``BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/
beltops_bench``) is dropped, created, migrated and seeded with the demo builder, so the figures are
for the same data every run. Memory is the benchmark process's own peak: seeding runs in a child
process so it does not count.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import urlparse

import django
import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bench import worker

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(message: str) -> None:
    print(message, flush=True)


def prepare_database(url: str, merchants: int, as_of: datetime.date, reuse: bool) -> None:
    """A fresh database holding ``merchants`` demo merchants and their monthly metrics."""
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    if not name.startswith("beltops_bench"):
        raise SystemExit(
            f"refusing to drop {name!r}: the bench database name must start with 'beltops_bench'"
        )
    admin_url = parsed._replace(path="/postgres").geturl()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("CELERY_BROKER_URL", None)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            with psycopg.connect(url, autocommit=True) as bench:
                bench.execute("TRUNCATE programs_eligibility, merchants_notification")
            say(f"reusing database {name} (eligibility and notifications emptied)")
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    started = time.perf_counter()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=BASE_DIR)  # noqa: S603
    subprocess.run(  # noqa: S603
        [
            *manage,
            "seed_demo",
            "--no-derive",
            "--merchants",
            str(merchants),
            "--as-of",
            as_of.strftime("%Y-%m"),
        ],
        env=env,
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(  # noqa: S603
        [
            *manage,
            "shell",
            "-c",
            "from merchants.services.metrics import belt_year_stats_recompute as r; "
            f"print(r(year={as_of.year - 1}))",
        ],
        env=env,
        check=True,
        cwd=BASE_DIR,
        stdout=subprocess.DEVNULL,
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    say(f"seeded {merchants:,} merchants in {time.perf_counter() - started:.1f} s")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ.pop("CELERY_BROKER_URL", None)

    django.setup()
    from config.celery import app  # noqa: PLC0415 (after django.setup())

    # Deliveries queued on commit go to an in-memory broker: the bench times the recompute.
    settings.DEBUG = False
    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"


def time_parallel_full(url: str, as_of: datetime.date, chunk: int, workers: int) -> float:
    """The first full recompute again, its chunks shared by ``workers`` processes, as Celery
    workers share the chunk tasks of ``eligibility_recompute_all`` (without the broker)."""
    from merchants.facts import merchant_id_ranges  # noqa: PLC0415 (after django.setup())

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programs_eligibility, merchants_notification")
    ranges = merchant_id_ranges(chunk_size=chunk)
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=worker.setup, initargs=(url,)
    ) as pool:
        list(pool.map(worker.ready, range(workers)))  # start them before the clock
        started = time.perf_counter()
        results = list(pool.map(worker.chunk, ranges, [as_of.isoformat()] * len(ranges)))
        elapsed = time.perf_counter() - started
    written = sum(result["written"] for result in results)
    worker_rss = max(result["rss_mb"] for result in results)
    say(f"first full, {workers} workers: {elapsed:8.2f} s  written={written}")
    return elapsed, worker_rss


def time_facts_sql(as_of: datetime.date, chunk_size: int) -> float:
    """The floor: only the chunked aggregation queries, rows fetched and dropped."""
    from merchants.facts import FactsWindow, merchant_facts_queryset, merchant_id_ranges  # noqa: PLC0415 (after django.setup())

    window = FactsWindow.for_date(as_of)
    started = time.perf_counter()
    for low, high in merchant_id_ranges(chunk_size=chunk_size):
        queryset = merchant_facts_queryset(window).filter(id__gte=low)
        if high is not None:
            queryset = queryset.filter(id__lt=high)
        for _row in queryset.values_list("id", "gmv_12m", "gmv_prior_12m", "months_with_data"):
            pass
    return time.perf_counter() - started


def time_naive(as_of: datetime.date, sample: int) -> float:
    """Milliseconds per merchant for the loop a typical Django app would write: per merchant,
    load it, its metrics and its belt's tier, evaluate each program, update_or_create the row.
    Runs in a transaction that is rolled back, so it leaves nothing behind."""
    from bench.naive import merchant_facts_naive  # noqa: PLC0415 (after django.setup())
    from merchants.models import Merchant  # noqa: PLC0415 (after django.setup())
    from programs.eligibility import evaluate  # noqa: PLC0415 (after django.setup())
    from programs.models import Eligibility  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import published_rule_sets  # noqa: PLC0415 (after django.setup())

    ids = list(Merchant.objects.order_by("id").values_list("id", flat=True)[:sample])
    started = time.perf_counter()
    with transaction.atomic():
        rule_sets = published_rule_sets()
        for merchant_id in ids:
            merchant = Merchant.objects.select_related("category").get(pk=merchant_id)
            facts = merchant_facts_naive(merchant, as_of)
            for rule_set in rule_sets:
                outcome = evaluate(rule_set, facts)
                Eligibility.objects.update_or_create(
                    merchant=merchant,
                    program_id=rule_set.program_id,
                    defaults={
                        "rule_set_id": rule_set.id,
                        "is_eligible": outcome.is_eligible,
                        "actuals": list(outcome.actuals),
                        "computed_at": timezone.now(),
                    },
                )
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed * 1000 / len(ids)


def time_incremental(as_of: datetime.date, repeats: int = 15) -> float:
    """Median milliseconds to recompute one merchant after one of its months changed."""
    from merchants.facts import FactsWindow, merchant_id_ranges  # noqa: PLC0415 (after django.setup())
    from merchants.models import MonthlyMetric  # noqa: PLC0415 (after django.setup())
    from merchants.services.metrics import monthly_metrics_upsert  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415 (after django.setup())

    window = FactsWindow.for_date(as_of)
    # Spread over the id space without loading every id: the first merchant of some chunks.
    lows = [low for low, _high in merchant_id_ranges(chunk_size=1000)]
    ids = lows[:: max(len(lows) // repeats, 1)][:repeats]
    timings = []
    for merchant_id in ids:
        metric = MonthlyMetric.objects.filter(merchant_id=merchant_id, month__gte=window.start)
        metric = metric.order_by("-month").first()
        if metric is None:
            continue
        original = {"merchant_id": merchant_id, "month": metric.month, "gmv": metric.gmv}
        monthly_metrics_upsert(rows=[{**original, "gmv": metric.gmv * 3 + Decimal("1000000")}])
        started = time.perf_counter()
        eligibility_recompute(merchant_ids=[merchant_id], as_of=as_of)
        timings.append((time.perf_counter() - started) * 1000)
        # Put the month back, so the data set is the same for the next run.
        monthly_metrics_upsert(rows=[original])
        eligibility_recompute(merchant_ids=[merchant_id], as_of=as_of)
    return statistics.median(timings)


def eligibility(args: argparse.Namespace) -> dict:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    as_of = datetime.date.fromisoformat(args.as_of)
    prepare_database(url, args.merchants, as_of, args.reuse)
    setup_django(url)

    from merchants.models import Merchant  # noqa: PLC0415 (after django.setup())
    from programs.models import Eligibility, Program  # noqa: PLC0415 (after django.setup())
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415 (after django.setup())

    merchants = Merchant.objects.count()
    programs = Program.objects.filter(is_active=True).count()
    say(f"{merchants:,} merchants, {programs} programs, as of {as_of}, chunks of {args.chunk}")
    rss_start = rss_mb()

    facts_sql_s = min(time_facts_sql(as_of, args.chunk) for _ in range(2))
    say(f"facts SQL alone:      {facts_sql_s:8.2f} s")

    started = time.perf_counter()
    stats = eligibility_recompute(as_of=as_of, chunk_size=args.chunk)
    full_s = time.perf_counter() - started
    say(f"first full recompute: {full_s:8.2f} s  {stats.as_dict()}")
    rss_full = rss_mb()

    # What autovacuum does after a bulk write (hint bits, visibility map), done here so that it
    # does not land inside the rerun's timing; the recompute itself refreshes the statistics.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM programs_eligibility")

    started = time.perf_counter()
    rerun = eligibility_recompute(as_of=as_of, chunk_size=args.chunk)
    rerun_s = time.perf_counter() - started
    say(f"no-change rerun:      {rerun_s:8.2f} s  written={rerun.written}")

    incremental_ms = time_incremental(as_of)
    say(f"one merchant changed: {incremental_ms:8.2f} ms (median)")

    naive_ms = time_naive(as_of, args.naive_sample)
    parallel_s, worker_rss = time_parallel_full(url, as_of, args.chunk, args.workers)
    per_merchant_ms = full_s * 1000 / merchants
    say(f"naive ORM loop:       {naive_ms:8.2f} ms per merchant (sample of {args.naive_sample})")
    say(f"set-based recompute:  {per_merchant_ms:8.4f} ms per merchant")

    return {
        "merchants": merchants,
        "programs": programs,
        "eligibility_rows": Eligibility.objects.count(),
        "chunk_size": args.chunk,
        "facts_sql_s": round(facts_sql_s, 3),
        "full_s": round(full_s, 3),
        "rerun_s": round(rerun_s, 3),
        "incremental_ms": round(incremental_ms, 2),
        "naive_ms_per_merchant": round(naive_ms, 3),
        "speedup_vs_naive": round(naive_ms / per_merchant_ms, 1),
        "full_vs_facts_sql": round(full_s / facts_sql_s, 2),
        "workers": args.workers,
        "full_parallel_s": round(parallel_s, 3),
        "full_parallel_vs_facts_sql": round(parallel_s / facts_sql_s, 2),
        "worker_peak_rss_mb": worker_rss,
        "rerun_vs_facts_sql": round(rerun_s / facts_sql_s, 2),
        "rss_before_mb": round(rss_start, 1),
        "rss_after_full_mb": round(rss_full, 1),
        "peak_rss_mb": round(rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    sub = parser.add_subparsers(dest="bench", required=True)
    elig = sub.add_parser("eligibility", help="the eligibility recompute on PostgreSQL")
    elig.add_argument("--merchants", type=int, default=100_000)
    elig.add_argument("--chunk", type=int, default=5000)
    elig.add_argument("--as-of", default="2026-11-15", help="the date facts are computed as of")
    elig.add_argument("--naive-sample", type=int, default=300)
    elig.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    elig.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="processes sharing the chunks in the parallel run (default: the cores)",
    )
    api_bench = sub.add_parser("api", help="the integrations API under gunicorn, over HTTP")
    api_bench.add_argument("--merchants", type=int, default=100_000)
    api_bench.add_argument("--as-of", default="2026-11-15", help="the seed's as-of date")
    api_bench.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    api_bench.add_argument("--requests", type=int, default=200, help="timed GETs per page")
    api_bench.add_argument("--deep-pages", type=int, default=200, help="pages in for 'deep'")
    api_bench.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    from bench.atlas import add_parser as add_atlas_parser  # noqa: PLC0415 (imports this module)
    from bench.atlas import atlas  # noqa: PLC0415
    from bench.logistics import add_parser, logistics  # noqa: PLC0415 (it imports this module)
    from bench.web import add_parser as add_web_parser  # noqa: PLC0415
    from bench.web import web  # noqa: PLC0415

    add_parser(sub)
    add_atlas_parser(sub)
    add_web_parser(sub)
    args = parser.parse_args(argv)
    if args.bench == "logistics":
        result = logistics(args)
    elif args.bench == "atlas":
        result = atlas(args)
    elif args.bench == "web":
        result = web(args)
    elif args.bench == "api":
        from bench.api import api  # noqa: PLC0415 (bench.api imports this module)

        result = api(args)
    else:
        result = eligibility(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
