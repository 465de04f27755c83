"""Eligibility as a derived table: no foreign-key constraints (a trigger per written row), no
index on the rule set, and on PostgreSQL a fillfactor that leaves half of each page free.

The recompute rewrites rows whose outcome moved; with room on the page and no indexed column
changed (the rule set, the values seen, the fingerprint: none indexed), PostgreSQL updates a row
in place (a HOT update), so the table and its indexes keep their size run after run instead of
growing until vacuumed. ``ALTER TABLE ... SET (fillfactor)`` takes a lock that lets reads and
writes go on; it applies to pages written from then on.

Deletes still cascade (merchant) and protect (rule set): Django's collector does both.
``manage.py eligibility_check`` finds rows a raw SQL delete would leave behind.
"""

import django.db.models.deletion
from django.db import migrations, models

FILLFACTOR = 50


def fillfactor(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if value is None:
            schema_editor.execute('ALTER TABLE "programs_eligibility" RESET (fillfactor)')
        else:
            schema_editor.execute(
                f'ALTER TABLE "programs_eligibility" SET (fillfactor = {int(value):d})'
            )

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0010_merchant_search_trigram"),
        ("programs", "0010_recompute_run"),
    ]

    operations = [
        migrations.AlterField(
            model_name="eligibility",
            name="merchant",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="eligibilities",
                to="merchants.merchant",
                verbose_name="merchant",
            ),
        ),
        migrations.AlterField(
            model_name="eligibility",
            name="rule_set",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="eligibilities",
                to="programs.ruleset",
                verbose_name="rule set",
            ),
        ),
        migrations.RunPython(fillfactor(FILLFACTOR), fillfactor(None), elidable=False),
    ]
