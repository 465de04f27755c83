"""Trigram indexes for the console's merchant search (PostgreSQL only).

The console searches shop and legal names with ``icontains``, which Django writes as
``UPPER(col::text) LIKE UPPER('%term%')``: no B-tree serves a pattern with a leading wildcard,
so each search read the whole table twice. pg_trgm's GIN indexes on the same expressions serve
both patterns (a bitmap OR of two index scans).

PostgreSQL only, and outside the models' state on purpose: SQLite has no GIN, and a SQLite table
rebuilt by a later migration would try to recreate an index it cannot build. The extension is
trusted (PostgreSQL 13+): the database's owner may create it (docs/deploy.md).
"""

from django.db import migrations

INDEXES = {
    "merchant_shop_name_trgm": "shop_name",
    "merchant_legal_name_trgm": "legal_name",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        # Concurrently: merchants keep being written while each builds.
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "merchants_merchant" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("merchants", "0009_notification_failed_idx"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
