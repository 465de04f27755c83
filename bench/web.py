"""``python -m bench web``: the main console, portal and API pages at 100,000 merchants, at their
first and at a deep position, against a bare Django view in the same run.

In process (Django's test client through the whole middleware stack, the same database
connection kept as production keeps it), on PostgreSQL, on the demo data set at ``--merchants``
(metrics of 24 months each, 2.4 M rows at 100,000; every merchant's eligibility). Each page is
requested ``--requests`` times after two warm-ups; p50 and p95 in ms. ``bare`` is a view that
answers a small JSON object behind the same middleware; ``bare signed in`` the same with the
session and the user loaded. Each surface has its own empty page too: ``bare console`` (the
console's chrome), ``bare portal`` (the portal's layout), ``bare api`` (a DRF view behind the
API's authentication): each page's ratio is against its surface's.

Targets (docs/performance.md): every page's p50 at most 100 ms and at most 3x its surface's
empty page, at any depth. The bench writes nothing it keeps: the sessions it signs in with are
deleted.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import statistics
import time

from bench.__main__ import prepare_database, rss_mb, say

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench_web"
AS_OF = datetime.date(2026, 11, 15)
TARGET_MS = 100
TARGET_RATIO = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("web", help="console, portal and API pages, first and deep")
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--requests", type=int, default=25, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def setup(url: str) -> None:
    import os  # noqa: PLC0415

    import django  # noqa: PLC0415

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.pop("CELERY_BROKER_URL", None)
    django.setup()
    from config.celery import app  # noqa: PLC0415

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"


def cursor_at(position: int) -> str:
    """DRF's cursor for "after id ``position``" (rest_framework.pagination.CursorPagination)."""
    return base64.b64encode(f"p={position}".encode()).decode()


def web(args: argparse.Namespace) -> dict:
    prepare_database(args.database_url, args.merchants, AS_OF, args.reuse)
    setup(args.database_url)
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.contrib.sessions.models import Session  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415

    from core.pagination import LISTED_MAX  # noqa: PLC0415
    from merchants.models import Merchant, MonthlyMetric, Notification  # noqa: PLC0415
    from programs.models import Eligibility  # noqa: PLC0415
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415

    if not Eligibility.objects.exists():
        started = time.perf_counter()
        eligibility_recompute(as_of=AS_OF)
        say(f"eligibility computed in {time.perf_counter() - started:.1f} s (setup)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    users = get_user_model().objects
    admin = users.filter(is_superuser=True).first()
    member = users.get(username="merchant")
    sessions_before = set(Session.objects.values_list("session_key", flat=True))

    counts = {
        "merchants": Merchant.objects.count(),
        "metrics": MonthlyMetric.objects.count(),
        "eligibility": Eligibility.objects.count(),
        "notifications": Notification.objects.count(),
    }
    say(", ".join(f"{count:,} {name}" for name, count in counts.items()))
    shop = Merchant.objects.order_by("id").values_list("shop_name", flat=True)[
        counts["merchants"] // 2
    ]
    term = shop.split()[-1] if " " in shop else shop[:5]
    deep_merchant = Merchant.objects.order_by("id").values_list("id", flat=True)[
        counts["merchants"] * 9 // 10
    ]
    per_page = 50  # the big lists' list_per_page

    def deep_page(rows: int) -> int:
        """Nine tenths in, or the deepest page the links reach (core.pagination.LISTED_MAX)."""
        return max(1, min(rows * 9 // 10, LISTED_MAX) // per_page)

    console = Client(HTTP_HOST="localhost")
    console.force_login(admin)
    portal = Client(HTTP_HOST="localhost")
    portal.force_login(member)
    pages = [
        ("bare", console, "/bench/bare/"),
        ("bare signed in", console, "/bench/bare-signed-in/"),
        ("bare console", console, "/bench/bare-console/"),
        ("bare portal", portal, "/bench/bare-portal/"),
        ("bare api", console, "/bench/bare-api/"),
        ("console home", console, "/console/"),
        ("console merchants", console, "/console/merchants/merchant/"),
        (
            "console merchants deep",
            console,
            f"/console/merchants/merchant/?p={deep_page(counts['merchants'])}",
        ),
        ("console merchants search", console, f"/console/merchants/merchant/?q={term}"),
        ("console metrics", console, "/console/merchants/monthlymetric/"),
        (
            "console metrics deep",
            console,
            f"/console/merchants/monthlymetric/?p={deep_page(counts['metrics'])}",
        ),
        ("console eligibility", console, "/console/programs/eligibility/"),
        (
            "console eligibility deep",
            console,
            f"/console/programs/eligibility/?p={deep_page(counts['eligibility'])}",
        ),
        ("console notifications", console, "/console/merchants/notification/"),
        (
            "console notifications deep",
            console,
            f"/console/merchants/notification/?p={deep_page(counts['notifications'])}",
        ),
        ("portal home", portal, "/portal/"),
        ("portal metrics", portal, "/portal/metrics/"),
        ("portal inbox", portal, "/portal/inbox/"),
        ("api merchants", console, "/api/v1/merchants/"),
        ("api merchants deep", console, f"/api/v1/merchants/?cursor={cursor_at(deep_merchant)}"),
        ("api eligibility", console, "/api/v1/eligibility/"),
        (
            "api eligibility deep",
            console,
            "/api/v1/eligibility/?cursor="
            + cursor_at(
                Eligibility.objects.order_by("id").values_list("id", flat=True)[
                    counts["eligibility"] * 9 // 10
                ]
            ),
        ),
    ]
    result: dict = {**counts}
    timings: dict[str, tuple[float, float]] = {}
    for name, client, url in pages:
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, (name, url, response.status_code)
        samples = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        timings[name] = percentiles(samples)
    # Each page against its own surface's empty page (the console's chrome, the portal's
    # layout, the API's authentication and renderer): what the page adds to what every page of
    # its kind costs. The plain and signed-in bare views are printed beside them.
    say(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'x bare':>7}  (bare: the surface's empty page)")
    failing = []
    for name, (p50, p95) in timings.items():
        bare = timings[f"bare {name.split()[0]}"][0] if not name.startswith("bare") else p50
        ratio = p50 / bare
        ok = name.startswith("bare") or (p50 <= TARGET_MS and ratio <= TARGET_RATIO)
        if not ok:
            failing.append(name)
        say(f"{name:32} {p50:8.1f} {p95:8.1f} {ratio:7.1f}{'' if ok else '  over target'}")
        key = name.replace(" ", "_")
        result[f"{key}_p50_ms"] = round(p50, 2)
        result[f"{key}_p95_ms"] = round(p95, 2)
        result[f"{key}_vs_bare"] = round(ratio, 2)
    result["over_target"] = failing
    result["peak_rss_mb"] = round(rss_mb(), 1)
    # As found: the sessions this run signed in with.
    Session.objects.exclude(session_key__in=sessions_before).delete()
    return result
