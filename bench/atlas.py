"""``python -m bench atlas``: the belt atlas's map and a belt's page at 100,000 merchants.

On PostgreSQL, in one run, on the same data: ``--merchants`` demo merchants (100,000 by default:
about 50 a belt's size apart, the largest belt with some 25,000), their metrics, both years' belt
figures, the eligibility of every merchant, and the demo's source-factory locations. Measured
(medians, in ms):

- ``atlas_rows_ms``: ``atlas_belt_list()``, the map's belts with their year's figures, against
  ``floor_atlas_ms``, the bare SQL join of belts, cities, categories and that year's figures;
- ``atlas_page_ms`` / ``atlas_page_kb``: the console's atlas page, rendered (SVG and table);
- ``figures_<reader>_ms``: ``belt_figures_get`` for the largest belt as a superuser (``full``),
  the demo's merchant user on its own belt (``member``) and a stranger (``public``); against
  ``floor_figures_ms``, the least work that reads the same rows: the composition's ``GROUP BY``,
  the eligibility and seat counts and the shipment count as bare SQL, and
  ``plain_figures_ms``, the best simple alternative: the belt's merchants' type and stage read
  once and counted in Python, and one grouped ORM count each for eligibility and seats;
- ``belt_page_ms`` / ``belt_page_small_ms``: the console's page of the largest and of the
  smallest belt, rendered.

After the seed (and, the first time, the year before's belt figures and the eligibility), the
bench writes nothing it keeps: the stranger it reads as is deleted at the end, so a ``--reuse``
run measures the same data.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import time
from collections import Counter
from collections.abc import Callable

from django.db import connection
from django.db.models import Count

from bench.__main__ import prepare_database, rss_mb, say, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/beltops_bench_atlas"
AS_OF = datetime.date(2026, 11, 15)


def timed(run: Callable[[], object], repeats: int) -> float:
    """The median of ``repeats`` runs after one warm-up, in milliseconds."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


FLOOR_ATLAS_SQL = """
SELECT b.id, b.slug, b.name, b.name_zh, c.name, c.name_zh, c.province, c.province_zh,
       c.latitude, c.longitude, k.slug, k.name, k.name_zh, s.gmv, s.merchant_count,
       s.yoy_growth, s.tier
FROM belts_industrialbelt b
JOIN belts_city c ON c.id = b.city_id
JOIN belts_category k ON k.id = b.category_id
LEFT JOIN belts_beltyearstat s ON s.belt_id = b.id AND s.year = %s
ORDER BY s.gmv DESC NULLS LAST, b.id
"""

FLOOR_FIGURES_SQL = (
    """SELECT merchant_type, brand_stage, count(*) FROM merchants_merchant
       WHERE belt_id = %(belt)s AND status <> 'closed' GROUP BY 1, 2""",
    """SELECT e.program_id, count(*) FROM programs_eligibility e
       JOIN merchants_merchant m ON m.id = e.merchant_id
       WHERE m.belt_id = %(belt)s AND m.status <> 'closed' AND e.is_eligible GROUP BY 1""",
    """SELECT e.program_id, count(DISTINCT e.merchant_id) FROM programs_enrollment e
       JOIN merchants_merchant m ON m.id = e.merchant_id
       WHERE m.belt_id = %(belt)s AND m.status <> 'closed'
         AND e.state IN ('approved', 'active') GROUP BY 1""",
    """SELECT count(*) FROM logistics_shipment s JOIN merchants_merchant m ON m.id = s.merchant_id
       WHERE m.belt_id = %(belt)s AND s.status <> 'cancelled'""",
)


