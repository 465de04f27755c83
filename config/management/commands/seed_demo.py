"""``manage.py seed_demo``: fill the database with the Belt Ops demo data set.

Deterministic (``--seed``, ``--as-of``) and idempotent: run it again with the same options and it
creates nothing new. ``make run`` calls it with ``--if-empty``.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from belts.models import IndustrialBelt
from config.demo import data
from config.demo.builder import (
    MAX_MERCHANTS,
    DemoBuilder,
    SeedOptions,
    metric_months,
    table_counts,
)
from merchants.services.metrics import belt_year_stats_recompute
from programs.choices import RecomputeTrigger
from programs.models import RecomputeRun
from programs.services import recompute_runs
from programs.services.eligibility import eligibility_recompute


def _month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 (a date)
    except ValueError:
        raise CommandError(f"--as-of must look like 2025-06, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Seed the demo: real industrial belts, operation centers, the five support programs "
        "with their first rule sets, open cohorts, N merchants with metrics since January two "
        "years back, a few enrollments, a few hundred delivery-and-installation shipments of "
        "the furniture and home belts, and three demo logins. Same options, same data; safe "
        "to run twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument(
            "--as-of",
            dest="as_of",
            help="The month the data treats as the present, YYYY-MM (default: the current "
            "month). Metrics run from January two years earlier to the month before it, so "
            "the last two calendar years are complete.",
        )
        parser.add_argument(
            "--merchants",
            type=int,
            default=2000,
            help="How many demo merchants should exist (default 2000).",
        )
        parser.add_argument(
            "--batch-size",
            dest="batch_size",
            type=int,
            default=2000,
            help="Merchants written per transaction (default 2000).",
        )
        parser.add_argument(
            "--no-derive",
            dest="derive",
            action="store_false",
            help="Leave belt figures, tiers and eligibility uncomputed (benchmarks time that).",
        )
        parser.add_argument(
            "--if-empty",
            dest="if_empty",
            action="store_true",
            help="Do nothing if any industrial belt exists.",
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        if options["if_empty"] and IndustrialBelt.objects.exists():
            self.stdout.write(
                "Industrial belts already exist: demo data not seeded (--if-empty). "
                "Run seed_demo without --if-empty to complete or refresh it."
            )
            self._write_logins(reset=False)
            return
        as_of = (
            _month(options["as_of"]) if options["as_of"] else timezone.localdate().replace(day=1)
        )
        if not 1 <= options["merchants"] <= MAX_MERCHANTS:
            raise CommandError(f"--merchants must be between 1 and {MAX_MERCHANTS:,}.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        seed_options = SeedOptions(
            seed=options["seed"],
            as_of=as_of,
            merchants=options["merchants"],
            batch_size=options["batch_size"],
        )
        self.stdout.write(
            f"Seeding demo data: seed {seed_options.seed}, as of {as_of:%Y-%m} (metrics "
            f"{self._window(as_of)}), {seed_options.merchants:,} merchants."
        )
        report = DemoBuilder(seed_options, progress=self.stdout.write).build()
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))

        self.stdout.write(self.style.MIGRATE_HEADING("Rows per table"))
        counts = table_counts()
        width = max(len(label) for label in counts)
        for label, count in counts.items():
            self.stdout.write(f"  {label:<{width}}  {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f} s: "
                f"{report.merchants_created:,} merchants created "
                f"({report.merchants_kept:,} already present), "
                f"{report.metrics_created:,} monthly metrics, "
                f"{report.enrollments_created} enrollments, {report.shipments_created} shipments."
            )
        )
        if options["derive"]:
            # As the nightly recompute would: today, when the data's present is this month.
            today = timezone.localdate()
            self._derive(today if as_of == today.replace(day=1) else as_of)
        else:
            self.stdout.write(
                "Belt figures and eligibility are derived data: the nightly recompute fills them."
            )
        self._write_logins(reset=True)

    def _derive(self, as_of: datetime.date) -> None:
        """What the nightly recompute would do: last year's belt tiers, then eligibility. The
        year before last is computed first, as last year's recompute did, so a belt's page has a
        trend to draw (the metrics cover both years)."""
        for year in (as_of.year - 2, as_of.year - 1):
            tiers = belt_year_stats_recompute(year=year)
            self.stdout.write(
                f"Belt tiers for {tiers['year']}: {tiers['ten_billion']} ten-billion, "
                f"{tiers['growth']} growth, of {tiers['belts']} belts."
            )
        # Recorded as the nightly run it stands in for (/health/ reads its age), once per date:
        # seeding again adds nothing.
        recorded = RecomputeRun.objects.filter(trigger=RecomputeTrigger.NIGHTLY, as_of=as_of)
        run = None
        if not recorded.exists():
            run = recompute_runs.recompute_run_start(
                trigger=RecomputeTrigger.NIGHTLY, as_of=as_of, chunks=1
            )
        stats = eligibility_recompute(as_of=as_of)
        if run is not None:
            recompute_runs.recompute_run_chunk_done(run_id=run.pk)
            recompute_runs.recompute_run_finish(run_id=run.pk, total=stats.as_dict())
        self.stdout.write(
            f"Eligibility as of {as_of:%Y-%m-%d}: {stats.evaluated:,} evaluated, "
            f"{stats.written:,} written, {stats.gained:,} eligible now."
        )

    @staticmethod
    def _window(as_of: datetime.date) -> str:
        months = metric_months(as_of)
        return f"{months[0]:%Y-%m} to {months[-1]:%Y-%m}"

    def _write_logins(self, *, reset: bool) -> None:
        if reset:
            heading = "Demo logins (passwords are reset on every run):"
        else:
            heading = "Demo logins, if this database was seeded by seed_demo:"
        self.stdout.write(self.style.MIGRATE_HEADING(heading))
        for login in data.DEMO_LOGINS:
            self.stdout.write(f"  {login.username} / {login.secret}  ({login.description})")
