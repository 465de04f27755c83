"""``manage.py eligibility_check [--fix]``

The eligibility table is derived and has no foreign keys (``programs.models.Eligibility``): this
counts the rows whose merchant or rule set is gone, or whose program is not its rule set's, and
with ``--fix`` removes them. Exits 1 when it found some and did not fix them, so a cron job or a
release script can act on it.
"""

from django.core.management.base import BaseCommand, CommandError

from programs.selectors import eligibility_orphan_counts
from programs.services.eligibility import eligibility_orphans_delete

LABELS = {
    "merchant_missing": "rows whose merchant is gone",
    "rule_set_missing": "rows whose rule set is gone",
    "program_mismatch": "rows whose program is not their rule set's",
}


class Command(BaseCommand):
    help = "Check the eligibility table (it has no foreign keys); --fix removes orphan rows."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="remove the rows found")

    def handle(self, *args, fix, **options):
        counts = eligibility_orphan_counts()
        for name, label in LABELS.items():
            self.stdout.write(f"{label}: {counts[name]}")
        found = sum(counts.values())
        if not found:
            self.stdout.write(self.style.SUCCESS("eligibility: no orphan rows"))
            return
        if not fix:
            raise CommandError(f"{found} orphan eligibility rows; run with --fix to remove them")
        removed = eligibility_orphans_delete()
        self.stdout.write(self.style.SUCCESS(f"removed {removed} orphan eligibility rows"))