def atlas(args: argparse.Namespace) -> dict:
    url = args.database_url
    prepare_database(url, args.merchants, AS_OF, args.reuse)
    setup_django(url)
    # After django.setup(): the models and services need the app registry.
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.test import Client  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from belts.models import BeltYearStat, IndustrialBelt  # noqa: PLC0415
    from belts.selectors import atlas_belt_list  # noqa: PLC0415
    from config.atlas.figures import belt_figures_get  # noqa: PLC0415
    from merchants.models import Merchant, MerchantMembership  # noqa: PLC0415
    from merchants.services.metrics import belt_year_stats_recompute  # noqa: PLC0415
    from programs.models import Eligibility, Enrollment  # noqa: PLC0415
    from programs.services.eligibility import eligibility_recompute  # noqa: PLC0415

    if not BeltYearStat.objects.filter(year=AS_OF.year - 2).exists():
        belt_year_stats_recompute(year=AS_OF.year - 2)  # the page's trend: two years
    if not Eligibility.objects.exists():
        started = time.perf_counter()
        eligibility_recompute(as_of=AS_OF)
        say(f"eligibility computed in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    users = get_user_model().objects
    admin = users.filter(is_superuser=True).first()
    member = users.get(username="merchant")
    stranger, _ = users.get_or_create(username="bench-atlas-stranger")
    own_belt = MerchantMembership.objects.filter(user=member).values_list(
        "merchant__belt_id", flat=True
    )[0]
    sizes = Counter(Merchant.objects.values_list("belt_id", flat=True))
    largest, largest_count = sizes.most_common(1)[0]
    smallest = min(sizes, key=lambda belt: sizes[belt])
    year = BeltYearStat.objects.order_by("-year").values_list("year", flat=True)[0]
    result: dict = {
        "merchants": Merchant.objects.count(),
        "belts": IndustrialBelt.objects.count(),
        "largest_belt_merchants": largest_count,
        "located_factories": Merchant.objects.filter(latitude__isnull=False).count(),
    }
    say(
        f"{result['merchants']:,} merchants in {result['belts']} belts; the largest has "
        f"{largest_count:,}; {result['located_factories']:,} located factories"
    )

    def floor_atlas() -> None:
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_ATLAS_SQL, [year])
            cursor.fetchall()

    result["floor_atlas_ms"] = timed(floor_atlas, 21)
    result["atlas_rows_ms"] = timed(lambda: atlas_belt_list(year=year), 21)

    console = Client(HTTP_HOST="localhost")  # one of the default ALLOWED_HOSTS
    console.force_login(admin)
    atlas_url = reverse("admin:atlas")
    page = console.get(atlas_url)
    assert page.status_code == 200, page.status_code
    result["atlas_page_kb"] = round(len(page.content) / 1024, 1)
    result["atlas_page_ms"] = timed(lambda: console.get(atlas_url), 11)
    say(
        f"atlas: rows {result['atlas_rows_ms']:.2f} ms (floor {result['floor_atlas_ms']:.2f} ms), "
        f"page {result['atlas_page_ms']:.1f} ms, {result['atlas_page_kb']} KB"
    )

    def floor_figures() -> None:
        with connection.cursor() as cursor:
            for sql in FLOOR_FIGURES_SQL:
                cursor.execute(sql, {"belt": largest})
                cursor.fetchall()

    def plain_figures() -> None:
        merchants = Merchant.objects.filter(belt_id=largest).exclude(status="closed")
        Counter(merchants.values_list("merchant_type", "brand_stage"))
        list(
            Eligibility.objects.filter(merchant__in=merchants, is_eligible=True)
            .values("program_id")
            .annotate(count=Count("id"))
        )
        list(
            Enrollment.objects.filter(merchant__in=merchants, state__in=["approved", "active"])
            .values("program_id")
            .annotate(count=Count("merchant_id", distinct=True))
        )

    result["floor_figures_ms"] = timed(floor_figures, 11)
    result["plain_figures_ms"] = timed(plain_figures, 11)
    for reader, user, belt in (
        ("full", admin, largest),
        ("member", member, own_belt),
        ("public", stranger, largest),
    ):
        fresh = users.get(pk=user.pk)  # nothing kept from another run on the user object
        result[f"figures_{reader}_ms"] = timed(
            lambda fresh=fresh, belt=belt: belt_figures_get(user=fresh, belt_id=belt), 11
        )
    say(
        f"figures of the largest belt: full {result['figures_full_ms']:.1f} ms (floor "
        f"{result['floor_figures_ms']:.1f} ms, plain {result['plain_figures_ms']:.1f} ms); "
        f"member (own belt) {result['figures_member_ms']:.1f} ms, public "
        f"{result['figures_public_ms']:.1f} ms"
    )

    slugs = dict(IndustrialBelt.objects.values_list("id", "slug"))
    for key, belt in (("belt_page_ms", largest), ("belt_page_small_ms", smallest)):
        url = reverse("admin:atlas-belt", args=[slugs[belt]])
        assert console.get(url).status_code == 200
        result[key] = timed(lambda url=url: console.get(url), 11)
    say(
        f"belt page: largest {result['belt_page_ms']:.1f} ms, smallest "
        f"{result['belt_page_small_ms']:.1f} ms"
    )

    result["figures_full_vs_floor"] = round(
        result["figures_full_ms"] / max(result["floor_figures_ms"], 1e-9), 2
    )
    result["figures_full_vs_plain"] = round(
        result["figures_full_ms"] / max(result["plain_figures_ms"], 1e-9), 2
    )
    result["atlas_rows_vs_floor"] = round(
        result["atlas_rows_ms"] / max(result["floor_atlas_ms"], 1e-9), 2
    )
    result["peak_rss_mb"] = round(rss_mb(), 1)
    stranger.delete()  # as found
    return {
        key: round(value, 3) if isinstance(value, float) else value for key, value in result.items()
    }


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("atlas", help="the atlas's map and a belt's page at scale")
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
