"""Three indexes of the outbox that nothing reads, dropped: every notification written (a first
recompute writes tens of thousands in one go) no longer updates them.

- ``merchant_id`` alone: ``notification_merchant_idx`` (merchant, created_at) leads with it, and
  serves the merchant's messages and the cascade of a merchant's deletion;
- ``recipient_id`` alone: ``notification_inbox_idx`` (recipient, read_at) leads with it;
- the ``varchar_pattern_ops`` copy PostgreSQL gets of a unique text column, for ``LIKE 'x%'``
  on the dedupe key, which no query does (the unique index answers equality and
  ``ON CONFLICT``).

``DROP INDEX CONCURRENTLY`` on PostgreSQL (outside a transaction: the migration is not atomic),
so writes go on while each goes; back, each is built again concurrently. The names are the ones
Django gave them (deterministic from the table and column).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import deletion

TABLE = "merchants_notification"
INDEXES = [
    # (name, columns, PostgreSQL only)
    ("merchants_notification_merchant_id_bb297c25", '"merchant_id"', False),
    ("merchants_notification_recipient_id_f229f24f", '"recipient_id"', False),
    ("merchants_notification_dedupe_key_9e786175_like", '"dedupe_key" varchar_pattern_ops', True),
]


def _here(schema_editor):
    """The indexes this database has, and ``CONCURRENTLY`` where it can."""
    postgresql = schema_editor.connection.vendor == "postgresql"
    indexes = [(name, columns) for name, columns, pg_only in INDEXES if postgresql or not pg_only]
    return indexes, " CONCURRENTLY" if postgresql else ""


def drop(apps, schema_editor):
    indexes, concurrently = _here(schema_editor)
    for name, _columns in indexes:
        schema_editor.execute(f'DROP INDEX{concurrently} IF EXISTS "{name}"')


def create(apps, schema_editor):
    indexes, concurrently = _here(schema_editor)
    for name, columns in indexes:
        schema_editor.execute(
            f'CREATE INDEX{concurrently} IF NOT EXISTS "{name}" ON "{TABLE}" ({columns})'
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("merchants", "0010_merchant_search_trigram"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create)],
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="merchant",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The merchant the message is about or addressed to.",
                        null=True,
                        on_delete=deletion.CASCADE,
                        related_name="notifications",
                        to="merchants.merchant",
                        verbose_name="merchant",
                    ),
                ),
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recipient",
                    ),
                ),
            ],
        ),
    ]
